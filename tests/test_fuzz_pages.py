"""Issue 22, "No 500, ever", for the pages: every GET route of `app.url_map` (its path filled with the ids
of real objects; the API's with a bearer token) is visited by an administrator with hostile values in the query arguments it reads
and in the common ones (huge numbers, 2^63, an encoded lone surrogate, NUL, CR/LF, 10,000 characters,
`{}`…); none answers 500. The cases the issue names (`?page=10^20`, a crafted contact cursor, the
preview's `?invitation=10^20`) are also tested one by one for their clear 4xx message."""
from __future__ import annotations

import base64
import json
import re

import pytest
from flask import g
from werkzeug.datastructures import ImmutableMultiDict

from eventsapp.auth.services import issue_api_token
from eventsapp.events.models import Honoree
from tests.factories import (
    AssociationFactory,
    CampaignFactory,
    ContactFactory,
    EventFactory,
    InvitationFactory,
    UserFactory,
)
from tests.mail_factories import queue_staff
from tests.reminders_helpers import rule as reminder_rule

HOSTILE = {
    "10^20": "100000000000000000000",
    "2^63": "9223372036854775808",
    "-2^63-1": "-9223372036854775809",
    "2^31": "2147483648",
    "minus one": "-1",
    "zero": "0",
    "1e309": "1e309",
    "lone surrogate": "%ED%A0%80",
    "NUL": "%00",
    "CR LF": "%0D%0A",
    "10,000 characters": "x" * 10_000,
    "10,000 digits": "9" * 10_000,
    "{}": "%7B%7D",
    "[]": "%5B%5D",
    "full-width digits": "%EF%BC%91%EF%BC%92",
    "path": "..%2F..%2Fetc%2Fpasswd",
}

# Read by some page, or a plausible name for one; each is also sent alone when the view reads it.
COMMON_ARGUMENTS = ("page", "after", "cursor", "invitation", "association", "association_id", "campaign_id",
                    "kind", "state", "status", "q", "tz", "year", "limit", "offset", "next", "answer",
                    "honoree", "v", "lang", "branches", "upcoming", "from", "to", "tag", "country", "date")


def crafted_cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


CRAFTED_CURSORS = {
    "id beyond 2^63": crafted_cursor(["nguyen", 2**70]),
    "id beyond 2^31": crafted_cursor(["nguyen", 2**31]),
    "NUL in the key": crafted_cursor(["\x00", 1]),
    "lone surrogate in the key": crafted_cursor(["\ud800", 1]),
    "object as key": crafted_cursor([{}, 1]),
    "float id": crafted_cursor(["a", 1e308]),
    "huge key": crafted_cursor(["x" * 100_000, 1]),
    "not a list": crafted_cursor("x"),
    "not base64": "%%%%",
    "not JSON": base64.urlsafe_b64encode(b"\xff\xfe").decode(),
}


class RecordingArgs(ImmutableMultiDict):
    """Query arguments that remember which names the view asked for."""

    read: set[str] = set()

    def get(self, key, *args, **kwargs):
        RecordingArgs.read.add(key)
        return super().get(key, *args, **kwargs)

    def __getitem__(self, key):
        RecordingArgs.read.add(key)
        return super().__getitem__(key)

    def getlist(self, key, *args, **kwargs):
        RecordingArgs.read.add(key)
        return super().getlist(key, *args, **kwargs)

    def __contains__(self, key):
        RecordingArgs.read.add(key)
        return super().__contains__(key)


@pytest.fixture
def world(app, db):
    """One of each object the routes name, visible to the administrator."""
    association = AssociationFactory()
    campaign = CampaignFactory(association=association)
    event = EventFactory(association=association, campaign=campaign)
    contact = ContactFactory()
    invitation = InvitationFactory(event=event, contact=contact)
    honoree = Honoree(event=event, contact=contact, award="Giấy khen")
    db.session.add(honoree)
    db.session.commit()
    reminder = reminder_rule(event)
    send_id = queue_staff(1, event_id=event.id)
    admin = UserFactory(is_admin=True)
    return {
        "event_id": event.id, "campaign_id": campaign.id, "contact_id": contact.id, "user_id": admin.id,
        "invitation_id": invitation.id, "honoree_id": honoree.id, "rule_id": reminder.id, "printable_id": 1,
        "send_id": send_id, "fmt": "csv", "code": "vi", "name": "none.eml", "filename": "none.css",
        "association": association.slug, "event": event.slug, "campaign": campaign.slug,
        "token": invitation.token, "admin": admin,
        "api_headers": {"Authorization": f"Bearer {issue_api_token(admin)}"},
    }


def path_of(rule, world) -> str:
    """The rule's path with the world's values (an unknown argument name gets 1: a 404 is fine too)."""
    values = {}
    for name in rule.arguments:
        if name == "slug":
            values[name] = world["event"] if rule.rule.startswith("/e/") else (
                world["campaign"] if rule.rule.startswith("/feeds/campaigns/") else world["association"])
        else:
            values[name] = world.get(name, 1)
    path = rule.rule
    for name, value in values.items():
        for converter in ("int:", "path:", ""):
            path = path.replace(f"<{converter}{name}>", str(value))
    return path


def signed_in(client, user):
    g.pop("_login_user", None)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def visit(client, url: str, failures: list[str], headers=None) -> None:
    g.pop("_login_user", None)
    try:
        status = client.get(url, headers=headers).status_code
    except Exception as error:  # noqa: BLE001 - the test reports every crash, not just the first
        failures.append(f"{url[:120]}: {type(error).__name__}: {error}"[:300])
        return
    if status == 500:
        failures.append(f"{url[:120]}: 500")


def test_no_get_route_answers_500_to_hostile_query_values(app, client, world, monkeypatch):
    monkeypatch.setattr(app.request_class, "parameter_storage_class", RecordingArgs)
    signed_in(client, world["admin"])
    rules = [rule for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and rule.endpoint != "static"]
    assert len(rules) > 80
    failures: list[str] = []
    for rule in sorted(rules, key=lambda rule: rule.rule):
        path = path_of(rule, world)
        headers = world["api_headers"] if path.startswith("/api/") else None  # the API signs in by token only
        RecordingArgs.read = set()
        visit(client, path, failures, headers)
        read = set(RecordingArgs.read) - {"lang"}  # every page reads ?lang= (i18n.select_locale)
        for value in HOSTILE.values():
            visit(client, f"{path}?" + "&".join(f"{name}={value}" for name in COMMON_ARGUMENTS), failures, headers)
            for name in sorted(read):
                visit(client, f"{path}?{name}={value}", failures, headers)
        signed_in(client, world["admin"])  # a route may have signed the client out or switched it
    # The requests with one argument first: they name the argument that broke the page.
    failures.sort(key=lambda failure: ("&" in failure, failure))
    assert not failures, f"{len(failures)} requests answered 500:\n" + "\n".join(failures[:100])


HOSTILE_SEGMENTS = ("%ED%A0%80", "x" * 10_000, "%7B%7D", "..%2F..%2Fetc%2Fpasswd", "%EF%BF%BF", "%25", "%C3%A9%CC%81",
                    "9" * 30)


def test_no_get_route_answers_500_to_hostile_path_values(app, client, world):
    """Every text part of a path (slug, token, file name…) given hostile values: a 4xx, never a 500."""
    signed_in(client, world["admin"])
    failures: list[str] = []
    routes = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        texts = [name for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule)
                 if converter in ("", "string", "path")]
        if "GET" not in rule.methods or rule.endpoint == "static" or not texts:
            continue
        headers = world["api_headers"] if rule.rule.startswith("/api/") else None
        routes += 1
        for name in texts:
            for value in HOSTILE_SEGMENTS:
                visit(client, path_of(rule, {**world, name: value, "association": value, "event": value,
                                             "campaign": value} if name == "slug" else {**world, name: value}),
                      failures, headers)
        signed_in(client, world["admin"])
    assert routes > 25, "the routes with a slug, token or name in their path"
    assert not failures, f"{len(failures)} requests answered 500:\n" + "\n".join(failures[:100])


# ---------------------------------------------------------------- the named cases, with their message

@pytest.mark.parametrize("page", ["100000000000000000000", "9223372036854775808", "100001", "9" * 10_000])
@pytest.mark.parametrize("where", ["/events/{event_id}/invitations", "/events/{event_id}/mail",
                                   "/campaigns/{campaign_id}/invitations", "/mail/inbound",
                                   "/events/{event_id}/reminders"])
def test_a_page_number_out_of_range_is_a_clear_400(client, world, where, page):
    signed_in(client, world["admin"])
    response = client.get(where.format(**world) + f"?page={page}")
    assert response.status_code == 400
    assert "Số trang phải là số nguyên từ 1 đến" in response.text


@pytest.mark.parametrize("where", ["/events/{event_id}/invitations", "/events/{event_id}/mail", "/mail/inbound"])
@pytest.mark.parametrize("page", ["1", "1000", "100000", "0", "-3", "abc", ""])
def test_pages_past_the_end_are_empty_and_other_values_the_first(client, world, where, page):
    signed_in(client, world["admin"])
    assert client.get(where.format(**world) + f"?page={page}").status_code == 200


@pytest.mark.parametrize("cursor", CRAFTED_CURSORS.values(), ids=CRAFTED_CURSORS.keys())
def test_a_crafted_contact_cursor_is_a_clear_400(client, world, cursor):
    signed_in(client, world["admin"])
    response = client.get(f"/contacts/?after={cursor}")
    assert response.status_code == 400
    assert "Liên kết trang này không hợp lệ" in response.text


@pytest.mark.parametrize("name", ["Trần Thị Khách", "Nguyễn Thị Ánh " + "Ỹ" * 180, "𠀀" * 190])
def test_the_contact_cursor_of_the_next_page_still_works(client, world, name):
    for n in range(60):
        ContactFactory(full_name=f"{name} {n:02d}")
    signed_in(client, world["admin"])
    first = client.get("/contacts/")
    assert first.status_code == 200 and 'rel="next"' in first.text
    next_link = first.text.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    assert client.get(next_link).status_code == 200


@pytest.mark.parametrize("invitation", ["100000000000000000000", "9223372036854775808", "2147483648"])
def test_the_preview_of_an_invitation_beyond_every_id_is_a_404(client, world, invitation):
    signed_in(client, world["admin"])
    response = client.get(f"/events/{world['event_id']}/invitations/preview?invitation={invitation}")
    assert response.status_code == 404
