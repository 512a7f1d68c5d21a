"""Signing in and out, rate limits, CSRF and the security headers."""
import pytest

from tests.conftest import csrf_token_from
from tests.factories import PASSWORD, UserFactory


def test_login_page_is_vietnamese_by_default(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert "Đăng nhập" in page.text and "Mật khẩu" in page.text
    assert "Password" not in page.text


def test_staff_sign_in_and_out(client, auth):
    user = UserFactory(name="Lê Thị Hồng")
    response = auth.login(user, PASSWORD)
    assert response.status_code == 302
    dashboard = client.get("/")
    assert "Xin chào, Lê Thị Hồng" in dashboard.text
    client.post("/logout", data={"csrf_token": csrf_token_from(dashboard.text)})
    assert client.get("/").status_code == 302  # back to the login page


def test_wrong_password_is_refused_with_a_vietnamese_message(client, auth):
    user = UserFactory()
    response = auth.login(user, "not-the-password")
    assert response.status_code == 200
    assert "Email hoặc mật khẩu không đúng." in response.text
    assert client.get("/").status_code == 302


def test_passwords_are_stored_hashed(db):
    """The app hashes each account's password itself (the factories reuse one hash made ahead)."""
    from eventsapp.auth.services import create_user

    user = create_user("hashed@example.vn", PASSWORD)
    db.session.commit()
    assert PASSWORD not in user.password_hash
    assert user.password_hash != UserFactory().password_hash  # a salt of its own
    assert user.check_password(PASSWORD)
    assert not user.check_password("not-the-password")


def test_login_attempts_are_limited_per_account(app, client, auth):
    app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"] = "3 per 10 minutes"
    try:
        user = UserFactory()
        statuses = [auth.login(user, "wrong").status_code for _ in range(4)]
        assert statuses[:3] == [200, 200, 200]
        assert statuses[3] == 429
        blocked = auth.login(user, PASSWORD)  # even the right password waits
        assert blocked.status_code == 429
        assert "Bạn đã thử quá nhiều lần" in blocked.text
    finally:
        app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"] = "10000 per minute"


def test_login_attempts_are_limited_per_address(app, client, auth):
    app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"] = "3 per 10 minutes"
    try:
        users = UserFactory.create_batch(4)
        statuses = [auth.login(user, "wrong").status_code for user in users]
        assert statuses == [200, 200, 200, 429]
    finally:
        app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"] = "10000 per minute"


def test_post_without_csrf_token_is_refused(client):
    user = UserFactory()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in response.text
    assert client.get("/").status_code == 302  # not signed in


def test_session_cookie_is_httponly_and_samesite(client, auth):
    response = auth.login(UserFactory(), PASSWORD)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_security_headers_and_a_csp_without_inline_script(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.text  # every script is a file


def test_next_parameter_cannot_send_to_another_site(client, auth):
    user = UserFactory()
    page = client.get("/login?next=//evil.example/")
    response = client.post("/login?next=//evil.example/", data={
        "email": user.email, "password": PASSWORD, "csrf_token": csrf_token_from(page.text)})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(("language", "expected"), [
    ("vi", "Xin đăng nhập để xem trang này."), ("en", "Please sign in to see this page.")])
def test_a_page_that_needs_signing_in_says_so_in_the_readers_language(client, language, expected):
    client.get(f"/lang/{language}")
    page = client.get("/events/", follow_redirects=True).text
    assert expected in page and "Please log in to access this page." not in page
