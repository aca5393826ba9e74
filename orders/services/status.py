"""What the status page says about an order's progress (LIFE-2).

The verification steps are honest about what exists today: the CSR is checked by the portal when
the order is placed (ORD-6); the OV callback is checked by our validation team before they issue,
so it reads "awaiting validation by our team" until the certificate is issued, and "done" after,
unless a valid pre-validation of the organisation covers it (AUTO-1): then it is done, with a note
saying which pre-validation and until when.
CAA and DCV follow the order's domain validations (ORD-8, orders.services.dcv).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from catalog.models import Product

from ..models import CLOSED, DELIVERED, Order
from .dcv_display import caa_step_state, dcv_step_state
from .prevalidation import covered_note, covering_order
from .steps import Step, StepState

__all__ = ["Step", "StepState", "verification_steps"]


def verification_steps(order: Order) -> list[Step]:
    """LIFE-2: CAA record, CSR check, DCV, OV callback, each with its state; none for a closed order."""
    if order.status in CLOSED:
        return []
    validated = StepState.DONE if order.status in DELIVERED else StepState.AWAITING
    organisation_checked = order.product.validation in {Product.Validation.OV, Product.Validation.EV}
    callback = Step(str(_("OV callback")), validated if organisation_checked else StepState.NOT_REQUIRED)
    if organisation_checked and validated != StepState.DONE:
        prevalidation = covering_order(order)
        if prevalidation is not None:
            callback = Step(callback.label, StepState.DONE, covered_note(prevalidation))

    return [
        Step(str(_("CAA record")), caa_step_state(order)),
        Step(str(_("CSR check")), StepState.DONE if order.csr else StepState.NOT_REQUIRED),
        Step(str(_("Domain control validation (DCV)")), dcv_step_state(order)),
        callback,
    ]
