"""The ways in: an IMAP mailbox (polled), an MTA's pipe (`flask mail receive`), an inbox folder.

Each stores the raw message (services.store) and commits before letting the message go (moving it
to the processed folder), so a crash in between stores it again next time — harmless, since the
Message-ID is stored once — and never loses it.
"""
from __future__ import annotations

import logging
import os
import ssl
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app

from ..extensions import db
from . import services

logger = logging.getLogger(__name__)
FETCH_CHUNK = 50


def receive(raw: bytes, source: str, envelope_recipient: str = "") -> tuple[int, bool]:
    """Store one message and commit (its processing is queued after the commit)."""
    try:
        result = services.store(raw, source, envelope_recipient)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def poll_all() -> dict:
    """The beat's poll: the IMAP mailbox when configured; the inbox folder when there is no mailbox
    (the embedded default: created on first run) or when it exists; stored messages left waiting."""
    counts = {}
    url = current_app.config.get("MAIL_INBOX_URL")
    if url:
        counts["imap"] = poll_imap(url)
    folder = current_app.config.get("MAIL_INBOX_DIR")
    if folder and (not url or Path(folder).is_dir()):
        Path(folder).mkdir(parents=True, exist_ok=True)
        counts["folder"] = poll_folder(folder)
    counts["requeued"] = services.requeue_stale()
    db.session.commit()
    return counts


def parse_inbox_url(url: str) -> dict:
    """imap[s]://user:password@host[:port]/FOLDER → connection settings (user and password URL-quoted)."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ValueError("MAIL_INBOX_URL must look like imaps://user:password@host/INBOX")
    return {"host": parts.hostname, "port": parts.port or (993 if parts.scheme == "imaps" else 143),
            "ssl": parts.scheme == "imaps", "user": unquote(parts.username or ""),
            "password": unquote(parts.password or ""), "folder": unquote(parts.path.lstrip("/")) or "INBOX"}


def poll_imap(url: str) -> dict:
    """Fetch every message of the folder, store it, then move it to MAIL_INBOX_PROCESSED_FOLDER."""
    from imapclient import IMAPClient

    settings = parse_inbox_url(url)
    processed_folder = current_app.config.get("MAIL_INBOX_PROCESSED_FOLDER") or "eventsapp-processed"
    stored = seen = 0
    context = ssl.create_default_context() if settings["ssl"] else None
    with IMAPClient(settings["host"], port=settings["port"], ssl=settings["ssl"], ssl_context=context,
                    timeout=30) as client:
        client.login(settings["user"], settings["password"])
        if not client.folder_exists(processed_folder):
            client.create_folder(processed_folder)
        client.select_folder(settings["folder"])
        uids = client.search(["NOT", "DELETED"])
        can_move = client.has_capability("MOVE")
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = uids[start:start + FETCH_CHUNK]
            fetched = client.fetch(chunk, ["BODY.PEEK[]"])
            done = []
            for uid in chunk:
                raw = (fetched.get(uid) or {}).get(b"BODY[]")
                if raw is None:
                    continue
                seen += 1
                _, new = receive(bytes(raw), "imap")
                stored += int(new)
                done.append(uid)
            if done:
                if can_move:
                    client.move(done, processed_folder)
                else:
                    client.copy(done, processed_folder)
                    client.delete_messages(done)
                    client.expunge(done)
    logger.info("IMAP poll: %d messages, %d new", seen, stored)
    return {"seen": seen, "stored": stored}


def poll_folder(folder: str) -> dict:
    """The embedded default: each `*.eml` in the folder is stored, then moved to `processed/`."""
    base = Path(folder)
    done_dir = base / "processed"
    done_dir.mkdir(exist_ok=True)
    stored = seen = 0
    for path in sorted(base.glob("*.eml")):
        seen += 1
        _, new = receive(path.read_bytes(), "folder")
        stored += int(new)
        os.replace(path, done_dir / path.name)
    return {"seen": seen, "stored": stored}
