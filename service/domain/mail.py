"""Plain-text notification mail through SMTP (smtplib), connected through the outbound policy."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import EmailMessage
from typing import Protocol

from service.domain import outbound

# Lines of up to 998 characters (RFC 5322), so a header holding a long link, such as
# List-Unsubscribe, is folded at its spaces and never turned into encoded words.
MESSAGE_POLICY = email_policy.SMTP.clone(max_line_length=998)


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str, headers: Mapping[str, str] | None = None) -> None:
        """Send one mail, with ``headers`` besides From, To and Subject; raise OSError or smtplib.SMTPException when it cannot be handed over,
        outbound.Refused when the policy does not allow the relay."""


class _GuardedSMTP(smtplib.SMTP):
    """smtplib's SMTP client, whose connection is opened by the outbound policy."""

    def __init__(self, host: str, port: int, timeout: float, policy: outbound.Policy) -> None:
        # Set before the base class connects, which it does in its constructor.
        self.outbound_policy = policy
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return outbound.connect(host, port, self.outbound_policy, timeout=timeout)


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
    # A relay on a private address (the usual local MTA) must be named in the policy.
    outbound_policy: outbound.Policy = field(default_factory=outbound.Policy)

    def send(self, to: str, subject: str, text: str, headers: Mapping[str, str] | None = None) -> None:
        """Send one mail; raises OSError (connection, timeout), smtplib.SMTPException (refused)
        or outbound.Refused (the relay is not allowed)."""
        message = EmailMessage(policy=MESSAGE_POLICY)
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(text, charset="utf-8")
        with _GuardedSMTP(self.host, self.port, self.timeout, self.outbound_policy) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)
