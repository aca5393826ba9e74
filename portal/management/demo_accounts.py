"""Demo accounts, organisations, contacts and users (PLAT-8), built idempotently from plain data.

Every row is found by a natural key (account name, registration number, contact email, username)
and created only when missing, so running the demo twice creates nothing twice. Callers run
this under `scopes_disabled()`: the demo builds several tenants at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from stdnum import luhn
from stdnum.fr import siren

from accounts.models import Account, Contact, Organisation, ProcessingOffice, Right, User

DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105 (published demo logins, README)
STAFF_USERNAME = "staff"


def demo_siren(base: str) -> str:
    """A SIREN made of 8 digits and their Luhn check digit (the SIREN checksum)."""
    number = base + luhn.calc_check_digit(base)
    assert siren.is_valid(number), number
    return number


def french_vat(siren_number: str) -> str:
    """The intra-EU VAT number of a French company: FR + key (12 + 3 × (SIREN mod 97)) mod 97 + SIREN."""
    return "FR" + siren.to_tva(siren_number)


@dataclass(frozen=True)
class PersonSpec:
    first_name: str
    last_name: str
    email: str
    phone: str
    job_title: str = ""


@dataclass(frozen=True)
class OrgSpec:
    name: str
    siren_base: str
    naf_code: str
    address: str
    postal_code: str
    city: str
    phone: str
    domains: tuple[str, ...]
    contacts: tuple[PersonSpec, ...]

    @property
    def registration_number(self) -> str:
        return demo_siren(self.siren_base)


@dataclass(frozen=True)
class UserSpec:
    username: str
    first_name: str
    last_name: str
    superuser: bool = False
    rights: tuple[Right, ...] = ()


@dataclass(frozen=True)
class AccountSpec:
    name: str
    kind: str
    formula: str
    language: str
    domain: str
    holder: OrgSpec
    others: tuple[OrgSpec, ...]
    users: tuple[UserSpec, ...] = field(default=())
    approval_mode: bool = False  # ORD-5: orders by users without the Approval right wait for it


PARTNER = AccountSpec(
    name="Partner Demo Hosting",
    kind=Account.Kind.PROVIDER,
    formula=Account.Formula.REBATE,
    language="en",
    domain="partner-demo.test",
    holder=OrgSpec(
        "Partner Demo Hosting SAS",
        "73282932",
        "6311Z",
        "12 rue de la Roquette",
        "75011",
        "Paris",
        "+33 1 84 60 12 00",
        ("partner-demo.test", "www.partner-demo.test", "panel.partner-demo.test"),
        (
            PersonSpec(
                "Claire",
                "Moreau",
                "claire.moreau@partner-demo.test",
                "+33 1 84 60 12 01",
                "Managing director",
            ),
            PersonSpec(
                "Julien",
                "Petit",
                "julien.petit@partner-demo.test",
                "+33 1 84 60 12 02",
                "Head of infrastructure",
            ),
            PersonSpec(
                "Sophie", "Laurent", "sophie.laurent@partner-demo.test", "+33 1 84 60 12 03", "Accountant"
            ),
        ),
    ),
    others=(
        OrgSpec(
            "Boulangerie Martin SARL",
            "81245307",
            "1071C",
            "8 place des Terreaux",
            "69001",
            "Lyon",
            "+33 4 78 28 11 20",
            ("shop.partner-demo.test", "boulangerie-martin.partner-demo.test"),
            (PersonSpec("Paul", "Martin", "paul.martin@partner-demo.test", "+33 4 78 28 11 21", "Manager"),),
        ),
        OrgSpec(
            "Cabinet Durand Avocats",
            "84311962",
            "6910Z",
            "27 cours de l'Intendance",
            "33000",
            "Bordeaux",
            "+33 5 56 44 20 10",
            ("durand-avocats.partner-demo.test", "mail.partner-demo.test"),
            (
                PersonSpec(
                    "Hélène", "Durand", "helene.durand@partner-demo.test", "+33 5 56 44 20 11", "Partner"
                ),
                PersonSpec(
                    "Marc", "Blanc", "marc.blanc@partner-demo.test", "+33 5 56 44 20 12", "IT officer"
                ),
            ),
        ),
        OrgSpec(
            "Atelier Leroy Design",
            "88907154",
            "7410Z",
            "5 quai de la Fosse",
            "44000",
            "Nantes",
            "+33 2 40 12 33 40",
            ("leroy-design.partner-demo.test", "portfolio.partner-demo.test"),
            (PersonSpec("Inès", "Leroy", "ines.leroy@partner-demo.test", "+33 2 40 12 33 41", "Founder"),),
        ),
    ),
    users=(
        UserSpec("partner", "Claire", "Moreau", superuser=True),
        UserSpec("partner-tech", "Julien", "Petit", rights=(Right.TECHNICAL,)),
        UserSpec("partner-billing", "Sophie", "Laurent", rights=(Right.BILLING,)),
    ),
    approval_mode=True,
)

ENTERPRISE = AccountSpec(
    name="Enterprise Demo SA",
    kind=Account.Kind.ENTERPRISE,
    formula=Account.Formula.CURRENT,
    language="fr",
    domain="enterprise-demo.test",
    holder=OrgSpec(
        "Enterprise Demo SA",
        "55210843",
        "7010Z",
        "40 avenue de l'Opéra",
        "75002",
        "Paris",
        "+33 1 70 38 50 00",
        ("www.enterprise-demo.test", "intranet.enterprise-demo.test", "api.enterprise-demo.test"),
        (
            PersonSpec(
                "Nathalie",
                "Bernard",
                "nathalie.bernard@enterprise-demo.test",
                "+33 1 70 38 50 01",
                "Chief information security officer",
            ),
            PersonSpec(
                "Thomas", "Roux", "thomas.roux@enterprise-demo.test", "+33 1 70 38 50 02", "System engineer"
            ),
        ),
    ),
    others=(
        OrgSpec(
            "Enterprise Demo Services SAS",
            "90416528",
            "6202A",
            "18 rue Nationale",
            "59000",
            "Lille",
            "+33 3 20 55 70 00",
            ("services.enterprise-demo.test", "support.enterprise-demo.test"),
            (
                PersonSpec(
                    "Lucas",
                    "Fontaine",
                    "lucas.fontaine@enterprise-demo.test",
                    "+33 3 20 55 70 01",
                    "IT manager",
                ),
            ),
        ),
    ),
    users=(UserSpec("enterprise", "Nathalie", "Bernard", superuser=True),),
)

DEMO_ACCOUNTS = (PARTNER, ENTERPRISE)


@dataclass
class DemoAccount:
    """What the order part needs of a demo account once it exists."""

    spec: AccountSpec
    account: Account
    organisations: list[tuple[Organisation, OrgSpec, list[Contact]]]
    users: dict[str, User]


def _organisation(account: Account, spec: OrgSpec, *, holder: bool) -> tuple[Organisation, list[Contact]]:
    number = spec.registration_number
    org = Organisation.objects.filter(account=account, registration_number=number).first()
    if org is None:
        org = Organisation(
            account=account,
            name=spec.name,
            registration_number=number,
            naf_code=spec.naf_code,
            vat_number=french_vat(number),
            address=spec.address,
            postal_code=spec.postal_code,
            city=spec.city,
            country="FR",
            phone=spec.phone,
        )
        org.is_account_holder = holder  # editable=False: set by code only
        org.save()
    contacts = []
    for person in spec.contacts:
        contact, _ = Contact.objects.get_or_create(
            account=account,
            organisation=org,
            email=person.email,
            defaults={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "phone": person.phone,
                "job_title": person.job_title,
            },
        )
        contacts.append(contact)
    return org, contacts


def _user(username: str, **fields: Any) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, **fields)
        user.set_password(DEMO_PASSWORD)
        user.save()
    elif not user.check_password(DEMO_PASSWORD):
        # The demo promises these logins: a changed password is put back.
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def ensure_staff() -> User:
    """The back-office login of the demo (staff at /staff/)."""
    return _user(
        STAFF_USERNAME,
        email="staff@portal.test",
        first_name="Sam",
        last_name="Staff",
        is_staff=True,
        is_superuser=True,
    )


def ensure_account(spec: AccountSpec) -> DemoAccount:
    """An active, validated account with its organisations, contacts and users (ACC-1, ADM-1, ADM-2)."""
    now = timezone.now()
    account, _ = Account.objects.get_or_create(
        name=spec.name,
        defaults={
            "kind": spec.kind,
            "formula": spec.formula,
            "language": spec.language,
            "approval_mode": spec.approval_mode,
            "status": Account.Status.ACTIVE,
            "validated_at": now,
            "terms_accepted_at": now,
        },
    )
    if account.approval_mode != spec.approval_mode:
        # The demo orders rely on it: orders by partner-tech wait for approval (ORD-5).
        account.approval_mode = spec.approval_mode
        account.save(update_fields=["approval_mode"])
    holder, holder_contacts = _organisation(account, spec.holder, holder=True)
    organisations = [(holder, spec.holder, holder_contacts)]
    for other in spec.others:
        org, contacts = _organisation(account, other, holder=False)
        organisations.append((org, other, contacts))
    if account.office_id is None:
        # STAFF-1: every demo account is handled by the Lyon office.
        account.office, _ = ProcessingOffice.objects.get_or_create(
            name="Lyon office",
            defaults={
                "email": "lyon-office@portal.test",
                "phone": "+33 4 78 00 12 34",
                "hours": "Monday to Friday, 9:00–18:00",
            },
        )
        account.save(update_fields=["office"])
    if account.administrative_contact_id is None:
        account.administrative_contact = holder_contacts[0]
        account.technical_contact = holder_contacts[1]
        account.save(update_fields=["administrative_contact", "technical_contact"])
    users = {}
    for user_spec in spec.users:
        user = _user(
            user_spec.username,
            account=account,
            email=f"{user_spec.username}@{spec.domain}",
            first_name=user_spec.first_name,
            last_name=user_spec.last_name,
            language=spec.language,
            is_account_superuser=user_spec.superuser,
        )
        if not user_spec.superuser and user.rights != list(user_spec.rights):
            user.set_rights(user_spec.rights)
            user.save()
        users[user_spec.username] = user
    return DemoAccount(spec, account, organisations, users)
