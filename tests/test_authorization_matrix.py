"""Every route × every role against association A's objects, with the expected outcome in one table.

A route of `app.url_map` without a row in ROUTES fails `test_every_route_has_a_row`, so a new route
cannot ship unreviewed. Adding a route is one line: its endpoint → a named policy (the rows of
POLICIES), with `post=` when its POST needs more than its GET, and `slug=`/`token=`/`rule=` when an
argument of that name means another object than usual (see World.value).

Outcomes: OK (the check let the caller through: any status but 401/403/404 and no redirect to the
sign-in page; never a 5xx), 403, 404, LOGIN (anonymous: redirect to the sign-in page; 401 on the
API). Bodies are checked too: nobody outside A ever receives A's private contact's address.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from flask import g
from itsdangerous import URLSafeTimedSerializer

from eventsapp.associations.models import Membership, Role
from eventsapp.attendance.models import CheckIn, Printable
from eventsapp.campaigns.models import CampaignStatus
from eventsapp.contacts.models import ImportBatch
from eventsapp.events.models import EventKind, Honoree
from eventsapp.extensions import db
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.reminders.models import ReminderRule
from eventsapp.timeutils import utcnow
from tests.factories import (
    AssociationFactory,
    CampaignFactory,
    ContactFactory,
    EventFactory,
    InvitationFactory,
    UserFactory,
    staff,
)

OK, LOGIN = "ok", "login"
ROLES = ("anonymous", "admin", "organiser_a", "organiser_b", "checkin_a", "viewer_a")

# ---------------------------------------------------------------- the policies: one row each
POLICIES: dict[str, tuple] = {
    #                      anonymous admin organiser A organiser B check-in A viewer A
    "public":             (OK,       OK,   OK,         OK,         OK,        OK),   # no sign-in (tokens are keys)
    "login":              (LOGIN,    OK,   OK,         OK,         OK,        OK),   # any user; lists show their own
    "reader":             (LOGIN,    OK,   OK,         OK,         403,       OK),   # VIEW somewhere: the directory
    "manager":            (LOGIN,    OK,   OK,         OK,         403,       403),  # MANAGE somewhere: "new …" forms
    "view":               (LOGIN,    OK,   OK,         403,        403,       OK),   # A's events, campaigns, reports
    "manage":             (LOGIN,    OK,   OK,         403,        403,       403),  # change A's objects
    "door":               (LOGIN,    OK,   OK,         403,        OK,        403),  # check-in at A's events
    "counts":             (LOGIN,    OK,   OK,         403,        OK,        OK),   # attendance figures, no names
    "contact":            (LOGIN,    OK,   OK,         404,        404,       OK),   # A's contact: unknown elsewhere
    "contact:manage":     (LOGIN,    OK,   OK,         404,        404,       403),
    "owner":              (LOGIN,    404,  OK,         404,        404,       404),  # organiser A's import batch
    "admin":              (LOGIN,    OK,   403,        403,        403,       403),
    "development":        (LOGIN,    404,  404,        404,        404,       404),  # dev outbox: off outside dev
}


@dataclass(frozen=True)
class R:
    """A route's row: the policy of GET (and of every method unless `post` is given) and argument overrides."""

    policy: str
    post: str | None = None
    args: dict = field(default_factory=dict)

    def policy_for(self, method: str) -> str:
        return self.post if method != "GET" and self.post else self.policy


def r(policy: str, post: str | None = None, **args) -> R:
    return R(policy, post, args)


# ---------------------------------------------------------------- the routes: one line each
ROUTES: dict[str, R] = {
    # API (anonymous: 401)
    "api.openapi": r("public"),
    "api.list_associations": r("login"),
    "api.get_association": r("view"),
    "api.list_campaigns": r("login"),
    "api.create_campaign": r("manage"),
    "api.get_campaign": r("view"),
    "api.update_campaign": r("manage"),
    "api.publish_campaign": r("manage"),
    "api.archive_campaign": r("manage"),
    "api.list_events": r("login"),
    "api.create_event": r("manage"),
    "api.get_event": r("view"),
    "api.update_event": r("manage"),
    "api.publish_event": r("manage"),
    "api.cancel_event": r("manage"),
    "api.list_contacts": r("reader"),
    "api.create_contact": r("manager"),
    "api.import_contacts": r("manager"),
    "api.get_contact": r("contact"),
    "api.update_contact": r("contact:manage"),
    "api.list_invitations": r("view"),
    "api.add_invitations": r("manage"),
    "api.send_invitations": r("manage"),
    "api.send_progress": r("view"),
    "api.list_reminders": r("view"),
    "api.create_reminder": r("manage"),
    "api.update_reminder": r("manage"),
    "api.delete_reminder": r("manage"),
    "api.record_answer": r("manage"),
    "api.event_messages": r("view"),
    "api.send_messages": r("view"),
    "api.association_feeds": r("view"),
    "api.revoke_private_feed": r("manage"),
    "api.attendance_counts": r("counts"),
    "api.create_walk_in": r("door"),
    "api.look_up_code": r("door"),
    "api.list_check_ins": r("view"),
    "api.create_check_in": r("door"),
    "api.undo_check_in": r("door"),
    # public pages, feeds, RSVP
    "static": r("public"),
    "health.healthz": r("public"),
    "main.set_language": r("public"),
    "auth.login": r("public"),
    "events.public_page": r("public", slug="event"),
    "feeds.event_ics": r("public", slug="event"),
    "feeds.association_feed": r("public"),
    "feeds.association_private_feed": r("public", token="private_feed"),
    "feeds.campaign_feed": r("public", slug="campaign"),
    "feeds.personal_feed": r("public", token="feed"),
    "invitations.rsvp": r("public"),
    "invitations.rsvp_answer": r("public"),
    "invitations.rsvp_ics": r("public"),
    "invitations.unsubscribe": r("public", token="unsubscribe"),
    # signed in
    "auth.logout": r("login"),
    "main.dashboard": r("login"),
    "associations.index": r("login"),
    "campaigns.index": r("login"),
    "events.index": r("login"),
    "events.agenda": r("login"),
    "associations.brand_css": r("public"),
    "associations.logo": r("public"),
    "attendance.door_service_worker": r("public"),
    "associations.show": r("view"),
    "associations.identity": r("manage"),
    "associations.members": r("manage"),
    "associations.remove_member": r("manage"),
    "associations.create": r("admin"),
    "associations.edit": r("admin"),
    "associations.users": r("admin"),
    "associations.edit_user": r("admin"),
    "campaigns.create": r("manager"),
    "campaigns.show": r("view"),
    "campaigns.edit": r("manage"),
    "campaigns.publish": r("manage"),
    "campaigns.archive": r("manage"),
    "events.create": r("manager"),
    "events.show": r("view"),
    "events.edit": r("manage"),
    "events.publish": r("manage"),
    "events.cancel": r("manage"),
    "events.add_honoree": r("manage"),
    "events.remove_honoree": r("manage"),
    "events.honorees_csv": r("view"),
    "contacts.index": r("reader"),
    "contacts.export": r("reader"),
    "contacts.create": r("manager"),
    "contacts.show": r("contact"),
    "contacts.edit": r("contact:manage"),
    "contacts.merge": r("contact:manage"),
    "contacts.change_state": r("contact:manage"),
    "contacts.delete": r("contact:manage"),
    "contacts.import_upload": r("manager"),
    "contacts.import_mapping": r("owner", token="import"),
    "contacts.import_preview": r("owner", token="import"),
    "contacts.import_errors": r("owner", token="import"),
    "contacts.import_done": r("owner", token="import"),
    "invitations.event_invitations": r("view", post="manage"),
    "invitations.campaign_invitations": r("view", post="manage"),
    "invitations.export_csv": r("view"),
    "invitations.send": r("manage"),
    "invitations.send_campaign": r("manage"),
    "invitations.invitation_action": r("manage"),
    "invitations.preview": r("manage"),
    "invitations.preview_frame": r("manage"),
    "invitations.send_test": r("manage"),
    "invitations.cancel_send": r("manage"),
    "mail.event_log": r("view"),
    "mail.retry_failed": r("manage"),
    "mail.resend": r("manage"),
    "mail.send_progress": r("view"),
    "inbound.index": r("admin"),
    "mail.outbox": r("development"),
    "mail.outbox_message": r("development"),
    "reminders.event_rules": r("view", post="manage"),
    "reminders.edit_event_rule": r("manage"),
    "reminders.remove_event_rule": r("manage"),
    "reminders.campaign_rules": r("view", post="manage"),
    "reminders.association_rules": r("view", post="manage"),
    "reminders.edit_default_rule": r("manage", rule="default"),
    "reminders.remove_default_rule": r("manage", rule="default"),
    "feeds.association_feeds": r("view"),
    "feeds.revoke_private": r("manage"),
    "attendance.checkin": r("door"),
    "attendance.search": r("door"),
    "attendance.counts": r("door"),
    "attendance.scan": r("door"),
    "attendance.check_in_contact": r("door"),
    "attendance.walk_in": r("door"),
    "attendance.undo": r("door"),
    "attendance.confirm": r("door", token="checkin"),
    "attendance.doors": r("login"),
    "attendance.door_data": r("door"),
    "attendance.door_manifest": r("door"),
    "attendance.door_sync": r("door"),
    "attendance.board": r("manage"),
    "attendance.board_data": r("manage"),
    "attendance.printables_page": r("manage"),
    "attendance.printable_start": r("manage"),
    "attendance.printable_state": r("manage"),
    "attendance.printable_download": r("manage"),
    "attendance.certificate_pdf": r("manage"),
    "attendance.certificate_template_save": r("manage"),
    "attendance.certificate_template_preview": r("manage"),
    "attendance.event_report": r("view"),
    "attendance.export_csv": r("view"),
    "attendance.export_xlsx": r("view"),
    "attendance.campaign_report": r("view"),
    "attendance.association_report": r("view"),
    "attendance.overview": r("admin"),
}

SECRET_EMAIL = "rieng-tu-cua-a@example.vn"
# A 1×1 PNG: association A has a logo, so its public logo route answers.
TINY_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                         "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
NO_5XX_EXEMPT = {"health.healthz"}  # 503 while no worker heartbeat: that is its answer


# ---------------------------------------------------------------- the world: association A's objects

class World:
    """Association A with one of everything, association B, and a user per role."""

    def __init__(self):
        a, b = AssociationFactory(slug="hoi-a", logo_png=TINY_PNG, logo_version="v1", brand_color="#0a3d7a"), \
            AssociationFactory(slug="hoi-b")
        self.association = a
        fast = {"password_hash": "unused: sessions are set directly"}  # hashing five passwords per world is slow
        self.users = {"admin": UserFactory(is_admin=True, **fast), "organiser_a": staff(a, Role.ORGANISER, **fast),
                      "organiser_b": staff(b, Role.ORGANISER, **fast), "checkin_a": staff(a, Role.CHECKIN, **fast),
                      "viewer_a": staff(a, Role.VIEWER, **fast)}
        self.campaign = CampaignFactory(association=a, status=CampaignStatus.PUBLISHED)
        self.event = EventFactory(association=a, campaign=self.campaign, kind=EventKind.AWARD_CEREMONY)
        self.contact = ContactFactory(full_name="Hoàng Thị Riêng", email=SECRET_EMAIL, associations=[a])
        self.invitation = InvitationFactory(event=self.event, contact=self.contact)
        self.honoree = Honoree(event_id=self.event.id, contact_id=self.contact.id, award="Bằng khen")
        self.check_in = CheckIn(event_id=self.event.id, contact_id=self.contact.id, invitation_id=self.invitation.id,
                                checked_in_at=utcnow())
        self.message = OutboxMessage(kind=MessageKind.INVITATION, dedupe_key="matrix", recipient=SECRET_EMAIL,
                                     contact_id=self.contact.id, event_id=self.event.id, invitation_id=self.invitation.id,
                                     send_id="matrixsend")
        self.event_rule = ReminderRule(event_id=self.event.id, offset_minutes=-1440)
        self.default_rule = ReminderRule(association_id=a.id, offset_minutes=-1440)
        self.batch = ImportBatch(user_id=self.users["organiser_a"].id, association_id=a.id, filename="a.csv",
                                 headers=["Họ và tên", "Email"], rows=[["Lan", "x"]], mapping={"0": "full_name", "1": "email"},
                                 expires_at=utcnow().replace(year=utcnow().year + 1))
        self.printable = Printable(event_id=self.event.id, kind="door_list", state="done", content=b"%PDF-1.4\n%%EOF\n")
        db.session.add_all([self.honoree, self.check_in, self.message, self.event_rule, self.default_rule,
                            self.batch, self.printable])
        db.session.commit()
        self.membership = db.session.scalar(db.select(Membership).where(
            Membership.user_id == self.users["checkin_a"].id))

    def value(self, name: str, route: R):
        """The URL argument `name` for this route, naming A's object."""
        choice = route.args.get(name)
        if name == "slug":
            return {"event": self.event.slug, "campaign": self.campaign.slug}.get(choice, self.association.slug)
        if name == "token":
            return {"checkin": self.invitation.checkin_token, "feed": self.contact.feed_token,
                    "private_feed": self.association.private_feed_token, "import": self.batch.token,
                    "unsubscribe": self.contact.unsubscribe_token}.get(choice, self.invitation.token)
        if name == "rule_id":
            return (self.default_rule if route.args.get("rule") == "default" else self.event_rule).id
        return {
            "event_id": self.event.id, "campaign_id": self.campaign.id, "contact_id": self.contact.id,
            "invitation_id": self.invitation.id, "honoree_id": self.honoree.id, "checkin_id": self.check_in.id,
            "message_id": self.message.id, "membership_id": self.membership.id, "send_id": self.message.send_id,
            "user_id": self.users["organiser_a"].id, "name": "0" * 32 + ".eml", "action": "resend",
            "change": "archive", "fmt": "csv", "code": "vi", "filename": "favicon.svg",
            "printable_id": self.printable.id, "kind": "door_list",
        }[name]


def _path(rule, world: World, route: R) -> str:
    values = {name: world.value(name, route) for name in rule.arguments if name not in (rule.defaults or {})}
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def _cases(app):
    """(endpoint, rule, method) for every route of the app."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: (rule.endpoint, rule.rule)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, rule, method


# ---------------------------------------------------------------- calling as a role

CSRF_RAW = "matrix-csrf-secret"


def _request(app, client, world: World, role: str, endpoint: str, rule, method: str):
    g.pop("_login_user", None)  # the tests share one app context: forget the last request's user
    path = _path(rule, world, ROUTES[endpoint])
    headers = {}
    if endpoint.startswith("api."):
        client.delete_cookie("session")
        if role != "anonymous":
            from eventsapp.auth.services import issue_api_token

            headers["Authorization"] = f"Bearer {issue_api_token(world.users[role])}"
        body = {"json": {"association": world.association.slug}} if method != "GET" else {}
        return client.open(path, method=method, headers=headers, **body)
    with client.session_transaction() as session:
        session.clear()
        if role != "anonymous":
            session["_user_id"], session["_fresh"] = world.users[role].get_id(), True
        session["csrf_token"] = CSRF_RAW
    if method == "GET":
        return client.get(path)
    token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(CSRF_RAW)
    return client.open(path, method=method, data={"csrf_token": token}, headers={"X-CSRFToken": token})


def _outcome(response, api: bool):
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and "/login" in location and "next=" in location:
        return LOGIN
    if api and response.status_code == 401:
        return LOGIN
    if response.status_code in (401, 403, 404):
        return response.status_code
    return OK


def _check(app, client, world: World, role: str, endpoint: str, rule, method: str, problems: list) -> int:
    expected = POLICIES[ROUTES[endpoint].policy_for(method)][ROLES.index(role)]
    response = _request(app, client, world, role, endpoint, rule, method)
    got = _outcome(response, endpoint.startswith("api."))
    where = f"{method} {rule.rule} ({endpoint}) as {role}"
    if got != expected:
        problems.append(f"{where}: expected {expected}, got {got} ({response.status_code})")
    if response.status_code >= 500 and endpoint not in NO_5XX_EXEMPT:
        problems.append(f"{where}: server error {response.status_code}")
    # A token page (RSVP, unsubscribe) shows its holder their own address: the token is the key.
    token_page = ROUTES[endpoint].policy == "public" and "token" in rule.arguments
    if role in ("anonymous", "organiser_b", "checkin_a") and not token_page \
            and SECRET_EMAIL.encode() in response.get_data():
        problems.append(f"{where}: A's contact's e-mail in the answer")
    return response.status_code


# ---------------------------------------------------------------- the tests

def test_every_route_has_a_row_and_every_row_a_route(app):
    endpoints = {endpoint for endpoint, _, _ in _cases(app)}
    assert sorted(endpoints - set(ROUTES)) == [], "routes without a row in ROUTES: review them and add a row"
    assert sorted(set(ROUTES) - endpoints) == [], "rows for routes that no longer exist"
    assert all(route.policy in POLICIES and (route.post or "public") in POLICIES for route in ROUTES.values())


def _get_endpoints(app) -> list[str]:
    return sorted({endpoint for endpoint, _, method in _cases(app) if method == "GET"})


def _write_cases(app) -> list[tuple[str, str]]:
    return sorted({(endpoint, method) for endpoint, _, method in _cases(app) if method != "GET"})


def _rebuild() -> World:
    """A fresh world: DELETE (much quicker than TRUNCATE on these few rows), children first."""
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
    return World()


@pytest.fixture
def world(db):
    return World()


@pytest.mark.slow
def test_reads_follow_the_matrix(app, client, world):
    """Every GET route × every role (reads change nothing, so one world serves them all)."""
    problems: list[str] = []
    for endpoint, rule, method in _cases(app):
        if method == "GET" and endpoint in ROUTES:
            for role in ROLES:
                _check(app, client, world, role, endpoint, rule, method, problems)
    assert problems == [], "\n".join(problems)


@pytest.mark.slow
def test_writes_follow_the_matrix(app, client, world):
    """Every POST/PATCH/PUT/DELETE route × every role; a caller let through may change the world,
    so the world is rebuilt before each one that the matrix allows (refused callers change nothing)."""
    problems: list[str] = []
    dirty = False
    for endpoint, rule, method in _cases(app):
        if method == "GET" or endpoint not in ROUTES:
            continue
        policy = POLICIES[ROUTES[endpoint].policy_for(method)]
        for role in sorted(ROLES, key=lambda role: policy[ROLES.index(role)] == OK):  # refused ones first
            if dirty:
                world = _rebuild()
            status = _check(app, client, world, role, endpoint, rule, method, problems)
            # A refused (403/404, sign-in redirect) or invalid (4xx) request changed nothing.
            dirty = policy[ROLES.index(role)] == OK and status < 400
    assert problems == [], "\n".join(problems)
