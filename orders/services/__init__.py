"""Order workflows (ORD, LIFE, STAFF-2): views, the admin and tasks call these, never the models' save.

Split by stage: `pricing` and `names` (ORD-2), `ordering` (ORD-3, ORD-6), `lifecycle` (LIFE-1,
payments), `issuing` (STAFF-2, LIFE-3), `status` (LIFE-2).
"""

from .issuing import DOWNLOAD_FORMATS, issue_certificate, recommended_format
from .lifecycle import IllegalTransition, record_payment, subscription_end, transition
from .ordering import (
    OrderError,
    csr_warnings,
    find_submitted,
    initial_status,
    submit_order,
)
from .pricing import NameKind, NameLine, classify_names, name_lines, order_price, period_price, vat_amount
from .status import Step, StepState, verification_steps

__all__ = [
    "DOWNLOAD_FORMATS",
    "IllegalTransition",
    "NameKind",
    "NameLine",
    "OrderError",
    "Step",
    "StepState",
    "classify_names",
    "csr_warnings",
    "find_submitted",
    "initial_status",
    "issue_certificate",
    "name_lines",
    "order_price",
    "period_price",
    "record_payment",
    "recommended_format",
    "submit_order",
    "subscription_end",
    "transition",
    "verification_steps",
    "vat_amount",
]
