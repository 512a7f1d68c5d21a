"""Fake SMS and Zalo gateways: real HTTP servers in a thread, speaking each provider's documented format.

- `FakeEsms`: eSMS.vn's `SendMultipleMessage_V4_post_json` (JSON in, {"CodeResult": "100", "SMSID"} out);
  its receipt is an HTTP GET of the CallbackUrl with SMSID, SendStatus, SendSuccess, SendFailed… (unsigned).
- `FakeTwilio`: `POST /2010-04-01/Accounts/<sid>/Messages.json` with HTTP Basic (201 {"sid": "SM…"}; errors
  {"code", "message", "status"}); its status callbacks and inbound SMS are form POSTs signed in
  X-Twilio-Signature (base64 HMAC-SHA1 of the URL and the sorted parameters, keyed by the auth token).
- `FakeZalo`: ZNS `POST /message/template` (header access_token) and OAuth `POST /v4/oa/access_token`
  (header secret_key, form refresh_token: answers a new access token AND a new refresh token, the old one
  spent); its webhook is a JSON POST signed in X-ZEvent-Signature: "mac=" sha256(app id + body + timestamp
  + OA secret key).

Each records what it received (`requests`) and answers as told: `answer_next(*modes)` queues behaviours for
the next sends ("ok", "refuse", "http400", "http500", "slow"), `default` applies after them. `stop()` closes
the port (a connection refused).
"""
from __future__ import annotations

import abc
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode


class FakeGateway(abc.ABC):
    slow_seconds = 3.0

    def __init__(self):
        self.requests: list[dict] = []
        self.modes: list[str] = []
        self.default = "ok"
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, answer = gateway.handle(self.path, self.headers, body)  # names: any case
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.modes.clear()
            self.default = "ok"
            self.__dict__.pop("slow_seconds", None)

    def answer_next(self, *modes: str) -> None:
        with self.lock:
            self.modes.extend(modes)

    def _mode(self) -> str:
        with self.lock:
            return self.modes.pop(0) if self.modes else self.default

    def sends(self) -> list[dict]:
        return [request for request in self.requests if request["kind"] == "send"]

    @abc.abstractmethod
    def handle(self, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        """The gateway's answer to one request, in its provider's documented format."""

    def _behave(self, mode: str, ok: tuple[int, dict], refused: tuple[int, dict]) -> tuple[int, dict]:
        if mode == "slow":
            time.sleep(self.slow_seconds)
            return ok
        if mode == "refuse":
            return refused
        if mode == "http400":
            return 400, {"error": "bad request"}
        if mode == "http500":
            return 500, {"error": "internal error"}
        return ok


class FakeEsms(FakeGateway):
    PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"

    def __init__(self):
        self.accepted: set[str] = set()
        super().__init__()

    def reset(self) -> None:
        super().reset()
        self.accepted.clear()

    @property
    def api_url(self) -> str:
        return self.url + self.PATH

    def handle(self, path, headers, body):
        request = json.loads(body or b"{}")
        with self.lock:
            self.requests.append({"kind": "send", "path": path, "body": request})
        if path != self.PATH:
            return 404, {}
        if not request.get("ApiKey") or not request.get("SecretKey"):
            return 200, {"CodeResult": "101", "ErrorMessage": "Authorize Failed"}
        request_id = request.get("RequestId")
        with self.lock:
            if request_id and request_id in self.accepted:
                return 200, {"CodeResult": "124", "ErrorMessage": "Duplicate RequestId"}
        mode = self._mode()
        if mode in ("ok", "slow"):
            with self.lock:
                self.accepted.add(request_id)
        return self._behave(mode, (200, {"CodeResult": "100", "CountRegenerate": 0, "SMSID": uuid.uuid4().hex}),
                            (200, {"CodeResult": "108", "ErrorMessage": "Phone not valid"}))

    @staticmethod
    def callback(callback_url: str, sms_id: str, phone: str, delivered: bool = True) -> str:
        """The GET eSMS makes to the CallbackUrl when the message's final status is known."""
        query = {"SMSID": sms_id, "SendFailed": "0" if delivered else "1", "SendStatus": "5" if delivered else "4",
                 "SendSuccess": "1" if delivered else "0", "TotalPrice": "800.0000", "TotalReceiver": "1",
                 "TotalSent": "1", "RequestId": "", "TypeId": "2", "telcoid": "1", "phonenumber": phone}
        return f"{callback_url}?{urlencode(query)}"


class FakeTwilio(FakeGateway):
    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = "twilio-test-token"):
        self.account_sid, self.auth_token = account_sid, auth_token
        super().__init__()

    def handle(self, path, headers, body):
        form = dict(parse_qsl(body.decode()))
        with self.lock:
            self.requests.append({"kind": "send", "path": path, "body": form})
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        if headers.get("Authorization") != expected:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        sid = "SM" + uuid.uuid4().hex
        return self._behave(self._mode(), (201, {"sid": sid, "status": "queued", "to": form.get("To")}),
                            (400, {"code": 21211, "message": f"The 'To' number {form.get('To')} is not a valid "
                                                             "phone number.", "status": 400}))

    def signature(self, url: str, params: dict) -> str:
        data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
        return base64.b64encode(hmac.new(self.auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()

    def status_callback(self, url: str, sid: str, status: str = "delivered", error_code: str = "") -> tuple[dict, dict]:
        """(form, headers) of the POST Twilio makes to StatusCallback."""
        form = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
                "AccountSid": self.account_sid, "To": "+420601234567", "From": "+15005550006", "ApiVersion": "2010-04-01"}
        if error_code:
            form["ErrorCode"] = error_code
        return form, {"X-Twilio-Signature": self.signature(url, form)}

    def inbound(self, url: str, sender: str, body: str) -> tuple[dict, dict]:
        """(form, headers) of the POST Twilio makes for an SMS a person sends to our number."""
        form = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": self.account_sid, "From": sender,
                "To": "+15005550006", "Body": body, "NumMedia": "0", "ApiVersion": "2010-04-01"}
        return form, {"X-Twilio-Signature": self.signature(url, form)}


class FakeZalo(FakeGateway):
    def __init__(self, app_id: str = "4321", app_secret: str = "zalo-app-secret", oa_secret: str = "zalo-oa-secret",
                 refresh_token: str = "refresh-0"):
        self.app_id, self.app_secret, self.oa_secret = app_id, app_secret, oa_secret
        self.initial_refresh_token = refresh_token  # what the app is configured with; Zalo rotates it
        self.refresh_token, self.access_token, self.refreshes = refresh_token, "", 0
        super().__init__()

    def handle(self, path, headers, body):
        if path == "/v4/oa/access_token":
            form = dict(parse_qsl(body.decode()))
            with self.lock:
                self.requests.append({"kind": "oauth", "path": path, "body": form})
                if headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id:
                    return 200, {"error": -14002, "error_name": "Invalid app", "error_description": "app is invalid"}
                if form.get("refresh_token") != self.refresh_token or form.get("grant_type") != "refresh_token":
                    return 200, {"error": -14014, "error_name": "Invalid refresh token",
                                 "error_description": "Refresh token is invalid"}
                self.refreshes += 1
                self.access_token = f"access-{self.refreshes}"
                self.refresh_token = f"refresh-{self.refreshes}"
                return 200, {"access_token": self.access_token, "refresh_token": self.refresh_token,
                             "expires_in": "90000"}
        request = json.loads(body or b"{}")
        with self.lock:
            self.requests.append({"kind": "send", "path": path, "body": request, "token": headers.get("access_token")})
        if path != "/message/template":
            return 404, {"error": -404, "message": "not found"}
        if not self.access_token or headers.get("access_token") != self.access_token:
            return 200, {"error": -124, "message": "Access token is invalid"}
        ok = (200, {"error": 0, "message": "Success",
                    "data": {"msg_id": uuid.uuid4().hex, "sent_time": str(int(time.time() * 1000)),
                             "quota": {"dailyQuota": "500", "remainingQuota": "499"}}})
        return self._behave(self._mode(), ok, (200, {"error": -118, "message": "Zalo account not existed"}))

    def expire_access_token(self) -> None:
        self.access_token = "revoked"

    def received_event(self, msg_id: str, tracking_id: str, phone: str) -> tuple[bytes, dict]:
        """(body, headers) of the webhook POST Zalo makes once the person's phone received the message."""
        timestamp = str(int(time.time() * 1000))
        body = json.dumps({"app_id": self.app_id, "event_name": "user_received_message", "timestamp": timestamp,
                           "oa_id": "1397492183140006179", "sender": {"id": "1397492183140006179"},
                           "recipient": {"id": phone},
                           "message": {"msg_id": msg_id, "tracking_id": tracking_id,
                                       "delivery_time": timestamp}}).encode()
        mac = hashlib.sha256(self.app_id.encode() + body + timestamp.encode() + self.oa_secret.encode()).hexdigest()
        return body, {"X-ZEvent-Signature": f"mac={mac}", "Content-Type": "application/json"}


def closed_port_url() -> str:
    """An address where nothing listens: a connection there is refused."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def provider_config(esms: FakeEsms, twilio: FakeTwilio, zalo: FakeZalo) -> dict:
    """The app's settings pointing at the fake gateways (as the environment would for the worker)."""
    return {
        "ESMS_API_URL": esms.api_url, "ESMS_API_KEY": "esms-key", "ESMS_SECRET_KEY": "esms-secret",
        "ESMS_BRANDNAME": "HOIHUUNGHI", "ESMS_CALLBACK_SECRET": "esms-callback-secret",
        "TWILIO_API_URL": twilio.url, "TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM": "+15005550006",
        "ZALO_API_URL": zalo.url, "ZALO_OAUTH_URL": zalo.url, "ZALO_APP_ID": zalo.app_id,
        "ZALO_APP_SECRET": zalo.app_secret, "ZALO_REFRESH_TOKEN": zalo.initial_refresh_token,
        "ZALO_OA_SECRET_KEY": zalo.oa_secret,
    }
