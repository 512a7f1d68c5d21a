"""The arrivals board for the projector: organisers only, and it refreshes by itself."""
from __future__ import annotations

from eventsapp.associations.models import Role
from eventsapp.attendance import services
from tests.attendance_factories import invite
from tests.factories import AssociationFactory, EventFactory, staff
from tests.support.browser import sign_in


def test_board_counts_by_association_and_country(client, auth, db):
    parent = AssociationFactory(name_vi="Liên hiệp các tổ chức hữu nghị tỉnh Bắc Giang")
    branch = AssociationFactory(name_vi="Chi hội Lục Nam", parent=parent)
    event = EventFactory(association=parent)
    organiser = staff(parent, Role.ORGANISER, email="btc@example.vn")
    first = invite(event, full_name="Nguyễn Văn Ân", country="Nhật Bản", guests=1)
    second = invite(event, full_name="Kim Min-jun", country="Hàn Quốc")
    second.contact.associations.append(branch)
    services.check_in_invitation(first, by=organiser)
    services.check_in_invitation(second, by=organiser)
    db.session.commit()
    auth.login(organiser)
    data = client.get(f"/events/{event.id}/board.json").get_json()
    assert data["counts"]["checked_in_total"] == 3
    assert {item["name"]: item["count"] for item in data["by_country"]} == {"Nhật Bản": 2, "Hàn Quốc": 1}
    assert {item["name"]: item["count"] for item in data["by_association"]} == {
        "Liên hiệp các tổ chức hữu nghị tỉnh Bắc Giang": 2, "Chi hội Lục Nam": 1}
    assert [item["name"] for item in data["latest"]] == ["Kim Min-jun", "Nguyễn Văn Ân"]


def test_only_organisers_of_the_association_see_the_board(client, auth, db):
    event = EventFactory(association=AssociationFactory())
    door = staff(event.association, Role.CHECKIN, email="cua@example.vn")
    outsider = staff(AssociationFactory(), Role.ORGANISER, email="khac@example.vn")
    for user in (door, outsider):
        auth.login(user)
        assert client.get(f"/events/{event.id}/board").status_code == 403
        assert client.get(f"/events/{event.id}/board.json").status_code == 403


def test_a_check_in_appears_on_the_board_without_reloading(live_server, page, db):
    association = AssociationFactory()
    event = EventFactory(association=association, title_vi="Lễ trao Kỷ niệm chương")
    organiser = staff(association, Role.ORGANISER, email="btc@example.vn")
    invitation = invite(event, full_name="Đoàn Thị Quỳnh Hương", country="Pháp", guests=2)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/events/{event.id}/board")
    assert page.locator("[data-board-count=checked_in_total]").inner_text() == "0"
    page.evaluate("window.boardLoadedOnce = true")  # gone if the page reloaded
    services.check_in_invitation(invitation, by=organiser)
    db.session.commit()
    page.locator("#board-latest .board-name", has_text="Đoàn Thị Quỳnh Hương").wait_for()
    page.locator("[data-board-count=checked_in_total]", has_text="3").wait_for()
    assert "Pháp" in page.locator("#board-countries").inner_text()
    assert page.evaluate("window.boardLoadedOnce") is True
    assert errors == []
