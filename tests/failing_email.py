"""An email backend whose SMTP server is down."""

from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend


class UnreachableSMTPBackend(BaseEmailBackend):
    def send_messages(self, email_messages: object) -> int:
        raise ConnectionRefusedError("smtp.example.com:587 refused the connection")
