"""Plain-text notification mail through SMTP (smtplib)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str) -> None:
        """Send one mail; raise OSError or smtplib.SMTPException when it cannot be handed over."""


@dataclass(frozen=True)
class SmtpMailer:
    """Hands each mail to one SMTP server, with STARTTLS and a login when configured."""

    host: str
    port: int
    sender: str
    timeout: float
    starttls: bool = False
    user: str | None = None
    password: str | None = None

    def send(self, to: str, subject: str, text: str) -> None:
        """Send one mail; raises OSError (connection, timeout) or smtplib.SMTPException (refused)."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text, charset="utf-8")
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)
