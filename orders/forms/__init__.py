"""Order forms (ORD-2, ORD-4): the order form of every product type and the parts bound to it.

`OrderRequest` is what the views use; `OrderForm` chooses its fields by the product's profile.
"""

from .invitation import InvitationCsrForm
from .order import OrderForm
from .parts import NewContactForm, NewOrganisationForm
from .request import OrderRequest

__all__ = ["InvitationCsrForm", "NewContactForm", "NewOrganisationForm", "OrderForm", "OrderRequest"]
