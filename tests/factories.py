"""Small builders for test data; each returns a saved object."""

from __future__ import annotations

from decimal import Decimal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.utils import timezone

from accounts.models import Account, Contact, Organisation, Right, User
from catalog.models import Brand, Product, ProductPeriod, ProductType

PASSWORD = "correct-horse-battery-2026"


def make_account(name: str, domain: str, **fields) -> Account:
    account = Account.objects.create(
        name=name,
        kind=fields.pop("kind", Account.Kind.PROVIDER),
        formula=fields.pop("formula", Account.Formula.REBATE),
        status=fields.pop("status", Account.Status.ACTIVE),
        validated_at=timezone.now(),
        **fields,
    )
    org = Organisation(
        account=account,
        name=name,
        registration_number=str(abs(hash(name)) % 10**9).zfill(9),
        address="1 rue de la Paix",
        postal_code="75002",
        city="Paris",
        country="FR",
        vat_number="FR40303265045",
    )
    org.is_account_holder = True
    org.save()
    Contact.objects.create(
        account=account,
        organisation=org,
        first_name="Alice",
        last_name="Admin",
        email=f"admin@{domain}",
        phone="+33 1 02 03 04 05",
    )
    Contact.objects.create(
        account=account,
        organisation=org,
        first_name="Tom",
        last_name="Tech",
        email=f"tech@{domain}",
        phone="+33 1 02 03 04 06",
    )
    return account


def make_user(
    account: Account, username: str, *, superuser: bool = False, rights: list[Right] | None = None
) -> User:
    user = User(
        account=account,
        username=f"{username}-{account.pk}",
        email=f"{username}-{account.pk}@example.test",
        first_name=username.capitalize(),
        last_name="User",
        is_account_superuser=superuser,
    )
    user.set_rights(rights or [])
    user.set_password(PASSWORD)
    user.save()
    return user


def make_staff(username: str) -> User:
    user = User(username=username, email=f"{username}@portal.test", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def seed_brand(brand: Brand) -> None:
    """A brand of the reference catalogue gets its seed's DCV methods and chains, as load_catalog
    gives them (catalog.seed)."""
    from catalog.models import Chain
    from catalog.seed import BRAND_DCV_METHODS, CHAINS

    if brand.code in BRAND_DCV_METHODS:
        brand.dcv_methods = BRAND_DCV_METHODS[brand.code]
        brand.save(update_fields=["dcv_methods"])
    for position, (code, label, cross, recommended) in enumerate(CHAINS.get(brand.code, []), start=1):
        Chain.objects.create(
            brand=brand,
            code=code,
            label=label,
            cross_signed=cross,
            recommended=recommended,
            position=position * 10,
        )


def make_product(
    code: str,
    *,
    price: Decimal = Decimal("100.00"),
    brand_code: str = "tbs-x509",
    product_type: str = ProductType.SERVER_OV,
    **fields,
) -> Product:
    brand, created = Brand.objects.get_or_create(code=brand_code, defaults={"name": brand_code.upper()})
    if created:
        seed_brand(brand)
    product = Product.objects.create(
        brand=brand,
        code=code,
        name=fields.pop("name", code.upper()),
        product_type=product_type,
        validation=fields.pop("validation", "OV"),
        publicly_trusted_tls=fields.pop("publicly_trusted_tls", True),
        max_sans=fields.pop("max_sans", 10),
        included_sans=fields.pop("included_sans", 1),
        san_price=fields.pop("san_price", Decimal("30.00")),
        **fields,
    )
    ProductPeriod.objects.create(product=product, months=12, price=price)
    ProductPeriod.objects.create(product=product, months=24, price=price * 2 - Decimal("20.00"))
    return product


def make_key(kind: str = "rsa2048"):
    match kind:
        case "rsa2048":
            return rsa.generate_private_key(public_exponent=65537, key_size=2048)
        case "rsa1024":
            return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (a refused key)
        case "p256":
            return ec.generate_private_key(ec.SECP256R1())
        case "p384":
            return ec.generate_private_key(ec.SECP384R1())
        case "p192":
            return ec.generate_private_key(ec.SECP192R1())
    raise ValueError(kind)


def make_csr(common_name: str, sans: list[str] | None = None, key=None, org: str | None = None) -> str:
    key = key or make_key()
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    names = [common_name, *(sans or [])]
    builder = builder.add_extension(
        x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
    )
    csr = builder.sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()
