"""From an outbox row to an e-mail: one renderer per message kind.

Domains register theirs (`@renderer(MessageKind.REMINDER)`); the sender calls
`render(message)` in the worker, so thousands of messages are built in
batches there rather than in the request that queued them.
"""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable

from .compose import Mail
from .models import MessageKind, OutboxMessage

Renderer = Callable[[OutboxMessage], Mail]
_RENDERERS: dict[MessageKind, Renderer] = {}
_batch_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("mail_batch_memo", default=None)


def renderer(kind: MessageKind):
    def register(function: Renderer) -> Renderer:
        _RENDERERS[kind] = function
        return function
    return register


def load_all() -> None:
    """Import every domain's `emails` module, where renderers register."""
    # The domains sit above mail and register their renderers here: they are found by name when loaded.
    from ..blueprints import DOMAINS, optional_module

    for domain in DOMAINS:
        optional_module(f"eventsapp.{domain}.emails")


def render(message: OutboxMessage) -> Mail:
    """Build the e-mail for `message`; raises LookupError for a kind nobody renders."""
    if message.kind not in _RENDERERS:
        load_all()
    try:
        function = _RENDERERS[message.kind]
    except KeyError:
        raise LookupError(f"no renderer for {message.kind}") from None
    return function(message)


class BatchMemo(dict):
    """What the messages of one dispatch share, at most MAX_ENTRIES of it (the oldest goes first)."""

    MAX_ENTRIES = 256  # a shared render is a few tens of KB; a dispatch sees a few kinds of reader per event

    def __setitem__(self, key, value) -> None:
        if key not in self and len(self) >= self.MAX_ENTRIES:
            del self[next(iter(self))]
        super().__setitem__(key, value)


@contextlib.contextmanager
def rendering_batch():
    """Around the rendering of a dispatch's send batches: renderers may keep what their messages share.

    Nested uses share the outer memo. Entries are keyed by every version they depend on (the event's,
    its association's), so an edit made while a dispatch runs shows from the next batch on.
    """
    if _batch_memo.get() is not None:
        yield
        return
    token = _batch_memo.set(BatchMemo())
    try:
        yield
    finally:
        _batch_memo.reset(token)


def batch_memo() -> dict | None:
    """The current batch's scratch dict (keys namespaced by the renderer), or None outside a batch."""
    return _batch_memo.get()
