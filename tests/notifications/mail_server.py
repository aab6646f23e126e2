"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the tests that read the mail residents receive."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class MailServer:
    """What the SMTP server received; ``refuse`` mails are answered 451 (try again later) first."""

    port: int = 0
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refuse: int = 0

    def to(self, address: str) -> list[EmailMessage]:
        return [message for recipients, message in self.received if recipients == [address]]


@pytest.fixture()
def mail_server() -> Iterator[MailServer]:
    state = MailServer()

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            if state.refuse:
                state.refuse -= 1
                return "451 4.3.0 try again later"
            message = message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[attr-defined]
            state.received.append((list(envelope.rcpt_tos), message))  # type: ignore[attr-defined]
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        state.port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=state.port)
    controller.start()
    yield state
    controller.stop()


def text_of(message: EmailMessage) -> str:
    return message.get_content().replace("\r\n", "\n")
