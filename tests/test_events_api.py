"""The events API: ISO 8601 times with offset plus the IANA zone; permissions; changes."""
from eventsapp.events.models import Event, EventStatus
from tests.factories import AssociationFactory, EventFactory, UserFactory, staff


def test_create_read_update_publish_cancel(api, db):
    association = AssociationFactory(slug="viet-sec")
    client = api(staff(association))
    created = client.post("/api/v1/events", json={
        "association": "viet-sec", "title_vi": "Gặp mặt kiều bào tại Praha", "timezone": "Asia/Ho_Chi_Minh",
        "starts_at": "2027-01-15T19:00", "ends_at": "2027-01-15T13:00:00+00:00", "visibility": "public"})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["starts_at"] == "2027-01-15T19:00:00+07:00" and body["ends_at"] == "2027-01-15T20:00:00+07:00"
    assert body["timezone"] == "Asia/Ho_Chi_Minh" and body["status"] == "draft" and body["sequence"] == 0
    assert body["slug"] == "gap-mat-kieu-bao-tai-praha"
    event_id = body["id"]
    assert client.get(f"/api/v1/events/{event_id}").json["uid"] == body["uid"]
    typo = client.patch(f"/api/v1/events/{event_id}", json={"description_vi": "Mời bà con"}).json
    assert typo["sequence"] == 0 and typo["changes"] == []
    moved = client.patch(f"/api/v1/events/{event_id}", json={"starts_at": "2027-01-15T18:00:00+07:00",
                                                             "venue_name": "Đại sứ quán"}).json
    assert moved["sequence"] == 1 and sorted(moved["changes"]) == ["place", "time"]
    assert client.post(f"/api/v1/events/{event_id}/publish").json["status"] == "published"
    cancelled = client.post(f"/api/v1/events/{event_id}/cancel", json={"reason": "Bão"}).json
    assert cancelled["status"] == "cancelled" and cancelled["sequence"] == 2
    listed = client.get("/api/v1/events").json["items"]
    assert [e["id"] for e in listed] == [event_id]


def test_invalid_values_are_400_with_a_message(api, db):
    association = AssociationFactory(slug="viet-duc")
    client = api(staff(association))
    bad_zone = client.post("/api/v1/events", json={"association": "viet-duc", "title_vi": "X", "timezone": "Mars/Base",
                                                  "starts_at": "2027-01-15T19:00", "ends_at": "2027-01-15T21:00"})
    assert bad_zone.status_code == 400 and "timezone" in bad_zone.json["error"]["fields"]
    backwards = client.post("/api/v1/events", json={"association": "viet-duc", "title_vi": "X",
                                                   "starts_at": "2027-01-15T19:00", "ends_at": "2027-01-15T18:00"})
    assert backwards.status_code == 400
    assert client.post("/api/v1/events", json={"association": "viet-duc", "title_vi": "X", "starts_at": "hôm nay",
                                               "ends_at": "2027-01-15T18:00"}).status_code == 400
    assert db.session.query(Event).count() == 0


def test_other_associations_events_are_forbidden(api, db):
    mine, theirs = AssociationFactory(slug="mine"), AssociationFactory(slug="theirs")
    event = EventFactory(association=theirs)
    client = api(staff(mine))
    assert client.get(f"/api/v1/events/{event.id}").status_code == 403
    assert client.patch(f"/api/v1/events/{event.id}", json={"title_vi": "Sửa"}).status_code == 403
    assert client.post(f"/api/v1/events/{event.id}/publish").status_code == 403
    assert client.post("/api/v1/events", json={"association": "theirs", "title_vi": "X", "starts_at": "2027-01-15T19:00",
                                               "ends_at": "2027-01-15T21:00"}).status_code == 403
    assert client.get("/api/v1/events").json["items"] == []
    admin = api(UserFactory(is_admin=True))
    assert admin.post(f"/api/v1/events/{event.id}/cancel").json["status"] == EventStatus.CANCELLED.value


def test_openapi_lists_the_event_and_campaign_paths(client, db):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/events", "/events/{event_id}", "/events/{event_id}/cancel",
                 "/campaigns", "/campaigns/{campaign_id}/archive"):
        assert path in paths, sorted(paths)
