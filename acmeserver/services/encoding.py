"""Small JOSE helpers shared by the JWS parser and the key rollover."""

from __future__ import annotations

import json
from typing import Any, cast

import josepy as jose
from django.utils.translation import gettext as _

from .problems import AcmeProblem


def decode_protected(raw: Any) -> dict[str, Any]:
    try:
        data = json.loads(jose.b64decode(raw))
    except (ValueError, TypeError, jose.Error):
        raise AcmeProblem("malformed", _("The protected header cannot be read.")) from None
    if not isinstance(data, dict):
        raise AcmeProblem("malformed", _("The protected header must be a JSON object."))
    return data


def load_jwk(data: Any) -> jose.JWK:
    """A JWK from its JSON (raises josepy's errors on a bad one)."""
    return cast(jose.JWK, jose.JWK.from_json(data))
