"""eSMS.vn brand-name SMS (customer-care messages, SmsType 2), for Vietnamese numbers.

Chosen for the Vietnamese leg: a brand-name sender ("HOI HUU NGHI") that Vietnamese carriers deliver,
JSON over HTTPS with a documented callback, and the same account also sells Zalo ZNS should an association
prefer one bill. Request (`SendMultipleMessage_V4_post_json`): ApiKey, SecretKey, Phone, Content,
Brandname, SmsType "2", IsUnicode "0"/"1", RequestId (eSMS refuses a RequestId it has seen: code 124, so a
retry after a timeout never sends twice), CallbackUrl. Answer: {"CodeResult": "100", "SMSID": "…"}; any other
CodeResult is an error (their table of error codes). Receipts: eSMS calls the CallbackUrl with HTTP GET and
signs nothing, so the URL we give carries our own HMAC of the message (receipts.esms_callback_path).
"""
from __future__ import annotations

import json

from .base import (
    ChannelMessage,
    PermanentFailure,
    Provider,
    ProviderResult,
    TemporaryFailure,
    classify_status,
    http_post,
    json_body,
)

# eSMS CodeResult values worth trying again: not enough balance (the association tops it up),
# 99 is "blocked number" (permanent) in their table, so it is not here.
TEMPORARY_CODES = {"103"}
DUPLICATE_REQUEST = "124"
MESSAGES = {
    "99": "the number is blocked by eSMS", "101": "wrong ApiKey or SecretKey", "102": "no price list",
    "103": "not enough balance", "104": "the brand name is not registered", "108": "the phone number is not valid",
    "146": "the text does not match a registered customer-care template", "177": "the carrier is not registered",
}


def local_number(e164: str) -> str:
    """+84912345678 → 0912345678, as eSMS documents its Phone."""
    return "0" + e164[3:] if e164.startswith("+84") else e164.lstrip("+")


class Esms(Provider):
    name = "esms"
    rate_setting = "ESMS_RATE_PER_SECOND"
    price_setting = "ESMS_PRICE_PER_SEGMENT"
    required = ("ESMS_API_KEY", "ESMS_SECRET_KEY", "ESMS_BRANDNAME")

    @property
    def unicode(self) -> bool:
        return bool(self.config.get("ESMS_UNICODE"))

    def send(self, message: ChannelMessage) -> ProviderResult:
        body = {
            "ApiKey": self.config["ESMS_API_KEY"], "SecretKey": self.config["ESMS_SECRET_KEY"],
            "Phone": local_number(message.recipient), "Content": message.text,
            "Brandname": self.config["ESMS_BRANDNAME"], "SmsType": "2", "IsUnicode": "1" if self.unicode else "0",
            "Sandbox": "0", "RequestId": message.tracking_id, "CallbackUrl": message.callback_url,
        }
        status, raw = http_post(self.config["ESMS_API_URL"], body=json.dumps(body).encode(),
                                headers={"Content-Type": "application/json"}, timeout=self.timeout)
        answer = json_body(raw)
        classify_status(status, str(answer.get("ErrorMessage") or raw[:200].decode("utf-8", "replace")))
        code = str(answer.get("CodeResult", ""))
        if code == "100":
            return ProviderResult(str(answer.get("SMSID", "")))
        if code == DUPLICATE_REQUEST:  # sent by an earlier attempt whose answer was lost
            return ProviderResult(f"request:{message.tracking_id}")
        reason = f"eSMS {code}: {answer.get('ErrorMessage') or MESSAGES.get(code, 'refused')}"
        if code in TEMPORARY_CODES:
            raise TemporaryFailure(reason)
        raise PermanentFailure(reason)
