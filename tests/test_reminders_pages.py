"""The organiser's reminder pages and the reminders API."""
from __future__ import annotations

from eventsapp.associations.models import Role
from eventsapp.invitations.models import InvitationStatus
from eventsapp.reminders import services
from eventsapp.reminders.models import Anchor, RuleKind
from eventsapp.timeutils import utcnow
from tests.factories import AssociationFactory, CampaignFactory, staff
from tests.reminders_helpers import DAY, HOUR, START, invite, make_event, rule


def upcoming_event(**kwargs):
    return make_event(starts_at=(utcnow() + 20 * DAY).replace(second=0, microsecond=0), **kwargs)


def test_the_event_tab_lists_rules_fire_times_counts_and_the_email_log(client, auth, db):
    event = make_event(timezone="Asia/Ho_Chi_Minh")
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    rule(event, offset=-DAY)
    rule(event, offset=-7 * DAY)
    services.fire_due(now=START - 7 * DAY)
    auth.login(staff(event.association, timezone="Europe/Berlin"))
    page = client.get(f"/events/{event.id}/reminders?lang=vi")
    assert page.status_code == 200
    html = page.text
    assert "Nhắc nhở" in html
    assert "1 ngày trước khi bắt đầu" in html and "7 ngày trước khi bắt đầu" in html
    assert "giờ Việt Nam (UTC+7)" in html and "giờ Đức (Berlin, UTC+1)" in html  # the event's zone and the reader's
    assert "an@example.vn" in html and "đang chờ gửi: 1" in html


def test_an_organiser_adds_changes_and_removes_a_rule_and_bad_input_is_explained(client, auth, db):
    event = upcoming_event()
    auth.login(staff(event.association))
    url = f"/events/{event.id}/reminders"
    form = {"kind": "reminder", "timing": "relative", "amount": "2", "unit": "hours", "to_accepted": "y"}
    assert auth.post(url, form).status_code == 302
    (added,) = services.event_rules(event)
    assert added.offset_minutes == -120 and added.fire_at == event.starts_at - 2 * HOUR

    refused = auth.post(url + "?lang=vi", {**form, "to_accepted": ""})
    assert refused.status_code == 200 and "Chọn ít nhất một nhóm khách mời." in refused.text

    edit = f"/events/{event.id}/reminders/{added.id}/edit"
    assert auth.post(edit, {**form, "amount": "3", "unit": "days"}).status_code == 302
    db.session.expire_all()
    assert services.event_rules(event)[0].offset_minutes == -3 * 24 * 60

    assert auth.post(f"/events/{event.id}/reminders/{added.id}/remove", {}, form_url=url).status_code == 302
    assert services.event_rules(event) == []


def test_viewers_see_but_do_not_change(client, auth, db):
    event = upcoming_event()
    auth.login(staff(event.association, role=Role.VIEWER))
    url = f"/events/{event.id}/reminders"
    assert client.get(url).status_code == 200
    assert auth.post(url, {"kind": "reminder", "timing": "relative", "amount": "1", "unit": "days",
                           "to_accepted": "y"}).status_code == 403
    outsider_event = upcoming_event()
    assert client.get(f"/events/{outsider_event.id}/reminders").status_code == 403


def test_campaign_and_association_defaults_pages(client, auth, db):
    association = AssociationFactory()
    campaign = CampaignFactory(association=association)
    auth.login(staff(association))
    form = {"kind": "thank_you", "timing": "relative", "amount": "1", "unit": "days", "to_accepted": "y",
            "message_vi": "Cảm ơn!"}
    assert auth.post(f"/campaigns/{campaign.id}/reminders", form).status_code == 302
    assert auth.post(f"/associations/{association.slug}/reminders",
                     {**form, "kind": "reminder", "amount": "2"}).status_code == 302
    (thanks,) = services.default_rules(campaign=campaign)
    assert (thanks.kind, thanks.anchor, thanks.offset_minutes) == (RuleKind.THANK_YOU, Anchor.END, 24 * 60)
    (association_rule,) = services.default_rules(association=association)
    assert association_rule.offset_minutes == -2 * 24 * 60
    assert "2 ngày trước khi bắt đầu" in client.get(f"/associations/{association.slug}/reminders?lang=vi").text
    assert client.get(f"/associations/{association.slug}").text.count(f"/associations/{association.slug}/reminders") == 1
    campaign_page = client.get(f"/campaigns/{campaign.id}/reminders?lang=vi").text
    assert "Thư cảm ơn: 1 ngày sau khi kết thúc" in campaign_page and campaign.title_vi in campaign_page

    edit = f"/reminders/defaults/{thanks.id}/edit"
    assert auth.post(edit, {**form, "amount": "2"}).status_code == 302
    db.session.expire_all()
    assert services.default_rules(campaign=campaign)[0].offset_minutes == 2 * 24 * 60
    assert auth.post(f"/reminders/defaults/{thanks.id}/remove", {}, form_url=edit).status_code == 302
    assert services.default_rules(campaign=campaign) == []


def test_the_api_lists_creates_changes_and_deletes_rules(api, db):
    event = upcoming_event()
    client = api(staff(event.association))
    url = f"/api/v1/events/{event.id}/reminders"
    created = client.post(url, json={"offset_minutes": -120, "audience": ["accepted", "pending"],
                                     "message_en": "Doors open at 18:30."})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["fire_at"] == (event.starts_at - 2 * HOUR).isoformat()
    assert body["audience"] == ["accepted", "pending"] and body["anchor"] == "start"

    refused = client.post(url, json={"offset_minutes": 60})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "invalid_rule"
    assert client.post(url, json={"audience": "everyone"}).status_code == 400

    changed = client.patch(f"{url}/{body['id']}", json={"offset_minutes": -3 * 24 * 60})
    assert changed.status_code == 200 and changed.json["offset_minutes"] == -4320
    assert changed.json["audience"] == ["accepted", "pending"]
    assert [r["id"] for r in client.get(url).json["items"]] == [body["id"]]
    assert client.delete(f"{url}/{body['id']}").status_code == 204
    assert client.get(url).json["items"] == []
    assert client.delete(f"{url}/{body['id']}").status_code == 404


def test_the_api_keeps_other_associations_out(api, db):
    event = upcoming_event()
    client = api(staff(AssociationFactory()))
    assert client.get(f"/api/v1/events/{event.id}/reminders").status_code == 403
    assert client.post(f"/api/v1/events/{event.id}/reminders", json={}).status_code == 403


def test_the_rules_are_in_the_openapi_document(client, db):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert set(paths["/events/{event_id}/reminders"]) >= {"get", "post"}
    assert set(paths["/events/{event_id}/reminders/{rule_id}"]) >= {"patch", "delete"}
