"""One adapter per gateway, behind `base.Provider`; `for_message` picks the one a message goes through."""
from __future__ import annotations

from flask import current_app

from ...mail.models import Channel
from .base import PermanentFailure, Provider
from .esms import Esms
from .twilio import Twilio
from .zalo import Zalo

ADAPTERS = {"esms": Esms, "twilio": Twilio, "zalo": Zalo}


def configured(name: str) -> bool:
    return ADAPTERS[name].is_configured(current_app.config)


def for_message(channel: Channel, recipient: str) -> Provider:
    """The adapter for a message: Zalo for Zalo; for SMS, eSMS for Vietnamese numbers (+84) when it is
    configured, else Twilio; PermanentFailure when none is configured (the next channel is tried)."""
    config = current_app.config
    if channel == Channel.ZALO:
        names = ["zalo"]
    elif recipient.startswith("+84"):
        names = ["esms", "twilio"]
    else:
        names = ["twilio"]
    for name in names:
        if ADAPTERS[name].is_configured(config):
            return ADAPTERS[name](config)
    raise PermanentFailure(f"no {channel.value.upper()} provider is configured for {recipient[:4]}…")


def reaches(channel: Channel, recipient: str) -> bool:
    """Whether a gateway is configured that can send `channel` to `recipient` (what `for_message` would pick)."""
    try:
        for_message(channel, recipient)
    except PermanentFailure:
        return False
    return True


def by_name(name: str) -> Provider:
    return ADAPTERS[name](current_app.config)
