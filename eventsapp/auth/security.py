"""HTTP security: the security headers of every response, HTTPS redirects, a CSP that needs no inline script,
and the client's address behind trusted proxies.

`security_headers(app, secure)` is the one definition of the headers: Flask responses get them in an
`after_request` hook, and the feed server (`feeds/serving.py`), which answers ahead of Flask, sends the
same list. They are ours rather than a library's so that no upgrade can silently drop one
(`tests/test_auth.py` and `tests/test_feeds_serving.py` check both paths).
"""
from __future__ import annotations

import functools

from flask import Flask, Request, current_app, make_response, redirect, request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "media-src": "'self' blob:",  # the door scanner reads the camera
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
PERMISSIONS_POLICY = {"camera": "(self)", "geolocation": "()", "microphone": "()"}
HSTS_MAX_AGE = 31_556_926  # one year


def is_secure(request: Request) -> bool:
    """Whether the request came over HTTPS. Behind trusted proxies ProxyFix has already set the scheme
    from their X-Forwarded-Proto (`init_proxies`); otherwise that header is the client's word and ignored."""
    return request.is_secure


def security_headers(app: Flask, secure: bool) -> list[tuple[str, str]]:
    """The security headers of every response; HSTS only over HTTPS and with FORCE_HTTPS."""
    headers = [
        ("Permissions-Policy", ", ".join(f"{name}={value}" for name, value in PERMISSIONS_POLICY.items())),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", csp_text(CONTENT_SECURITY_POLICY)),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ]
    if secure and app.config["FORCE_HTTPS"]:
        headers.append(("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE}; includeSubDomains"))
    return headers


def _redirect_to_https():
    if not is_secure(request) and not current_app.debug and request.url.startswith("http://"):
        return redirect(request.url.replace("http://", "https://", 1), code=302)
    return None


def _add_security_headers(response):
    for name, value in current_app.extensions["security_headers"][is_secure(request)]:
        if name not in response.headers:  # a view may narrow a header for itself (see `framed_by_self`)
            response.headers[name] = value
    return response


def csp_text(policy: dict) -> str:
    """A Content-Security-Policy value from {directive: source or [sources]}."""
    return "; ".join(f"{name} {' '.join(value) if isinstance(value, list | tuple) else value}"
                     for name, value in policy.items())


def framed_by_self(policy: dict):
    """Decorator for a view shown in a frame of our own pages (e.g. an e-mail preview): its response
    may be framed by this site only and carries its own, stricter, Content-Security-Policy."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            response = make_response(view(*args, **kwargs))
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
            response.headers["Content-Security-Policy"] = csp_text(policy)
            return response
        return wrapped
    return decorate


def init_security(app: Flask) -> None:
    """Security headers on every response; with FORCE_HTTPS, plain HTTP redirected to HTTPS.
    (Session cookies: SESSION_COOKIE_SECURE / HTTPONLY / SAMESITE in config.py.)"""
    app.extensions["security_headers"] = {secure: security_headers(app, secure) for secure in (False, True)}
    if app.config["FORCE_HTTPS"]:
        app.before_request(_redirect_to_https)
    app.after_request(_add_security_headers)


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
