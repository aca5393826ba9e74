"""ADM-9: the codes orders writes into audit details, as the audit log shows them (their labels in
the reader's language); accounts.audit_text keeps the codes themselves for the CSV."""

from __future__ import annotations

from accounts.audit_text import register_detail_values
from catalog.models import DcvMethod

from .models import (
    AuditDocumentKind,
    OrderOrigin,
    OrderStatus,
    PreValidation,
    RevocationReason,
    ServerSoftware,
)
from .services.payment import Method
from .services.reissue import OldCertificate, ReissueReason


def register_audit_labels() -> None:
    register_detail_values("status", OrderStatus, actions=["order.*"])
    register_detail_values("from", OrderStatus, actions=["order.status_changed"])
    register_detail_values("to", OrderStatus, actions=["order.status_changed"])
    register_detail_values("method", Method, actions=["order.*"])
    register_detail_values("origin", OrderOrigin, actions=["order.submitted"])
    register_detail_values("server_software", ServerSoftware, actions=["order.*"])
    register_detail_values("kinds", AuditDocumentKind, actions=["order.documents_requested"])
    for key in ("method", "from", "to"):
        register_detail_values(key, DcvMethod, actions=["dcv.*"])
    register_detail_values("reason", RevocationReason, actions=["certificate.revoked"])
    register_detail_values("reason", ReissueReason, actions=["certificate.reissued"])
    register_detail_values("old_certificate", OldCertificate, actions=["certificate.reissued"])
    register_detail_values("type", PreValidation.Type, actions=["prevalidation.*"])  # AUTO-1
