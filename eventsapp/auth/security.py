"""HTTP security: headers, a Content-Security-Policy that needs no inline script, and the
client's address behind trusted proxies."""
from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "media-src": ["'self'", "blob:"],  # the door scanner reads the camera
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def init_security(app: Flask, talisman: Talisman) -> None:
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config.get("SESSION_COOKIE_SECURE", False),
        session_cookie_http_only=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"camera": "(self)", "geolocation": "()", "microphone": "()"},
    )


def init_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXY_COUNT reverse proxies, take the client's address and scheme from the
    X-Forwarded-For / X-Forwarded-Proto values those proxies added (Werkzeug's ProxyFix), so that
    sign-in limits count per client, not per load balancer. With 0 (the default) the headers are
    ignored: a client cannot pick its own address. The outermost WSGI layer, so that every layer
    behind it (the feed server's HTTPS redirect too) sees the client's values."""
    count = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if count < 0:
        raise ValueError("TRUSTED_PROXY_COUNT must be 0 or more")
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
