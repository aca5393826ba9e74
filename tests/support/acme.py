"""Shared helpers of the ACME tests (AUTO-2): a DV product, an account that can pay, an endpoint."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import Account, Contact, Organisation, User
from acmeserver.models import AcmeEndpoint
from acmeserver.services.endpoints import create_endpoint
from catalog.models import Product, ProductType
from tests import factories


def dv_product(code: str = "ssl-dv", **fields) -> Product:
    return factories.make_product(
        code,
        price=Decimal("50.00"),
        product_type=ProductType.SERVER_DV,
        validation="DV",
        **fields,
    )


def holder(account: Account) -> tuple[Organisation, Contact, Contact]:
    organisation = Organisation.objects.get(account=account)
    admin, tech = Contact.objects.filter(account=account).order_by("pk")[:2]
    return organisation, admin, tech


def make_endpoint(
    account: Account, user: User, product: Product, name: str = "Web servers"
) -> tuple[AcmeEndpoint, str]:
    organisation, admin, tech = holder(account)
    created = create_endpoint(
        account,
        name=name,
        product=product,
        period_months=12,
        organisation=organisation,
        admin_contact=admin,
        technical_contact=tech,
        by=user,
    )
    return created.endpoint, created.hmac_key


class AcmeClient:
    """An ACME client over Django's test client, signing with josepy and the `acme` package's JWS
    and EAB (the same code certbot uses), so the server is tested against the real encodings."""

    def __init__(self, client, endpoint: AcmeEndpoint, key=None) -> None:
        import josepy as jose
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.client = client
        self.endpoint = endpoint
        self.key = key or jose.JWKRSA(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
        self.kid: str | None = None
        self.directory = client.get(f"/acme/{endpoint.public_id}/directory").json()

    def nonce(self) -> str:
        return self.client.head(self.directory["newNonce"])["Replay-Nonce"]

    def sign(self, url: str, payload, *, key=None, kid: str | None = None, nonce: str | None = None) -> str:
        import json

        import josepy as jose
        from acme import jws

        body = b"" if payload is None else json.dumps(payload).encode()
        return jws.JWS.sign(
            body,
            key=key or self.key,
            alg=jose.RS256,
            nonce=jose.b64decode(nonce or self.nonce()),
            url=url,
            kid=kid if kid is not None else self.kid,
        ).json_dumps()

    def post(self, url: str, payload=None, **kwargs):
        return self.client.post(url, self.sign(url, payload, **kwargs), content_type="application/jose+json")

    def eab(self, kid: str, hmac_key: str) -> dict:
        from acme import messages

        return messages.ExternalAccountBinding.from_data(
            account_public_key=self.key.public_key(),
            kid=kid,
            hmac_key=hmac_key,
            directory=messages.Directory.from_json(self.directory),
        )

    def register(self, hmac_key: str, kid: str | None = None):
        response = self.post(
            self.directory["newAccount"],
            {
                "termsOfServiceAgreed": True,
                "contact": ["mailto:ops@example.test"],
                "externalAccountBinding": self.eab(kid or self.endpoint.eab_key_id, hmac_key),
            },
        )
        if response.status_code in (200, 201):
            self.kid = response["Location"]
        return response
