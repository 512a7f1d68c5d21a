"""From an outbox row to an e-mail: one renderer per message kind.

Domains register theirs (`@renderer(MessageKind.REMINDER)`); the sender calls
`render(message)` in the worker, so thousands of messages are built in
batches there rather than in the request that queued them.
"""
from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

from .models import MessageKind, OutboxMessage

Renderer = Callable[[OutboxMessage], EmailMessage]
_RENDERERS: dict[MessageKind, Renderer] = {}


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


def render(message: OutboxMessage) -> EmailMessage:
    """Build the e-mail for `message`; raises LookupError for a kind nobody renders."""
    if message.kind not in _RENDERERS:
        load_all()
    try:
        function = _RENDERERS[message.kind]
    except KeyError:
        raise LookupError(f"no renderer for {message.kind}") from None
    return function(message)
