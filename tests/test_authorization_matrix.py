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
from eventsapp.channels.models import ShortLink
from eventsapp.contacts.models import ImportBatch
from eventsapp.events.models import EventKind, Honoree
from eventsapp.extensions import db
from eventsapp.guests.models import Delegation, EventGuest
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.questions.models import Question, QuestionKind
from eventsapp.registration.models import Registration, RegistrationState
from eventsapp.registration.services import code_token_for
from eventsapp.registration.services import token_for as registration_token
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
    "signed":             (403,      403,  403,        403,        403,       403),  # gateways' webhooks: signatures
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
    "api.list_named_guests": r("view"),
    "api.replace_named_guests": r("manage"),
    "api.list_delegations": r("view"),
    "api.create_delegation": r("manage"),
    "api.get_delegation": r("view"),
    "api.add_delegation_member": r("manage"),
    "api.remove_delegation_member": r("manage"),
    "api.audit_entries": r("manager"),
    "api.export_personal_data": r("admin"),
    "api.erase_person": r("admin"),
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
    "api.list_questions": r("view"),
    "api.create_question": r("manage"),
    "api.update_question": r("manage"),
    "api.delete_question": r("manage"),
    "api.question_summary": r("view"),
    "api.get_answers": r("view"),
    "api.list_registrations": r("view"),
    "api.get_registration": r("view"),
    "api.approve_registration": r("manage"),
    "api.decline_registration": r("manage"),
    "api.set_answers": r("manage"),
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
    "invitations.test_copy_link": r("public"),
    "invitations.unsubscribe": r("public", token="unsubscribe"),
    "privacy.person": r("public", token="unsubscribe"),
    "privacy.person_download": r("public", token="unsubscribe", fmt="json"),
    "privacy.person_erase": r("public", token="unsubscribe"),
    "privacy.person_consent": r("public", token="unsubscribe"),
    "privacy.from_invitation": r("public"),
    "privacy.staff_download": r("admin", fmt="xlsx"),
    "privacy.staff_erase": r("admin"),
    "attendance.join": r("public", token="join"),
    "feedback.answer": r("public"),  # by the RSVP token
    "feedback.event_results": r("view", post="manage"),
    "feedback.export_csv": r("view"),
    "feedback.campaign_results": r("view"),  # the personal join link: a page before the meeting opens
    # signed in
    "auth.logout": r("login"),
    "main.dashboard": r("login"),
    "main.markdown_preview": r("login"),
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
    "associations.user_roles": r("admin"),
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
    "contacts.import_example": r("manager"),
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
    "invitations.record_answer": r("manage"),
    "invitations.hand_card": r("manage"),
    "invitations.preview": r("manage"),
    "invitations.preview_frame": r("manage"),
    "invitations.send_test": r("manage"),
    "invitations.cancel_send": r("manage"),
    "mail.event_log": r("view"),
    "channels.short_link": r("public", code="short"),
    "channels.twilio_status": r("signed"),
    "channels.twilio_inbound": r("signed"),
    "channels.esms_callback": r("signed"),
    "channels.zalo_webhook": r("signed"),
    "channels.event_channels": r("view", post="manage"),
    "channels.zalo_templates": r("view", post="manage"),
    "mail.retry_failed": r("manage"),
    "mail.resend": r("manage"),
    "mail.send_progress": r("view"),
    "inbound.index": r("admin"),
    "audit.index": r("manager"),
    "mail.outbox": r("development"),
    "mail.outbox_message": r("development"),
    "reminders.event_rules": r("view", post="manage"),
    "reminders.edit_event_rule": r("manage"),
    "reminders.preview_rule": r("manage"),
    "reminders.preview_rule_frame": r("manage"),
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
    # named guests and delegations (a leader's link is the key to its own delegation only)
    "guests.invitee_guests": r("public"),
    "guests.delegation": r("public", token="delegation"),
    "guests.add_member": r("public", token="delegation"),
    "guests.change_member": r("public", token="delegation"),
    "guests.remove_member": r("public", token="delegation"),
    "guests.staff_guests": r("manage"),
    "guests.event_guests": r("view"),
    "guests.save_options": r("manage"),
    "guests.create_delegation": r("manage"),
    "guests.revoke_delegation": r("manage"),
    "guests.new_delegation_link": r("manage"),
    "questions.event_questions": r("view"),
    "questions.new_question": r("manage"),
    "questions.edit_question": r("manage"),
    "questions.move_question": r("manage"),
    "questions.remove_question": r("manage"),
    "questions.export_answers": r("view"),
    "questions.invitation_answers": r("view", post="manage"),
    "registration.form": r("public", slug="event"),
    "registration.register": r("public", slug="event"),
    "registration.confirm": r("public", slug="event", token="registration"),
    "registration.code": r("public", slug="event", token="registration_code"),
    "registration.manage": r("view", post="manage"),
    "registration.decide": r("manage"),
    "ceremony.protocol_table": r("manage"),
    "ceremony.protocol_add": r("manage"),
    "ceremony.protocol_change": r("manage"),
    "ceremony.order": r("manage"),
    "ceremony.move": r("manage"),
    "ceremony.reset": r("manage"),
    "ceremony.person": r("manage"),
    "ceremony.seating_page": r("manage"),
    "ceremony.table_add": r("manage"),
    "ceremony.table_change": r("manage"),
    "ceremony.assign": r("manage"),
    "ceremony.place": r("manage"),
    "ceremony.print_start": r("manage"),
    "ceremony.mc_page": r("counts"),
    "ceremony.mc_projector": r("counts"),
    "ceremony.mc_data": r("counts"),
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
        self.event = EventFactory(association=a, campaign=self.campaign, kind=EventKind.AWARD_CEREMONY,
                                  online_url="https://meet.example.vn/trao-giai")
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
        self.question = Question(event_id=self.event.id, kind=QuestionKind.TEXT, text_vi="Số chuyến bay", options=[])
        registrant = ContactFactory(full_name="Người Đăng Ký", email="dang-ky@example.vn", associations=[a])
        self.registration = Registration(event_id=self.event.id, full_name="Người Đăng Ký", email="dang-ky@example.vn",
                                         answers={}, message="", state=RegistrationState.PENDING,
                                         contact_id=registrant.id)
        self.phone_registration = Registration(event_id=self.event.id, full_name="Người Đăng Ký Qua Điện Thoại",
                                               email="", phone="+84900000001", answers={}, message="",
                                               code_sent_at=utcnow())
        self.printable = Printable(event_id=self.event.id, kind="door_list", state="done", content=b"%PDF-1.4\n%%EOF\n")
        leader = ContactFactory(full_name="Trưởng đoàn A", associations=[a])
        self.delegation = Delegation(event_id=self.event.id, name="Đoàn hội A", leader_contact_id=leader.id, quota=3)
        self.member = EventGuest(event_id=self.event.id, full_name="Thành viên A")
        self.delegation.members.append(self.member)
        db.session.add_all([self.honoree, self.check_in, self.message, self.event_rule, self.default_rule,
                            self.batch, self.printable, self.delegation, self.question, self.registration, self.phone_registration,
                            ShortLink(code="matrixshort", invitation_id=self.invitation.id)])
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
                    "unsubscribe": self.contact.unsubscribe_token,
                    "delegation": self.delegation.token,
                    "registration": registration_token(self.registration),
                    "registration_code": code_token_for(self.phone_registration),
                    "join": self.invitation.join_token}.get(choice, self.invitation.token)
        if name == "code" and choice == "short":
            return "matrixshort"
        if name == "fmt" and choice:
            return choice
        if name == "rule_id":
            return (self.default_rule if route.args.get("rule") == "default" else self.event_rule).id
        return {
            "event_id": self.event.id, "campaign_id": self.campaign.id, "contact_id": self.contact.id,
            "invitation_id": self.invitation.id, "honoree_id": self.honoree.id, "checkin_id": self.check_in.id,
            "message_id": self.message.id, "membership_id": self.membership.id, "send_id": self.message.send_id,
            "user_id": self.users["organiser_a"].id, "name": "0" * 32 + ".eml", "action": "resend",
            "change": "archive", "fmt": "csv", "code": "vi", "filename": "favicon.svg",
            "printable_id": self.printable.id, "kind": "door_list", "link": "rsvp", "row_id": self.message.id,
            "delegation_id": self.delegation.id, "member_id": self.member.id, "question_id": self.question.id,
            "registration_id": self.registration.id, "decision": "accept",
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


# ---------------------------------------------------------------- the boundary through import, create and merge
# Association B's organiser knows an address that only association A holds. Whatever B sends — an import
# on the page or the API, a new contact, an e-mail change, a merge — B learns nothing of A's values, the
# answer does not say the address exists elsewhere, and A's contact stays exactly as A left it.

A_PHONE, A_NOTES, A_PLACE = "+84 900 111 222", "Ghi chú riêng của hội A", "Lục Ngạn"
B_ROW = "Tên do hội B ghi,{email},,hoi-b,Ghi chú của hội B\n"
IMPORT_HEADER = "Họ và tên,Email,Số điện thoại,Hội,Ghi chú\n"
# Words an answer to B must not hold: A's values, and any sign that the address is known.
REVEALING = (A_PHONE, A_NOTES, A_PLACE, "Hoàng Thị Riêng", "hoi-a", "đã có", "already", "hội khác",
             "another association", "cập nhật", "update")


def _a_keeps_private_details(world: World) -> None:
    world.contact.phone, world.contact.notes, world.contact.place = A_PHONE, A_NOTES, A_PLACE
    db.session.commit()


def _assert_a_contact_untouched(world: World) -> None:
    from eventsapp.contacts.models import Contact

    db.session.expire_all()
    contact = db.session.get(Contact, world.contact.id)
    assert (contact.full_name, contact.email, contact.phone, contact.notes, contact.place) == \
        ("Hoàng Thị Riêng", SECRET_EMAIL, A_PHONE, A_NOTES, A_PLACE)
    assert [a.slug for a in contact.associations] == ["hoi-a"]
    assert sorted(t.tag for t in contact.tags) == []


def _assert_reveals_nothing(text: str, *, allow: tuple = ()) -> None:
    lowered = text.lower()
    found = [word for word in REVEALING if word.lower() in lowered and word not in allow]
    assert found == [], f"the answer to B reveals {found}"


def _csv(*emails: str) -> bytes:
    return (IMPORT_HEADER + "".join(B_ROW.format(email=email) for email in emails)).encode()


def test_import_page_by_b_of_a_address_reveals_and_changes_nothing(auth, world):
    import io

    _a_keeps_private_details(world)
    auth.login(world.users["organiser_b"])
    preview = auth.post("/contacts/import", {"file": (io.BytesIO(_csv(SECRET_EMAIL)), "b.csv"), "association_id": "0"},
                        content_type="multipart/form-data", follow_redirects=True)
    assert preview.status_code == 200
    rows = re.search(r'<table[^>]*id="import-rows".*?</table>', preview.text, re.S).group(0)
    _assert_reveals_nothing(rows)
    _assert_reveals_nothing(re.sub(r"<[^>]+>", " ", preview.text), allow=("cập nhật", "update"))
    assert 'data-count="update">0<' in preview.text
    token = re.search(r"/contacts/import/([\w-]+)/", preview.text).group(1)
    done = auth.post(f"/contacts/import/{token}", {"valid_only": "y", "basis": "consent"}, follow_redirects=True)
    assert done.status_code == 200
    _assert_reveals_nothing(re.sub(r"<[^>]+>", " ", done.text), allow=("cập nhật", "update"))
    _assert_a_contact_untouched(world)
    directory = auth.client.get("/contacts/?q=rieng")
    assert SECRET_EMAIL not in directory.text


def test_api_import_and_create_by_b_of_a_address_reveal_and_change_nothing(api, world):
    import io

    _a_keeps_private_details(world)
    client = api(world.users["organiser_b"])
    files = lambda: {"file": (io.BytesIO(_csv(SECRET_EMAIL, "moi-hoan-toan@example.vn")), "b.csv")}  # noqa: E731
    dry = client.post("/api/v1/contacts/import", data={**files(), "dry_run": "true"}, content_type="multipart/form-data")
    assert dry.status_code == 200 and dry.json["counts"]["update"] == 0
    _assert_reveals_nothing(dry.get_data(as_text=True), allow=("update",))
    done = client.post("/api/v1/contacts/import", data={**files(), "valid_only": "true"},
                       content_type="multipart/form-data")
    assert done.status_code == 200 and done.json["imported"]["updated"] == 0 and done.json["imported"]["created"] == 1
    _assert_reveals_nothing(done.get_data(as_text=True), allow=("update",))
    _assert_a_contact_untouched(world)
    assert client.get(f"/api/v1/contacts/{world.contact.id}").status_code == 404

    created = client.post("/api/v1/contacts", json={"full_name": "Tên do hội B ghi", "email": SECRET_EMAIL,
                                                    "phone": "+84 988 000 999", "associations": ["hoi-b"]})
    assert created.status_code == 400 and created.json["error"]["code"] == "invalid"
    _assert_reveals_nothing(created.get_data(as_text=True))
    # B's own contact cannot take the address either (PATCH e-mail).
    own = client.post("/api/v1/contacts", json={"full_name": "Người của B", "email": "nguoi-cua-b@example.vn",
                                                "associations": ["hoi-b"]})
    assert own.status_code == 201, own.json
    renamed = client.patch(f"/api/v1/contacts/{own.json['id']}", json={"email": SECRET_EMAIL})
    assert renamed.status_code == 400
    _assert_reveals_nothing(renamed.get_data(as_text=True))
    _assert_a_contact_untouched(world)


def test_new_contact_page_by_b_with_a_address_reveals_and_changes_nothing(auth, world):
    b = db.session.scalar(db.select(Membership).where(Membership.user_id == world.users["organiser_b"].id))
    _a_keeps_private_details(world)
    auth.login(world.users["organiser_b"])
    response = auth.post("/contacts/new", {"full_name": "Tên do hội B ghi", "email": SECRET_EMAIL,
                                           "timezone": "Asia/Ho_Chi_Minh", "language": "vi",
                                           "association_ids": str(b.association_id)}, follow_redirects=True)
    assert response.status_code == 200
    _assert_reveals_nothing(re.sub(r"<[^>]+>", " ", response.text).replace(SECRET_EMAIL, ""))
    _assert_a_contact_untouched(world)


def test_merge_by_b_never_reaches_or_removes_a_contact(auth, world):
    from eventsapp.contacts.models import Contact

    _a_keeps_private_details(world)
    hoi_b = db.session.scalar(db.select(Membership).where(
        Membership.user_id == world.users["organiser_b"].id)).association
    own = ContactFactory(full_name="Người của B", email="nguoi-cua-b@example.vn", associations=[hoi_b])
    db.session.commit()
    auth.login(world.users["organiser_b"])
    # A's own contact: answered as an address nobody has.
    response = auth.post(f"/contacts/{own.id}/merge", {"other_email": SECRET_EMAIL}, follow_redirects=True)
    assert "Không có liên hệ nào bạn quản lý có email hoặc số điện thoại này" in response.text
    _assert_reveals_nothing(re.sub(r"<[^>]+>", " ", response.text).replace(SECRET_EMAIL, ""))
    _assert_a_contact_untouched(world)
    # A contact that A and B both hold: B may not fold it into B's own (A would lose its record).
    shared = ContactFactory(full_name="Người chung", email="nguoi-chung@example.vn", phone="+84 911",
                            associations=[world.association, hoi_b])
    db.session.commit()
    auth.login(world.users["organiser_b"])
    refused = auth.post(f"/contacts/{own.id}/merge", {"other_email": "nguoi-chung@example.vn"}, follow_redirects=True)
    assert "quản trị viên" in refused.text
    db.session.expire_all()
    assert db.session.get(Contact, shared.id) is not None
    assert {a.slug for a in db.session.get(Contact, shared.id).associations} == {"hoi-a", hoi_b.slug}
    assert {a.slug for a in db.session.get(Contact, own.id).associations} == {hoi_b.slug}
    # Nor fold B's own into the shared one (A's record would take B's contact's links and history).
    refused = auth.post(f"/contacts/{shared.id}/merge", {"other_email": "nguoi-cua-b@example.vn"},
                        follow_redirects=True)
    assert "quản trị viên" in refused.text
    db.session.expire_all()
    assert db.session.get(Contact, own.id) is not None


# ---------------------------------------------------------------- the boundary by phone number (issue 26)
# A person is known by a phone number as much as by an address: B typing A's member's number, however written,
# meets the same wall, in the same words, and A's contact stays as A left it.

A_MOBILE = "+84900111222"  # stored (E.164); B writes it as people do
B_WRITES = ("0900 111 222", "+84 900 111 222", "0084 900.111.222")
PHONE_HEADER = "Họ và tên,Điện thoại,Danh xưng,Hội\n"


def _a_has_a_mobile(world: World) -> None:
    world.contact.phone, world.contact.notes, world.contact.place = A_MOBILE, A_NOTES, A_PLACE
    db.session.commit()


def _a_mobile_untouched(world: World) -> None:
    from eventsapp.contacts.models import Contact

    db.session.expire_all()
    contact = db.session.get(Contact, world.contact.id)
    assert (contact.full_name, contact.email, contact.phone, contact.notes, contact.place, contact.honorific) == \
        ("Hoàng Thị Riêng", SECRET_EMAIL, A_MOBILE, A_NOTES, A_PLACE, "")
    assert [a.slug for a in contact.associations] == ["hoi-a"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Contact).where(Contact.phone == A_MOBILE)) == 1


def test_import_page_by_b_of_a_phone_number_reveals_and_changes_nothing(auth, world):
    import io

    _a_has_a_mobile(world)
    auth.login(world.users["organiser_b"])
    # Each spelling in a file of its own; with B's own new address too, the number still names A's person.
    uploads = [(PHONE_HEADER + f"Tên do hội B ghi,{number},Ông,hoi-b\n").encode() for number in B_WRITES]
    uploads.append((PHONE_HEADER.replace("Điện thoại", "Email,Điện thoại") + "Người mới của B,moi@example.vn,"
                    + B_WRITES[0] + ",Ông,hoi-b\n").encode())
    for upload in uploads:
        preview = auth.post("/contacts/import", {"file": (io.BytesIO(upload), "b.csv"), "association_id": "0"},
                            content_type="multipart/form-data", follow_redirects=True)
        assert preview.status_code == 200
        text = re.sub(r"<[^>]+>", " ", preview.text)
        assert "Không thêm được địa chỉ này ở đây" in text  # the words said for an address, naming no one
        _assert_reveals_nothing(text, allow=("cập nhật", "update"))
        assert 'data-count="update">0<' in preview.text and 'data-count="create">0<' in preview.text
        token = re.search(r"/contacts/import/([\w-]+)/", preview.text).group(1)
        done = auth.post(f"/contacts/import/{token}", {"valid_only": "y"}, follow_redirects=True)
        assert done.status_code == 200
        _assert_reveals_nothing(re.sub(r"<[^>]+>", " ", done.text), allow=("cập nhật", "update"))
    _a_mobile_untouched(world)


def test_api_import_create_and_change_by_b_with_a_phone_number_reveal_and_change_nothing(api, world):
    import io

    _a_has_a_mobile(world)
    client = api(world.users["organiser_b"])
    for number in B_WRITES:
        files = lambda: {"file": (io.BytesIO((PHONE_HEADER + f"Tên do hội B ghi,{number},Bà,hoi-b\n").encode()),  # noqa: B023,E731
                                  "b.csv")}
        dry = client.post("/api/v1/contacts/import", data={**files(), "dry_run": "true"},
                          content_type="multipart/form-data")
        assert dry.status_code == 200 and dry.json["counts"] == {"create": 0, "update": 0, "skip": 0, "ignore": 0,
                                                                 "error": 1}
        _assert_reveals_nothing(dry.get_data(as_text=True), allow=("update",))
        done = client.post("/api/v1/contacts/import", data={**files(), "valid_only": "true"},
                           content_type="multipart/form-data")
        assert done.status_code == 200 and done.json["imported"]["updated"] == 0
        _assert_reveals_nothing(done.get_data(as_text=True), allow=("update",))
    for number in B_WRITES:
        created = client.post("/api/v1/contacts", json={"full_name": "Tên do hội B ghi", "phone": number,
                                                        "associations": ["hoi-b"]})
        assert created.status_code == 400 and created.json["error"]["code"] == "invalid"
        _assert_reveals_nothing(created.get_data(as_text=True))
    own = client.post("/api/v1/contacts", json={"full_name": "Người của B", "phone": "0988 000 999",
                                                "associations": ["hoi-b"]})
    assert own.status_code == 201 and own.json["phone"] == "+84988000999" and own.json["email"] is None
    changed = client.patch(f"/api/v1/contacts/{own.json['id']}", json={"phone": B_WRITES[1]})
    assert changed.status_code == 400
    _assert_reveals_nothing(changed.get_data(as_text=True))
    _a_mobile_untouched(world)


def test_new_contact_page_by_b_with_a_phone_number_reveals_and_changes_nothing(auth, world):
    b = db.session.scalar(db.select(Membership).where(Membership.user_id == world.users["organiser_b"].id))
    _a_has_a_mobile(world)
    auth.login(world.users["organiser_b"])
    response = auth.post("/contacts/new", {"full_name": "Tên do hội B ghi", "phone": B_WRITES[0],
                                           "preferred_channel": "zalo", "timezone": "Asia/Ho_Chi_Minh",
                                           "language": "vi", "association_ids": str(b.association_id)},
                         follow_redirects=True)
    assert response.status_code == 200
    text = re.sub(r"<[^>]+>", " ", response.text)
    assert "Không thêm được địa chỉ này ở đây" in text
    _assert_reveals_nothing(text)
    _a_mobile_untouched(world)
