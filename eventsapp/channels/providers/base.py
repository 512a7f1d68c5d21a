"""The one small interface every SMS and Zalo gateway sits behind, and its HTTP call.

`send(message) -> ProviderResult` or raises `TemporaryFailure` (tried again with backoff; `Unreachable`
when no connection could be made: the attempt does not count) or `PermanentFailure` (the gateway's reason;
the event's next channel is tried). No client library: each gateway is one HTTPS POST that the standard
library makes, and the tests' fake gateways are real HTTP servers reached the same way.
"""
from __future__ import annotations

import abc
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import ClassVar


class TemporaryFailure(Exception):
    """The gateway may accept the message later (5xx, 429, a timeout)."""


class Unreachable(TemporaryFailure):
    """No connection at all (refused, unknown host): the attempt is not counted and the batch waits."""


class PermanentFailure(Exception):
    """The gateway refused the message for good; the message says why, in the gateway's words."""


@dataclass(frozen=True)
class ChannelMessage:
    """What an adapter sends: `recipient` in E.164; `text` for SMS, `template_id` and `template_data` for
    Zalo; `tracking_id` names the outbox row (Zalo echoes it in receipts); `callback_url` for receipts."""

    recipient: str
    text: str = ""
    template_id: str = ""
    template_data: dict = field(default_factory=dict)
    tracking_id: str = ""
    callback_url: str = ""


@dataclass(frozen=True)
class ProviderResult:
    provider_id: str


class Provider(abc.ABC):
    """A gateway. Subclasses set `name`, `rate_setting`, `price_setting` and implement `send`."""

    name: ClassVar[str] = ""
    rate_setting: ClassVar[str] = ""
    price_setting: ClassVar[str] = ""
    required: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config):
        self.config = config
        self.timeout = float(config.get("CHANNEL_HTTP_TIMEOUT_SECONDS") or 10)

    @classmethod
    def is_configured(cls, config) -> bool:
        return all(config.get(name) for name in cls.required)

    @property
    def rate(self) -> float:
        return float(self.config.get(self.rate_setting) or 0)

    @property
    def price(self) -> int:
        return int(self.config.get(self.price_setting) or 0)

    @abc.abstractmethod
    def send(self, message: ChannelMessage) -> ProviderResult:
        """Send one message through the provider's API (each adapter: eSMS, Twilio, Zalo)."""


def http_post(url: str, *, body: bytes, headers: dict, timeout: float) -> tuple[int, bytes]:
    """POST `body`; returns (status, answer). Raises Unreachable (no connection) or TemporaryFailure
    (no answer in time: the gateway may have sent it, so the attempt counts)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (configured https URLs)
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError | socket.timeout):
            raise TemporaryFailure(f"no answer within {timeout:g} s") from error
        raise Unreachable(f"cannot reach the gateway: {error.reason}") from error
    except (TimeoutError, socket.timeout) as error:
        raise TemporaryFailure(f"no answer within {timeout:g} s") from error
    except (ConnectionError, OSError) as error:
        raise Unreachable(f"cannot reach the gateway: {error}") from error


def json_body(raw: bytes) -> dict:
    """The answer as a JSON object, or {} when it is not one."""
    try:
        value = json.loads(raw.decode("utf-8", "replace") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def classify_status(status: int, reason: str) -> None:
    """Raise for an HTTP status that is no success: 429 and 5xx are temporary, other 4xx permanent."""
    if 200 <= status < 300:
        return
    if status == 429 or status >= 500 or status in (408,):
        raise TemporaryFailure(f"HTTP {status}: {reason}"[:500])
    raise PermanentFailure(f"HTTP {status}: {reason}"[:500])
