"""An email backend for the fault tests' worker: each message becomes one .eml file in
$FAULT_MAIL_DIR, and while the file "hold" exists there, sending stops half-way (after a
"started-<pid>" file says which process is sending) so the test can kill that process."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class GatedFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(os.environ["FAULT_MAIL_DIR"])
        hold = folder / "hold"
        if hold.exists():
            (folder / f"started-{os.getpid()}").write_text(str(time.time()))
            deadline = time.monotonic() + 120
            while hold.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        for message in email_messages:
            (folder / f"{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)
