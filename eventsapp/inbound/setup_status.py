"""Whether mail that comes back is set up, and where it is read from: what the received-mail page
tells an administrator (never the mailbox's password)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..mail.addresses import reply_address
from .receiving import parse_inbox_url


@dataclass(frozen=True)
class InboundSetup:
    reply_address: str | None  # where answers, bounces and replies come back; None: not set up
    mailbox: str | None  # the IMAP folder read (MAIL_INBOX_URL), e.g. "INBOX" ...
    mailbox_host: str | None  # ... on this server
    folder: str | None  # the folder of .eml files read (the embedded default)


def inbound_setup() -> InboundSetup:
    """The configuration as the page shows it; a mailbox URL that cannot be read shows no mailbox."""
    config = current_app.config
    url = config.get("MAIL_INBOX_URL")
    mailbox = host = None
    if url:
        try:
            parts = parse_inbox_url(url)
        except ValueError:
            pass
        else:
            mailbox, host = parts["folder"], parts["host"]
    folder = config.get("MAIL_INBOX_DIR") if not url else None
    return InboundSetup(reply_address(), mailbox, host, folder)
