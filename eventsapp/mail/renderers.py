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


@contextlib.contextmanager
def rendering_batch():
    """Around the rendering of one send batch: renderers may keep what all its messages share."""
    token = _batch_memo.set({})
    try:
        yield
    finally:
        _batch_memo.reset(token)


def batch_memo() -> dict | None:
    """The current batch's scratch dict (keys namespaced by the renderer), or None outside a batch."""
    return _batch_memo.get()
