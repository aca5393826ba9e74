"""The states of the status page's verification steps (LIFE-2), below both `status` and
`dcv_display`, which build steps from them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class StepState(models.TextChoices):
    NOT_REQUIRED = "not_required", _("Not required")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    AWAITING = "awaiting", _("Awaiting validation by our team")


@dataclass(frozen=True)
class Step:
    label: str
    state: StepState
    note: str = ""  # e.g. AUTO-1: "covered by the OV pre-validation … until DATE"

    @property
    def state_label(self) -> str:
        return str(self.state.label)
