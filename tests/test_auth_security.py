"""Issue 13, item 7: sign-in does not tell by its timing whether an account exists; failed
attempts are limited per account and address, and (higher, slower) per account; the client's
address is taken from trusted proxies only; signing out or a new password ends the session."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask import g
from werkzeug.security import check_password_hash

from config import TestingConfig
from eventsapp import create_app
from eventsapp.auth import services as accounts
from tests.conftest import csrf_token_from
from tests.factories import PASSWORD, UserFactory


def forget_request_state():
    """The test's app context outlives requests: Flask-Login's user and Flask-WTF's token in g
    belong to the last request's client, not the next one."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def sign_in(client, email, password, address="203.0.113.7", headers=None):
    forget_request_state()
    environ = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=environ, headers=headers)
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token_from(page.text)},
                       environ_base=environ, headers=headers)


@pytest.fixture
def limits(app):
    """Set sign-in limits for one test, put back afterwards."""
    names = ("LOGIN_RATE_LIMIT_PER_ADDRESS", "LOGIN_RATE_LIMIT_PER_ACCOUNT_AND_ADDRESS",
             "LOGIN_RATE_LIMIT_PER_ACCOUNT", "LOGIN_RATE_LIMIT_PER_DEVICE")
    saved = {name: app.config[name] for name in names}

    def set_limits(**values):
        app.config.update({f"LOGIN_RATE_LIMIT_{name.upper()}": value for name, value in values.items()})

    yield set_limits
    app.config.update(saved)


# ---------------------------------------------------------------- timing parity

def test_unknown_account_and_wrong_password_verify_the_same_kind_of_hash_once(client, db, monkeypatch):
    user = UserFactory()
    checked = []

    def counting(stored, password):
        checked.append(stored.split("$")[0])  # method and cost, e.g. "scrypt:32768:8:1"
        return check_password_hash(stored, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    assert sign_in(client, "nobody@example.vn", "wrong-password").status_code == 200
    assert sign_in(client, user.email, "wrong-password").status_code == 200
    user.active = False
    db.session.commit()
    assert sign_in(client, user.email, PASSWORD).status_code == 200  # inactive: refused, same work
    assert len(checked) == 3, "each attempt verifies exactly one password hash"
    assert checked[0] == checked[1] == checked[2] == user.password_hash.split("$")[0]
    assert checked[0].startswith("scrypt:")


def test_the_dummy_hash_never_matches(db):
    assert accounts.authenticate("nobody@example.vn", "") is None
    assert not check_password_hash(accounts.dummy_password_hash(), "")


# ---------------------------------------------------------------- limits per account and address, per account

def test_a_guesser_is_locked_out_but_the_owner_signs_in_from_elsewhere(client, db, limits):
    limits(per_account_and_address="5 per 10 minutes", per_account="30 per hour", per_address="20 per 10 minutes")
    owner = UserFactory()
    statuses = [sign_in(client, owner.email, f"guess-{n}", address="198.51.100.9").status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]
    assert sign_in(client, owner.email, PASSWORD, address="198.51.100.9").status_code == 429
    assert sign_in(client, owner.email, PASSWORD, address="192.0.2.44").status_code == 302  # the owner


def test_many_addresses_meet_the_higher_per_account_limit(client, db, limits):
    limits(per_account_and_address="5 per 10 minutes", per_account="8 per hour", per_address="20 per 10 minutes")
    owner = UserFactory()
    statuses = [sign_in(client, owner.email, "guess", address=f"198.51.100.{n}").status_code for n in range(9)]
    assert statuses == [200] * 8 + [429]
    blocked = sign_in(client, owner.email, PASSWORD, address="192.0.2.44")
    assert blocked.status_code == 429 and "Bạn đã thử quá nhiều lần" in blocked.text


# ---------------------------------------------------------------- the owner's browser is not locked out (issue 22)

DEVICE_COOKIE = "eventsapp_device"


def device_cookie(client) -> str:
    cookie = client.get_cookie(DEVICE_COOKIE, path="/login")
    assert cookie is not None, "a successful sign-in leaves a device cookie"
    assert cookie.http_only
    return cookie.value


def browser(app, cookie: str | None = None):
    """A fresh browser, carrying a device cookie if given."""
    client = app.test_client()
    if cookie is not None:
        client.set_cookie(DEVICE_COOKIE, cookie, path="/login")
    return client


def exhaust_the_account_ceiling(client, email):
    """Six addresses, five wrong guesses each: the account-wide ceiling (30 per hour) is reached."""
    for address in range(6):
        for guess in range(5):
            assert sign_in(client, email, f"guess-{guess}", address=f"198.51.100.{address}").status_code == 200
    assert sign_in(client, email, "guess", address="198.51.100.77").status_code == 429


def test_the_owner_signs_in_from_a_known_browser_while_the_account_is_under_attack(app, client, db, limits):
    limits(per_account_and_address="5 per 10 minutes", per_account="30 per hour", per_address="20 per 10 minutes",
           per_device="5 per 10 minutes")
    owner, colleague = UserFactory(), UserFactory()
    owners_browser = browser(app)
    assert sign_in(owners_browser, owner.email, PASSWORD, address="192.0.2.44").status_code == 302
    known = device_cookie(owners_browser)
    colleagues_browser = browser(app)
    assert sign_in(colleagues_browser, colleague.email, PASSWORD, address="192.0.2.45").status_code == 302
    colleagues_cookie = device_cookie(colleagues_browser)

    exhaust_the_account_ceiling(browser(app), owner.email)

    # Without the cookie the owner is limited like everyone else: the account's ceiling holds.
    blocked = sign_in(browser(app), owner.email, PASSWORD, address="192.0.2.46")
    assert blocked.status_code == 429 and "Bạn đã thử quá nhiều lần" in blocked.text
    # A forged cookie, or one from a browser another account signed in with, does not help.
    forged = known[:-4] + ("AAAA" if not known.endswith("AAAA") else "BBBB")
    assert sign_in(browser(app, forged), owner.email, PASSWORD, address="192.0.2.47").status_code == 429
    assert sign_in(browser(app, colleagues_cookie), owner.email, PASSWORD, address="192.0.2.48").status_code == 429
    # The owner's own browser gets in.
    signed_in = sign_in(browser(app, known), owner.email, PASSWORD, address="192.0.2.44")
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"


def test_guesses_through_a_device_cookie_are_limited_on_that_cookie(app, client, db, limits):
    """A copied device cookie is no master key: its own failures are counted (5 per 10 minutes), and then
    it is refused too, while the account's ceiling was never touched and other browsers still sign in."""
    limits(per_account_and_address="100 per 10 minutes", per_account="30 per hour", per_address="100 per 10 minutes",
           per_device="5 per 10 minutes")
    owner = UserFactory()
    owners_browser = browser(app)
    assert sign_in(owners_browser, owner.email, PASSWORD, address="192.0.2.44").status_code == 302
    copied = device_cookie(owners_browser)
    thief = browser(app, copied)
    statuses = [sign_in(thief, owner.email, f"guess-{n}", address=f"198.51.100.{n}").status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]
    assert sign_in(thief, owner.email, PASSWORD, address="198.51.100.9").status_code == 429
    assert sign_in(browser(app), owner.email, PASSWORD, address="192.0.2.50").status_code == 302


def test_successful_sign_ins_do_not_count(client, db, limits):
    limits(per_account_and_address="2 per 10 minutes", per_account="2 per hour", per_address="2 per 10 minutes")
    owner = UserFactory()
    for _ in range(4):
        assert sign_in(client, owner.email, PASSWORD).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})


# ---------------------------------------------------------------- the client's address behind proxies

@contextmanager
def proxied_app(app, count, **config):
    """Another app on the same database, behind `count` trusted proxies (and with `config`); the suite's
    Celery app is made current and default again afterwards (creating an app makes its own both)."""
    try:
        yield create_app(TestingConfig, **{k: app.config[k] for k in (
                             "SQLALCHEMY_DATABASE_URI", "CELERY_BROKER_URL", "MAIL_SERVER", "MAIL_PORT",
                             "MAIL_OUTBOX_DIR", "BASE_URL")},
                         LOGIN_RATE_LIMIT_PER_ADDRESS="2 per 10 minutes",
                         LOGIN_RATE_LIMIT_PER_ACCOUNT_AND_ADDRESS="10000 per minute",
                         LOGIN_RATE_LIMIT_PER_ACCOUNT="10000 per minute", TRUSTED_PROXY_COUNT=count, **config)
    finally:
        app.extensions["celery"].set_current()
        app.extensions["celery"].set_default()


@pytest.mark.parametrize("count", [0, 1])
def test_the_client_address_comes_from_trusted_proxies_only(app, db, count):
    """Two clients behind one load balancer (its address 10.0.0.2), each failing twice: with one
    trusted proxy each has its own limit; with none, X-Forwarded-For is ignored (a client cannot
    choose its address), so they share the balancer's."""
    with proxied_app(app, count) as other, other.app_context():
        client = other.test_client()
        statuses = []
        for forwarded in ("198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.2"):
            response = sign_in(client, "nobody@example.vn", "guess", address="10.0.0.2",
                               headers={"X-Forwarded-For": forwarded})
            statuses.append(response.status_code)
        from eventsapp.extensions import limiter
        limiter.reset()
        db.session.remove()
    assert statuses == ([200, 200, 200, 200] if count == 1 else [200, 200, 429, 429])


@pytest.mark.parametrize("count", [0, 1])
@pytest.mark.parametrize("path", ["/login", "/feeds/associations/no-such-association.ics"])
def test_only_trusted_proxies_say_the_request_came_over_https(app, db, count, path):
    """A client sending X-Forwarded-Proto: https itself over plain HTTP is redirected to HTTPS and gets no
    HSTS; only behind a trusted proxy (ProxyFix) does the header count, for pages and feeds alike."""
    with proxied_app(app, count, FORCE_HTTPS=True) as other, other.app_context():
        response = other.test_client().get(path, base_url="http://events.example.vn",
                                           headers={"X-Forwarded-Proto": "https"})
        db.session.remove()
    if count:
        assert response.status_code != 302
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    else:
        assert response.status_code == 302
        assert response.headers["Location"] == f"https://events.example.vn{path}"
        assert "Strict-Transport-Security" not in response.headers


def test_a_negative_proxy_count_is_refused(app):
    with pytest.raises(ValueError, match="TRUSTED_PROXY_COUNT"), proxied_app(app, -1):
        pass


# ---------------------------------------------------------------- sessions end server-side

def session_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie):
    forget_request_state()
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/")


def test_a_session_cookie_replayed_after_sign_out_is_refused(app, client, db):
    user = UserFactory(name="Lê Thị Hồng")
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    stolen = session_cookie(client)
    assert "Xin chào, Lê Thị Hồng" in replay(app, stolen).text  # a copy works while signed in
    dashboard = client.get("/")
    client.post("/logout", data={"csrf_token": csrf_token_from(dashboard.text)})
    replayed = replay(app, stolen)
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
    assert sign_in(client, user.email, PASSWORD).status_code == 302  # signing in again works


def test_a_remember_cookie_replayed_after_sign_out_is_refused(app, client, db):
    user = UserFactory()
    forget_request_state()
    page = client.get("/login")
    client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y",
                                "csrf_token": csrf_token_from(page.text)})
    remembered = client.get_cookie("remember_token").value
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").text)})
    forget_request_state()
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered)
    assert thief.get("/").status_code == 302


def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(app, client, db):
    user = UserFactory(email="hong@example.vn")
    admin = UserFactory(is_admin=True)
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    stolen = session_cookie(client)

    admin_client = app.test_client()
    assert sign_in(admin_client, admin.email, PASSWORD).status_code == 302
    forget_request_state()
    form = admin_client.get(f"/admin/users/{user.id}")
    changed = admin_client.post(f"/admin/users/{user.id}", data={
        "email": user.email, "name": "Hồng", "locale": "vi", "timezone": "Asia/Ho_Chi_Minh", "active": "y",
        "password": "a-brand-new-password", "csrf_token": csrf_token_from(form.text)})
    assert changed.status_code == 302
    assert replay(app, stolen).status_code == 302
    assert sign_in(app.test_client(), user.email, "a-brand-new-password").status_code == 302


@pytest.mark.parametrize("session_id", ["1", "1:", ":0", "9223372036854775808:0", "1:99999999999999999999",
                                        "١:٠", "1:0\r\n", "x" * 10_000, ""])
def test_malformed_session_ids_sign_nobody_in(db, session_id):
    UserFactory()
    assert accounts.load_session_user(session_id) is None


# ---------------------------------------------------------------- every `next` stays on this site (issue 22)

def where_a_browser_goes(location: str) -> str:
    """The host a browser opens for `location`: WHATWG URL parsing drops tabs and line breaks
    and reads a backslash as a slash in http(s) URLs."""
    from urllib.parse import urljoin, urlsplit

    cleaned = location.replace("\t", "").replace("\r", "").replace("\n", "").replace("\\", "/")
    return urlsplit(urljoin("http://localhost/", cleaned)).netloc


HOSTILE_NEXT = [
    "//evil.example", "///evil.example", "/%09/evil.example", "/%0d%0a/evil.example", "/%0a/evil.example",
    "/%5Cevil.example", "/%5C%5Cevil.example", "%5C%5Cevil.example", "/%2f/evil.example", "%2f%2fevil.example",
    "/%252f%252fevil.example", "/%09%5Cevil.example", "javascript:alert(1)", "https://evil.example",
    "http:/evil.example", "%20//evil.example", "evil.example", "/%e2%80%8b/evil.example",
]


@pytest.mark.parametrize("hostile", HOSTILE_NEXT)
def test_the_language_switch_never_leaves_the_site(client, db, hostile):
    response = client.get(f"/lang/en?next={hostile}")
    assert response.status_code == 302
    assert where_a_browser_goes(response.headers["Location"]) == "localhost", response.headers["Location"]
    assert response.headers["Location"] == "/"  # the dashboard instead


@pytest.mark.parametrize("hostile", HOSTILE_NEXT)
def test_signing_in_never_leaves_the_site(client, db, hostile):
    owner = UserFactory()
    forget_request_state()
    page = client.get(f"/login?next={hostile}")
    response = client.post(f"/login?next={hostile}", data={
        "email": owner.email, "password": PASSWORD, "csrf_token": csrf_token_from(page.text)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/", response.headers["Location"]


@pytest.mark.parametrize("target", ["/contacts/?q=nguy%E1%BB%85n%20v%C4%83n&after=12", "/events/3", "/"])
def test_a_path_on_this_site_is_followed(client, db, target):
    from urllib.parse import quote

    response = client.get(f"/lang/en?next={quote(target, safe='/')}")
    assert response.headers["Location"] == target


# ---------------------------------------------------------------- one address rule for accounts (issue 22)

@pytest.mark.parametrize("address", ["hoa@eventsapp.test", "hoa@localhost", "hoa@example", "hoa@@example.vn",
                                     "hoa@example..vn", "nguyen hoa@example.vn", "hoa@example.invalid"])
def test_the_command_line_refuses_the_addresses_the_sign_in_form_refuses(runner, client, db, address):
    forget_request_state()
    page = client.get("/login")
    refused = client.post("/login", data={"email": address, "password": PASSWORD,
                                          "csrf_token": csrf_token_from(page.text)})
    assert refused.status_code == 200 and "Địa chỉ email không hợp lệ." in refused.text
    result = runner.invoke(args=["users", "create", address, "--password", "mat-khau-dai-1"])
    assert result.exit_code != 0 and "Địa chỉ email không hợp lệ." in result.output
    assert accounts.find_user(address) is None


def test_an_address_both_accept_makes_an_account_that_signs_in(runner, client, db):
    result = runner.invoke(args=["users", "create", " Hoa.Nguyen@Example.VN ", "--password", "mat-khau-dai-1"])
    assert result.exit_code == 0, result.output
    assert sign_in(client, "hoa.nguyen@example.vn", "mat-khau-dai-1").status_code == 302
