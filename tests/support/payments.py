"""Recording a receipt in the back office as staff do: the form, then the confirmation step."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone


def record_receipt_in_admin(
    client, url: str, amount: Decimal | str, *, reference: str = "VIR-1", method: str = "transfer", day=None
):
    """Post the form, check the confirmation page is shown (nothing booked yet), then confirm.
    Returns (confirmation page response, final response)."""
    data = {
        "amount": str(amount),
        "received_on": (day or timezone.localdate()).isoformat(),
        "method": method,
        "reference": reference,
    }
    check = client.post(url, data)
    assert check.status_code == 200, check.content.decode()[:3000]
    assert "Record this payment" in check.content.decode(), check.content.decode()[:3000]
    done = client.post(url, {**data, "confirmed": "yes"})
    return check, done
