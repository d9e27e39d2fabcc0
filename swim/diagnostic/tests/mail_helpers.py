"""Mail backends for tests of sending many invitations: one address refused, or no server.

Tests point ``settings.EMAIL_BACKEND`` at them; they deliver to ``django.core.mail.outbox``
like the test backend, except where they fail as a real SMTP server would.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.locmem import EmailBackend

#: The address ``RefusingBackend``'s mail server refuses.
REFUSED = "nobody@example.org"
#: Every address ``DownBackend`` was asked to send to, in order.
attempts: list[str] = []


class RefusingBackend(EmailBackend):
    """Delivers every email except those to :data:`REFUSED` (SMTP 550: no such mailbox)."""

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        for message in email_messages:
            if REFUSED in message.to:
                raise smtplib.SMTPRecipientsRefused({REFUSED: (550, b"5.1.1 No such mailbox")})
        return super().send_messages(email_messages)


class DownBackend(EmailBackend):
    """A mail server that cannot be reached: every email fails (and is counted)."""

    def open(self) -> bool:
        raise ConnectionRefusedError(111, "Connection refused")

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        attempts.extend(address for message in email_messages for address in message.to)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
