"""Issue 13, item 1: naming a contact (id, e-mail, filter, check-in code) never crosses associations.

An organiser of A names a contact of B only: every answer must be the answer for an
address nobody has, and nothing is added to A's lists.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eventsapp.associations.models import Role
from eventsapp.attendance.models import CheckIn
from eventsapp.contacts.models import Contact
from eventsapp.events.models import Honoree
from eventsapp.invitations import services
from eventsapp.invitations.models import Invitation
from tests.factories import AssociationFactory, CampaignFactory, ContactFactory, EventFactory, InvitationFactory, staff

SECRET = "bi.mat@hoi-b.vn"
NOBODY = "khong.ai@hoi-b.vn"


@pytest.fixture
def two(db):
    """Association A with its organiser and one member; association B with a member A must not see."""
    a, b = AssociationFactory(slug="hoi-a"), AssociationFactory(slug="hoi-b")
    organiser = staff(a, Role.ORGANISER)
    ours = ContactFactory(full_name="Lê Thị Của A", email="cua.a@hoi-a.vn")
    ours.associations.append(a)
    secret = ContactFactory(full_name="Trần Bí Mật", email=SECRET)
    secret.associations.append(b)
    shared = ContactFactory(full_name="Phạm Hai Hội", email="hai.hoi@example.vn")
    shared.associations.extend([a, b])
    db.session.commit()
    return {"a": a, "b": b, "organiser": organiser, "ours": ours, "secret": secret, "shared": shared}


def _invited(db, event) -> set[int]:
    return set(db.session.scalars(select(Invitation.contact_id).where(Invitation.event_id == event.id)))


def test_api_invitees_by_id_or_email_of_another_association_are_unknown(api, db, two):
    event = EventFactory(association=two["a"])
    caller = api(two["organiser"])
    hidden = caller.post(f"/api/v1/events/{event.id}/invitations",
                         json={"emails": [SECRET], "contact_ids": [two["secret"].id]})
    nobody = caller.post(f"/api/v1/events/{event.id}/invitations", json={"emails": [NOBODY], "contact_ids": [10**9]})
    assert hidden.status_code == nobody.status_code == 201
    assert hidden.json["unknown_emails"] == [SECRET]
    assert {**hidden.json, "unknown_emails": []} == {**nobody.json, "unknown_emails": []}
    assert hidden.json["added"] == 0
    assert _invited(db, event) == set()
    listing = caller.get(f"/api/v1/events/{event.id}/invitations")
    assert "Bí Mật" not in listing.text and SECRET not in listing.text
    # Their own contacts are invited as before.
    ok = caller.post(f"/api/v1/events/{event.id}/invitations", json={"contact_ids": [two["ours"].id, two["shared"].id]})
    assert ok.json["added"] == 2


def test_page_invitees_by_email_of_another_association_are_unknown(auth, client, db, two):
    event = EventFactory(association=two["a"])
    auth.login(two["organiser"])
    response = auth.post(f"/events/{event.id}/invitations", {"emails": f"{SECRET}\ncua.a@hoi-a.vn"},
                         follow_redirects=True)
    assert response.status_code == 200
    assert SECRET in response.text  # listed among the unknown addresses, as an address nobody has would be
    assert "Bí Mật" not in response.text
    assert _invited(db, event) == {two["ours"].id}


def test_campaign_invitees_by_email_of_another_association_are_unknown(auth, db, two):
    campaign = CampaignFactory(association=two["a"])
    event = EventFactory(association=two["a"], campaign=campaign)
    auth.login(two["organiser"])
    response = auth.post(f"/campaigns/{campaign.id}/invitations", {"emails": SECRET}, follow_redirects=True)
    assert response.status_code == 200
    assert "Bí Mật" not in response.text
    assert _invited(db, event) == set()


def test_service_needs_the_user_and_applies_the_directory_rule(db, two):
    event = EventFactory(association=two["a"])
    result = services.add_invitees(event, services.Criteria(emails=[SECRET, "hai.hoi@example.vn"],
                                                            contact_ids=[two["secret"].id]), user=two["organiser"])
    assert result.unknown_emails == [SECRET]
    assert _invited(db, event) == {two["shared"].id}
    # Filtering on an association the user may not see matches no one, not even the shared contact
    # (that would reveal its membership in B).
    other = EventFactory(association=two["a"])
    services.add_invitees(other, services.Criteria(association_id=two["b"].id), user=two["organiser"])
    assert _invited(db, other) == set()
    with pytest.raises(TypeError):
        services.add_invitees(event, services.Criteria(emails=[SECRET]))  # no silent "everyone" default


def test_honoree_by_email_of_another_association_is_unknown(auth, db, two):
    event = EventFactory(association=two["a"])
    auth.login(two["organiser"])
    hidden = auth.post(f"/events/{event.id}/honorees", {"contact": SECRET, "award": "Bằng khen"},
                       form_url=f"/events/{event.id}", follow_redirects=True)
    nobody = auth.post(f"/events/{event.id}/honorees", {"contact": NOBODY, "award": "Bằng khen"},
                       form_url=f"/events/{event.id}", follow_redirects=True)
    assert "Bí Mật" not in hidden.text
    assert "Không có người liên hệ nào có email này." in hidden.text
    assert db.session.scalar(select(func.count()).select_from(Honoree)) == 0
    assert hidden.status_code == nobody.status_code


def test_directory_filter_by_another_association_reveals_no_membership(auth, client, api, db, two):
    auth.login(two["organiser"])
    page = client.get(f"/contacts/?association={two['b'].id}")
    assert page.status_code == 200
    assert "Phạm Hai Hội" not in page.text
    assert "Phạm Hai Hội" in client.get(f"/contacts/?association={two['a'].id}").text
    listed = api(two["organiser"]).get("/api/v1/contacts?association=hoi-b")
    assert all(item["email"] != "hai.hoi@example.vn" for item in listed.json.get("items", []))


def test_contact_of_another_association_by_id_is_not_found(auth, client, db, two):
    auth.login(two["organiser"])
    assert client.get(f"/contacts/{two['secret'].id}").status_code == 404
    hidden = client.get(f"/contacts/{two['secret'].id}").text.replace(f"/contacts/{two['secret'].id}", "/contacts/X")
    assert hidden == client.get("/contacts/999999999").text.replace("/contacts/999999999", "/contacts/X")


def test_checkin_with_another_events_code_does_not_name_it(auth, client, db, two):
    door = EventFactory(association=two["a"])
    elsewhere = EventFactory(association=two["b"], title_vi="Hội nghị kín của Hội B")
    invitation = InvitationFactory(event=elsewhere, contact=two["secret"], checkin_token="x" * 40)
    auth.login(staff(two["a"], Role.CHECKIN))
    page = f"/events/{door.id}/checkin"
    json = {"Accept": "application/json"}
    other = auth.post(f"{page}/scan", {"code": invitation.checkin_token}, form_url=page, headers=json)
    unknown = auth.post(f"{page}/scan", {"code": "y" * 40}, form_url=page, headers=json)
    assert other.status_code == unknown.status_code == 422
    assert "Hội nghị kín" not in other.text and "Bí Mật" not in other.text
    assert other.json["message"] == unknown.json["message"]


def test_the_door_answers_nothing_about_a_contact_of_another_association_named_by_id(auth, db, two):
    door = EventFactory(association=two["a"])
    auth.login(staff(two["a"], Role.CHECKIN))
    page = f"/events/{door.id}/checkin"
    for data in ({"guests": "-1"}, {"guests": "0"}):  # an invalid form used to answer with the person's card
        response = auth.post(f"{page}/contacts/{two['secret'].id}", data, form_url=page,
                             headers={"Accept": "application/json"})
        assert response.status_code == 404
        assert "Bí Mật" not in response.text
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_a_walk_in_with_the_address_of_another_associations_contact_does_not_show_its_stored_name(auth, db, two):
    door = EventFactory(association=two["a"])
    auth.login(staff(two["a"], Role.CHECKIN))
    page = f"/events/{door.id}/checkin"
    response = auth.post(f"{page}/walk-in", {"full_name": "Khách Lạ", "email": SECRET, "guests": "0"},
                         form_url=page, headers={"Accept": "application/json"})
    assert response.status_code == 200 and "Khách Lạ" in response.json["message"]
    assert "Bí Mật" not in response.text
    # The other association's contact is left as it was: not joined to A, not checked in; the walk-in
    # is a new person under the typed name, so A's directory and reports show nothing of B's.
    secret = db.session.scalar(select(Contact).where(Contact.email == SECRET))
    assert [a.id for a in secret.associations] == [two["b"].id]
    check_in = db.session.scalar(select(CheckIn).where(CheckIn.event_id == door.id))
    assert check_in.contact_id != secret.id and check_in.contact.full_name == "Khách Lạ"
