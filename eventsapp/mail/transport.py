"""Where e-mail goes: an SMTP server, or `.eml` files in an outbox folder.

A transport is opened once per batch and sends many messages over one
connection. `send` returns the Message-ID; it raises `TemporaryFailure`
(retry later) or `PermanentFailure` (5xx: do not retry) with the server's reason.

When the server offers PIPELINING (RFC 2920; Postfix, Exim and the big providers do), a message takes
two round trips instead of four: MAIL, RCPT and DATA go in one write and their replies are read
together, then the content. On a fast server the client's waits were a third of its time per message.
"""
from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import uuid
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

from .compose import Mail

logger = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    """The message may go through later (connection lost, 4xx)."""


class ConnectionLost(TemporaryFailure):
    """No connection to the server (refused, dropped, timed out): nothing after this can go either."""


class PermanentFailure(Exception):
    """The server refused the message for good (5xx)."""


def _ensure_message_id(message: Mail) -> str:
    if not message.get("Message-ID"):
        message["Message-ID"] = make_msgid(domain="eventsapp")
    return message["Message-ID"]


class SmtpTransport:
    def __init__(self, host: str, port: int, *, use_tls: bool = False, username: str | None = None,
                 password: str | None = None, timeout: float = 30, sign=None):
        self.host, self.port, self.use_tls, self.sign = host, port, use_tls, sign
        self.username, self.password, self.timeout = username, password, timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        try:
            self._smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.use_tls:
                self._smtp.starttls(context=ssl.create_default_context())
            if self.username:
                self._smtp.login(self.username, self.password or "")
            self._smtp.ehlo_or_helo_if_needed()
        except (OSError, smtplib.SMTPException) as error:
            raise ConnectionLost(f"cannot connect to {self.host}:{self.port}: {error}") from error
        self.pipelining = self._smtp.has_extn("pipelining")
        return self

    def __exit__(self, *exc) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def send(self, message: Mail, envelope_sender: str | None = None) -> str:
        """Send `message`; `envelope_sender` (VERP: where bounces go) defaults to its Sender or From."""
        message_id = _ensure_message_id(message)
        sender = envelope_sender or (message.addresses("Sender") or message.addresses("From"))[0]
        recipients = message.addresses("To") + message.addresses("Cc")
        # Like smtplib.send_message: an address outside ASCII needs the server's SMTPUTF8.
        options = ["SMTPUTF8", "BODY=8BITMIME"] if not "".join([sender, *recipients]).isascii() else []
        data = _final_bytes(message, self.sign)
        try:
            if self.pipelining:
                refused = _send_pipelined(self._smtp, sender, recipients, data, options)
            else:
                refused = self._smtp.sendmail(sender, recipients, data, options)
        except smtplib.SMTPRecipientsRefused as error:
            code, reason = next(iter(error.recipients.values()))
            raise _classify(code, reason) from error
        except smtplib.SMTPResponseException as error:
            raise _classify(error.smtp_code, error.smtp_error) from error
        except smtplib.SMTPNotSupportedError as error:  # SMTPUTF8 asked of a server without it
            raise PermanentFailure(str(error)) from error
        except smtplib.SMTPServerDisconnected as error:
            raise ConnectionLost(str(error) or "server disconnected") from error
        except smtplib.SMTPException as error:  # (a subclass of OSError: test it first)
            raise TemporaryFailure(str(error)) from error
        except OSError as error:
            raise ConnectionLost(str(error) or type(error).__name__) from error
        if refused:
            code, reason = next(iter(refused.values()))
            raise _classify(code, reason)
        return message_id


_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _send_pipelined(smtp: smtplib.SMTP, sender: str, recipients: list[str], data: bytes,
                    options: list[str]) -> dict:
    """`smtp.sendmail(sender, recipients, data, options)` in two round trips (RFC 2920): the same
    replies checked in the same order, the same exceptions, the same refused-recipients result.

    `data` is ours (mail.compose): every line already ends in CRLF, so only dots are stuffed.
    """
    if "SMTPUTF8" in options and not smtp.has_extn("smtputf8"):
        raise smtplib.SMTPNotSupportedError("SMTPUTF8 not supported by server")
    encoding = "utf-8" if "SMTPUTF8" in options else "ascii"
    if smtp.has_extn("size"):  # RFC 1870, as sendmail does: a server may refuse a message too large at once
        options = [*options, f"SIZE={len(data)}"]
    mail_options = "".join(f" {option}" for option in options)
    commands = [f"MAIL FROM:<{sender}>{mail_options}", *(f"RCPT TO:<{address}>" for address in recipients), "DATA"]
    smtp.send(("".join(f"{command}\r\n" for command in commands)).encode(encoding))
    code, reply = smtp.getreply()
    replies = [smtp.getreply() for _ in recipients]
    data_code, data_reply = smtp.getreply()
    if code != 250:
        _reset(smtp, data_code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused = {address: answer for address, answer in zip(recipients, replies, strict=True) if answer[0] not in (250, 251)}
    if data_code == 354 and len(refused) == len(recipients):
        data_code, data_reply = _end_data(smtp, b"")  # no recipient left: an empty transaction, then refuse
    if len(refused) == len(recipients):
        smtp.rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    if data_code != 354:
        smtp.rset()
        raise smtplib.SMTPDataError(data_code, data_reply)
    code, reply = _end_data(smtp, data)
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)
    return refused


def _end_data(smtp: smtplib.SMTP, data: bytes) -> tuple[int, bytes]:
    """The content, dot-stuffed, and the final "." (as `smtplib.SMTP.data` sends them); the reply."""
    stuffed = _LEADING_DOT.sub(b"..", data)
    if stuffed and not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    smtp.send(stuffed + b".\r\n")
    return smtp.getreply()


def _reset(smtp: smtplib.SMTP, data_code: int) -> None:
    """After a refused MAIL: end a DATA the server accepted anyway, then RSET."""
    if data_code == 354:
        _end_data(smtp, b"")
    smtp.rset()


def _classify(code: int, reason) -> Exception:
    text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
    text = f"{code} {text}"
    return PermanentFailure(text) if 500 <= code < 600 else TemporaryFailure(text)


class FolderTransport:
    """Development: each message becomes an .eml file in the outbox folder."""

    def __init__(self, folder: str, sign=None):
        self.folder, self.sign = Path(folder), sign

    def __enter__(self) -> FolderTransport:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc) -> None:
        return None

    def send(self, message: Mail, envelope_sender: str | None = None) -> str:
        message_id = _ensure_message_id(message)
        name = f"{uuid.uuid4().hex}.eml"
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(_final_bytes(message, self.sign))
        os.replace(tmp, self.folder / name)  # readers never see half a file
        return message_id


def _final_bytes(message: Mail, sign) -> bytes:
    """The bytes that go out: DKIM-signed last, when a key is configured (mail.signing)."""
    data = bytes(message)
    return sign(data) if sign is not None else data


def open_transport():
    """The transport configured for this app (SMTP when MAIL_SERVER is set)."""
    # DKIM's key handling loads only when a transport is opened (the web process rarely opens one).
    from .signing import signer

    config = current_app.config
    if config.get("MAIL_SERVER"):
        return SmtpTransport(config["MAIL_SERVER"], config["MAIL_PORT"], use_tls=config["MAIL_USE_TLS"],
                             username=config.get("MAIL_USERNAME"), password=config.get("MAIL_PASSWORD"),
                             sign=signer())
    return FolderTransport(config["MAIL_OUTBOX_DIR"], sign=signer())
