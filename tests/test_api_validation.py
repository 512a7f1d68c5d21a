"""Bad input to the API (and the forms sharing its validation) is a 4xx in the one error shape and changes nothing."""
import pytest

from eventsapp.campaigns.models import Campaign
from eventsapp.contacts.models import Contact
from eventsapp.events.models import Event
from tests.factories import AssociationFactory, EventFactory, UserFactory, staff

EVENT = {"association": "viet-phap", "title_vi": "Gặp mặt", "starts_at": "2027-01-15T19:00",
         "ends_at": "2027-01-15T21:00"}


def assert_error(response, status, field=None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    error = response.json["error"]
    assert isinstance(error["code"], str) and error["message"] and isinstance(error["fields"], dict), error
    if field:
        assert field in error["fields"], error
    return error


@pytest.fixture
def organiser(api, db):
    association = AssociationFactory(slug="viet-phap")
    return api(staff(association))


@pytest.mark.parametrize("changes, field", [
    ({"online_url": "javascript:alert(1)"}, "online_url"),
    ({"online_url": "ftp://example.org/x"}, "online_url"),
    ({"title_vi": "x" * 301}, "title_vi"),
    ({"venue_address": "y" * 501}, "venue_address"),
    ({"title_vi": "Gặp\x00mặt"}, None),
    ({"venue_name": "Hà Nội\x07"}, None),
    ({"capacity": 2**63}, "capacity"),
    ({"capacity": 10**6}, "capacity"),
    ({"max_guests": 21}, "max_guests"),
    ({"capacity": True}, "capacity"),
    ({"starts_at": "0001-01-01T00:00"}, "starts_at"),
    ({"starts_at": "9999-12-31T23:00"}, "starts_at"),
    ({"campaign_id": 2**40}, "campaign_id"),
    ({"all_day": "yes"}, "all_day"),
])
def test_bad_event_values_are_400_and_store_nothing(organiser, db, changes, field):
    assert_error(organiser.post("/api/v1/events", json=EVENT | changes), 400, field)
    assert db.session.query(Event).count() == 0


def test_every_bad_field_is_named_at_once_in_the_users_language(api, db):
    association = AssociationFactory(slug="viet-phap")
    client = api(staff(association, locale="vi"))
    error = assert_error(client.post("/api/v1/events", json=EVENT | {"online_url": "javascript:x",
                                                                      "capacity": -1}), 400)
    assert set(error["fields"]) == {"online_url", "capacity"}
    assert "http://" in error["fields"]["online_url"] and "địa chỉ" in error["fields"]["online_url"]


def test_an_id_beyond_the_integer_range_is_a_404(organiser):
    for url in ("/api/v1/events/99999999999999999999", "/api/v1/events/2147483648",
                "/api/v1/campaigns/9223372036854775808", "/api/v1/contacts/99999999999999999999",
                "/api/v1/events/2147483648/invitations"):
        assert assert_error(organiser.get(url), 404)["code"] == "not_found"


def test_nul_in_a_path_a_query_or_a_form_is_a_400(organiser, client, db):
    event = EventFactory()
    assert_error(organiser.get(f"/api/v1/events/{event.id}/invitations/sends/a%00b"), 400)
    assert_error(organiser.get("/api/v1/contacts?q=a%00b"), 400)
    page = client.post("/login", data={"email": "a\x00@b.vn", "password": "x"})
    assert page.status_code == 400 and "NUL" in page.get_data(as_text=True)


def test_deep_json_and_non_objects_are_400(organiser, db):
    deep = "[" * 100_000 + "]" * 100_000
    assert_error(organiser.post("/api/v1/events", data=deep, content_type="application/json"), 400)
    assert_error(organiser.post("/api/v1/events", data='{"a":' * 50 + "1" + "}" * 50,
                                content_type="application/json"), 400)
    assert_error(organiser.post("/api/v1/events", json=[1, 2]), 400)
    assert_error(organiser.post("/api/v1/events", data="{not json", content_type="application/json"), 400)
    assert db.session.query(Event).count() == 0


@pytest.mark.parametrize("year", [0, 10_000, -5, "20x7", 2027.5])
def test_campaign_year_out_of_range_is_named(organiser, db, year):
    assert_error(organiser.post("/api/v1/campaigns", json={"association": "viet-phap", "kind": "tet_week",
                                                           "year": year}), 400, "year")
    assert db.session.query(Campaign).count() == 0


def test_campaign_year_as_a_string_proposes_the_dates_and_tet(organiser):
    created = organiser.post("/api/v1/campaigns", json={"association": "viet-phap", "kind": "tet_week",
                                                        "year": "2027"})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["title_vi"] == "Tuần lễ Tết Việt 2027" and body["tet"] == "2027-02-06"
    assert body["starts_on"] <= body["tet"] <= body["ends_on"]


@pytest.mark.parametrize("body, field", [
    ({"full_name": "A" * 201}, "full_name"), ({"phone": "0" * 51}, "phone"), ({"notes": "n\x00"}, None),
    ({"tags": ["t" * 501]}, "tags"), ({"associations": [7]}, "associations"),
])
def test_bad_contact_values_are_400(organiser, db, body, field):
    base = {"full_name": "Nguyễn Lan", "email": "lan@example.vn", "associations": ["viet-phap"]}
    assert_error(organiser.post("/api/v1/contacts", json=base | body), 400, field)
    assert db.session.query(Contact).count() == 0


def test_invitee_ids_out_of_range_are_400(organiser, db):
    event = EventFactory()
    admin = organiser.__class__(UserFactory(is_admin=True))
    assert_error(admin.post(f"/api/v1/events/{event.id}/invitations", json={"contact_ids": [2**63]}), 400,
                 "contact_ids")


def test_errors_have_one_shape_for_404_405_401_and_413(client, api, app, db):
    assert assert_error(client.get("/api/v1/events"), 401)["code"] == "missing_token"
    user_api = api(UserFactory(is_admin=True))
    assert assert_error(user_api.get("/api/v1/nowhere"), 404)["code"] == "not_found"
    assert assert_error(user_api.delete("/api/v1/events"), 405)["code"] == "method_not_allowed"
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    assert assert_error(user_api.post("/api/v1/events", data=big, content_type="application/json"),
                        413)["code"] == "too_large"
    assert assert_error(user_api.get("/api/v1/events/12345"), 404)["code"] == "not_found"


def test_the_event_form_refuses_what_the_api_refuses(auth, client, db):
    association = AssociationFactory(slug="viet-phap")
    auth.login(staff(association))
    page = auth.post("/events/new", {"association_id": association.id, "title_vi": "Gặp mặt", "kind": "meeting",
                                     "timezone": "Asia/Ho_Chi_Minh", "starts_local": "2027-01-15T19:00",
                                     "ends_local": "2027-01-15T21:00", "visibility": "public",
                                     "online_url": "javascript:alert(1)", "capacity": "99999999999"},
                     form_url=f"/events/new?association_id={association.id}")
    assert page.status_code in (200, 400, 422)
    assert "http://" in page.get_data(as_text=True)
    assert db.session.query(Event).count() == 0


def test_reminder_times_and_messages_are_checked(organiser, db):
    event = EventFactory()
    admin = organiser.__class__(UserFactory(is_admin=True))
    url = f"/api/v1/events/{event.id}/reminders"
    assert_error(admin.post(url, json={"anchor": "absolute", "absolute_at": "0001-01-01T00:00:00+07:00",
                                       "audience": ["accepted"]}), 400, "absolute_at")
    refused = assert_error(admin.post(url, json={"offset_minutes": -60, "audience": ["accepted"],
                                                 "message_vi": "Nhắc\x1b[31m"}), 400)
    assert refused["message"].startswith("message_vi: ")


def test_an_unexpected_error_under_the_api_has_the_one_shape(app):
    from eventsapp.errors import render_error

    with app.test_request_context("/api/v1/events"):
        body, status = render_error(500)
    assert status == 500 and body["error"]["code"] == "server_error" and body["error"]["fields"] == {}


def test_the_campaign_form_refuses_a_year_out_of_range(auth, db):
    association = AssociationFactory()
    auth.login(staff(association))
    assert auth.client.get("/campaigns/new?kind=tet_week&year=99999").status_code == 200
    page = auth.post("/campaigns/new", {"association_id": association.id, "kind": "tet_week", "year": "10000",
                                        "propose": "1"})
    assert page.status_code in (200, 400) and "2199" in page.get_data(as_text=True)
    assert db.session.query(Campaign).count() == 0
