"""Twilio's Messages API, for numbers outside Vietnam.

Chosen for the international leg: one account reaches nearly every country, its API and its webhook
signature are documented precisely. Its Python library was not taken: one form POST is all we call, the
library brings aiohttp and its own HTTP stack, and it cannot be pointed at the tests' fake server without
patching. Request: POST {TWILIO_API_URL}/2010-04-01/Accounts/{sid}/Messages.json, HTTP Basic (sid, token),
form To, From (or MessagingServiceSid), Body, StatusCallback. Answer 201 {"sid": "SM…", "status": "queued"};
an error {"code": 21211, "message": "…", "status": 400}. Receipts: POSTs to StatusCallback with MessageSid and
MessageStatus, signed in X-Twilio-Signature (receipts.twilio_signature).
"""
from __future__ import annotations

import base64
from urllib.parse import urlencode

from .base import ChannelMessage, PermanentFailure, Provider, ProviderResult, classify_status, http_post, json_body


class Twilio(Provider):
    name = "twilio"
    rate_setting = "TWILIO_RATE_PER_SECOND"
    price_setting = "TWILIO_PRICE_PER_SEGMENT"
    required = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")
    unicode = True

    def send(self, message: ChannelMessage) -> ProviderResult:
        sid, token, sender = (self.config[name] for name in self.required)
        form = {"To": message.recipient, "Body": message.text}
        form["MessagingServiceSid" if sender.startswith("MG") else "From"] = sender
        if message.callback_url:
            form["StatusCallback"] = message.callback_url
        credentials = base64.b64encode(f"{sid}:{token}".encode()).decode()
        url = f"{self.config['TWILIO_API_URL'].rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
        status, raw = http_post(url, body=urlencode(form).encode(), timeout=self.timeout, headers={
            "Authorization": f"Basic {credentials}", "Content-Type": "application/x-www-form-urlencoded"})
        answer = json_body(raw)
        classify_status(status, f"Twilio {answer.get('code', '')}: {answer.get('message', '')}".strip())
        if not answer.get("sid"):
            raise PermanentFailure("Twilio answered without a message sid")
        return ProviderResult(str(answer["sid"]))
