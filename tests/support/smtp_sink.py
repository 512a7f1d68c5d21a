"""A real SMTP server (aiosmtpd) that keeps what it receives.

It can refuse chosen recipients with a permanent 5xx, and can be stopped and
started again on the same port to simulate an outage. It offers PIPELINING (RFC 2920), as Postfix
does, unless `handler.pipelining` is set to False.
"""
from __future__ import annotations

import email
import email.header
import email.policy
import threading
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)

    def header(self, name: str) -> str:
        """A header decoded as RFC 2047 says: adjacent encoded words joined (CPython's address parser
        puts a space between them, so long display names are read through this instead)."""
        raw = email.message_from_bytes(self.data, policy=email.policy.compat32)[name]
        return str(email.header.make_header(email.header.decode_header(raw)))


@dataclass
class SinkHandler:
    messages: list[Received] = field(default_factory=list)
    reject: dict[str, str] = field(default_factory=dict)  # recipient -> "550 reason"
    lock: threading.Lock = field(default_factory=threading.Lock)
    pipelining: bool = True
    greetings: int = 0  # EHLOs received: one per connection a client opened

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # aiosmtpd answers commands in the order they arrive whether or not the client waited.
        session.host_name = hostname
        self.greetings += 1
        if self.pipelining:
            return [responses[0], "250-PIPELINING", *responses[1:]]
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return self.reject[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.handler = SinkHandler()
        self.port = port or _free_port(host)
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname=self.host, port=self.port,
                                     data_size_limit=50 * 1024 * 1024)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.messages.clear()
        self.handler.reject.clear()
        self.handler.pipelining = True

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        """Wait until at least `count` messages have arrived; returns them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.05)
        raise AssertionError(f"SMTP sink got {len(self.messages)} messages, expected {count}")

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address.lower() in (r.lower() for r in m.recipients)]


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
