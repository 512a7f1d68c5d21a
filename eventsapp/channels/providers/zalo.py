"""Zalo Notification Service (ZNS): a template message to a phone number, through an Official Account.

Request: POST {ZALO_API_URL}/message/template, header `access_token`, JSON {"phone": "84912345678" (international,
no "+"), "template_id", "template_data": {param: value}, "tracking_id"}. Answer: {"error": 0, "message": "Success",
"data": {"msg_id": "…"}}; a negative `error` is a refusal (-124: the access token is no longer valid; -133: outside
the hours Zalo allows; -144: the OA's daily quota is spent; -118/-139: no Zalo account, or the person refuses ZNS).

The access token lives about 25 hours and is renewed by OAuth: POST {ZALO_OAUTH_URL}/v4/oa/access_token, header
`secret_key` (the app's secret), form app_id, grant_type=refresh_token, refresh_token. Zalo answers with a new
access token AND a new refresh token, the old one being spent: the pair is stored (provider_tokens) and the
renewal done under a row lock, so two workers never spend the same refresh token.
"""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import select, update

from ...extensions import db, dialect_insert
from ...timeutils import utcnow
from ..models import ProviderToken
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

TOKEN_INVALID = -124
TEMPORARY_ERRORS = {-32, -100, -133, -144}
RENEW_BEFORE = timedelta(minutes=5)
tokens = ProviderToken.__table__


class Zalo(Provider):
    name = "zalo"
    rate_setting = "ZALO_RATE_PER_SECOND"
    price_setting = "ZALO_PRICE_PER_MESSAGE"
    required = ("ZALO_APP_ID", "ZALO_APP_SECRET", "ZALO_REFRESH_TOKEN")

    def send(self, message: ChannelMessage) -> ProviderResult:
        if not message.template_id:
            raise PermanentFailure("no approved Zalo template for this message")
        body = json.dumps({"phone": message.recipient.lstrip("+"), "template_id": message.template_id,
                           "template_data": message.template_data, "tracking_id": message.tracking_id}).encode()
        token = self.access_token()
        answer = self._post(body, token)
        if answer.get("error") == TOKEN_INVALID:  # revoked or expired early: renew once, then try again
            answer = self._post(body, self.access_token(rejected=token))
        error = answer.get("error")
        if error == 0:
            return ProviderResult(str((answer.get("data") or {}).get("msg_id", "")))
        reason = f"Zalo {error}: {answer.get('message', 'refused')}"
        if error in TEMPORARY_ERRORS or error == TOKEN_INVALID:
            raise TemporaryFailure(reason)
        raise PermanentFailure(reason)

    def _post(self, body: bytes, access_token: str) -> dict:
        url = f"{self.config['ZALO_API_URL'].rstrip('/')}/message/template"
        status, raw = http_post(url, body=body, timeout=self.timeout,
                                headers={"Content-Type": "application/json", "access_token": access_token})
        answer = json_body(raw)
        classify_status(status, str(answer.get("message") or raw[:200].decode("utf-8", "replace")))
        return answer

    # ------------------------------------------------------------ OAuth

    def access_token(self, *, rejected: str | None = None) -> str:
        """A valid access token, renewed (and the refresh token rotated) when it is about to expire or
        Zalo `rejected` it."""
        now = utcnow()
        with db.engine.begin() as connection:
            row = connection.execute(select(tokens).where(tokens.c.provider == self.name)).first()
            if row is None:  # the first use: the configured refresh token (another worker may race us to it)
                connection.execute(dialect_insert(tokens).values(
                    provider=self.name, access_token="", refresh_token=self.config["ZALO_REFRESH_TOKEN"],
                    expires_at=None, updated_at=now).on_conflict_do_nothing(index_elements=["provider"]))
            if (row is not None and row.access_token and row.access_token != rejected
                    and row.expires_at - RENEW_BEFORE > now):
                return row.access_token
        return self._renew(rejected)

    def _renew(self, rejected: str | None) -> str:
        with db.engine.begin() as connection:
            query = select(tokens).where(tokens.c.provider == self.name)
            if connection.dialect.name == "postgresql":
                query = query.with_for_update()
            row = connection.execute(query).one()
            now = utcnow()
            if row.access_token and row.access_token != rejected and row.expires_at - RENEW_BEFORE > now:
                return row.access_token  # another worker renewed it while we waited for the lock
            status, raw = http_post(
                f"{self.config['ZALO_OAUTH_URL'].rstrip('/')}/v4/oa/access_token", timeout=self.timeout,
                body=urlencode({"app_id": self.config["ZALO_APP_ID"], "grant_type": "refresh_token",
                                "refresh_token": row.refresh_token}).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded",
                         "secret_key": self.config["ZALO_APP_SECRET"]})
            answer = json_body(raw)
            classify_status(status, str(answer.get("error_description") or answer.get("error_name") or ""))
            if not answer.get("access_token") or not answer.get("refresh_token"):
                raise TemporaryFailure(f"Zalo could not renew the access token: "
                                       f"{answer.get('error_description') or answer.get('error') or 'no token'}")
            connection.execute(update(tokens).where(tokens.c.provider == self.name).values(
                access_token=answer["access_token"], refresh_token=answer["refresh_token"], updated_at=now,
                expires_at=now + timedelta(seconds=int(answer.get("expires_in") or 3600))))
            return answer["access_token"]
