"""Sending while rendering: a thread writes a batch's messages to the SMTP connection while the dispatcher
renders the next ones (door QR codes not stored yet included) and records the outcomes.

Rendering is Python work; sending is mostly waiting for the server's replies. Done one after the other in
one thread, each waited for the other, and a worker took two to three times a plain smtplib loop's time
(bench/mail_send.py). The thread touches only the connection and the rate limiter: no database, no
application context. Messages go in through one queue and outcomes come back through another; the
dispatcher records them in its own transactions, as before, so what a crash can duplicate is unchanged
(the messages sent since the last recorded flush).
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from email.utils import format_datetime

from ..timeutils import utcnow
from .ratelimit import LimitReached
from .transport import ConnectionLost, PermanentFailure, TemporaryFailure

_DONE = object()


@dataclass
class Outcome:
    """What became of one message: sent (`error` None), refused, or not attempted (`attempted` False)."""

    item: object  # the sender's Outgoing
    error: Exception | None = None
    attempted: bool = True


class SendingThread:
    """One connection's sender: `put` rendered messages, read `outcomes`, then `close` and read
    `next_outcomes` until it gives None.

    After the connection is lost, the messages still queued come back unattempted (`attempted=False`)
    and `lost` holds the reason; an unexpected error in the thread is raised again by `finish`.
    """

    def __init__(self, transport, limiter):
        self.transport, self.limiter = transport, limiter
        self.lost: ConnectionLost | None = None
        self._in: queue.SimpleQueue = queue.SimpleQueue()
        self._out: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._abandoned = False
        self._put = self._finished = 0  # messages given to the thread, and those it is done with
        self._thread = threading.Thread(target=self._run, name="mail-send", daemon=True)

    def __enter__(self) -> SendingThread:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._thread.is_alive():  # an error in the caller: what is queued is not sent (nobody would record it)
            self._abandoned = True
            self._in.put(_DONE)
            self._thread.join()

    def put(self, item) -> None:
        self._put += 1
        self._in.put(item)

    def waiting(self) -> int:
        """How many of the messages put the thread has not sent (or given back) yet."""
        return self._put - self._finished

    def outcomes(self) -> list[Outcome]:
        """The outcomes known so far, without waiting."""
        found = []
        while True:
            try:
                found.append(self._out.get_nowait())
            except queue.Empty:
                return found

    def close(self) -> None:
        """No more messages: the thread ends once every message put is sent or given back."""
        self._in.put(_DONE)

    def next_outcomes(self, wait: float = 0.1) -> list[Outcome] | None:
        """After `close`: the outcomes that arrived (waiting up to `wait` for one), or None once the thread
        has ended and every outcome was read. An unexpected error in the thread is raised here.

        The dispatcher records what comes back while the thread is still sending, so a worker killed
        while the tail of a batch goes out leaves at most MAIL_RECORD_EVERY messages sent but unrecorded.
        """
        found = self.outcomes()
        if found:
            return found
        if not self._thread.is_alive():
            self._thread.join()
            if self._error is not None:
                raise self._error
            return self.outcomes() or None
        try:
            found.append(self._out.get(timeout=wait))
        except queue.Empty:
            pass
        return found + self.outcomes()

    def _run(self) -> None:
        try:
            while (item := self._in.get()) is not _DONE:
                outcome = self._send(item)
                self._finished += 1  # before its outcome can be read
                self._out.put(outcome)
        except BaseException as error:  # handed to the dispatcher by finish()
            self._error = error

    def _send(self, item) -> Outcome:
        if self.lost is not None or self._abandoned:
            return Outcome(item, attempted=False)
        try:
            self.limiter.take(getattr(item, "domain", ""))
        except LimitReached as error:  # a provider's window is full: the message waits in the outbox
            return Outcome(item, error)
        del item.email["Date"]
        item.email["Date"] = format_datetime(utcnow(), usegmt=True)  # RFC 5322, at send time
        try:
            self.transport.send(item.email, item.envelope_sender)
        except ConnectionLost as error:
            self.lost = error
            return Outcome(item, error)
        except (PermanentFailure, TemporaryFailure) as error:
            return Outcome(item, error)
        return Outcome(item)
