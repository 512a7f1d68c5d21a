"""The ceremony in Chromium: the master of ceremonies' list shows a latecomer in their protocol place,
marked new, within 3 s of the door letting them in (1366 px and a 390 px phone, Vietnamese and English);
a delegation is introduced by its head; the door phone shows the seat offline after check-in."""
from __future__ import annotations

import time

import pytest

from eventsapp.attendance import services
from eventsapp.attendance.models import CheckIn
from eventsapp.ceremony import protocol, seating
from eventsapp.extensions import db as _db
from eventsapp.guests.models import EventGuest
from eventsapp.timeutils import utcnow
from tests.ceremony_support import ceremony
from tests.conftest import ARTIFACTS
from tests.support.browser import sign_in
from tests.test_attendance_offline import _check_in_by_name, _open_door

SIZES = {"desktop": {"viewport": {"width": 1366, "height": 900}},
         "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}}
NEW = {"vi": "Mới", "en": "New"}


def _check_in_guest(event, guest, by):
    """A delegation member let in at the door (their own row, as eventsapp.guests records it)."""
    _db.session.add(CheckIn(event_id=event.id, guest_id=guest.id, contact_id=None, checked_in_at=utcnow(),
                            checked_in_by_id=by.id))


@pytest.mark.parametrize(("size", "language"), [("desktop", "vi"), ("phone", "en")])
def test_the_mc_list_shows_a_latecomer_in_their_place_within_3_seconds(live_server, browser, db, size, language):
    world = ceremony(under_way=True)
    seating.assign(world.event)
    _db.session.commit()
    order = protocol.read(world.event)
    units = order.units
    # Come in before the ceremony: the first and third of the order, and a delegation with its head.
    delegation = next(unit for unit in units if unit.kind == "d")
    first, third = units[0].people[0], units[2].people[0]
    invitation_by_id = {invitation.id: invitation for invitation in world.invitations}
    for person in (first, third, delegation.people[0]):
        services.check_in_invitation(invitation_by_id[person.id], by=world.door_staff)
    for member in delegation.people[1:3]:
        _check_in_guest(world.event, _db.session.get(EventGuest, member.id), world.door_staff)
    _db.session.commit()

    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **SIZES[size])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, live_server, world.organiser.email)
        page.goto(f"{live_server}/lang/{language}")
        page.goto(f"{live_server}/events/{world.event.id}/mc")
        entries = page.locator("#mc-entries .mc-entry")
        entries.nth(2).wait_for()
        assert entries.count() == 3
        texts = [text.strip() for text in entries.all_inner_texts()]  # a list being redrawn is read raw
        assert texts[0].startswith("Đồng chí Nguyễn Văn An 000, Bí thư Tỉnh ủy")
        lead = "Đoàn" if language == "vi" else "The delegation of"
        head = protocol.spoken(delegation.people[0])
        assert texts[2].startswith(f"{lead} {delegation.name}") and head in texts[2]
        assert protocol.spoken(delegation.people[1]) in texts[2]
        assert page.locator(".mc-new").count() == 0  # the first look: nothing is new

        # The second of the order arrives late, at the door.
        late = units[1].people[0]
        started = time.monotonic()
        services.check_in_invitation(invitation_by_id[late.id], by=world.door_staff)
        _db.session.commit()
        page.locator("#mc-entries .mc-entry.mc-new").wait_for(timeout=3000)
        elapsed = time.monotonic() - started
        assert elapsed < 3.0, elapsed
        assert entries.count() == 4
        second = entries.nth(1)
        assert second.inner_text().strip().startswith(protocol.spoken(late)) and NEW[language] in second.inner_text()
        assert "mc-new" not in (entries.nth(0).get_attribute("class") or "")
        # Nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["viewport"]["width"]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"mc-list-{size}.png"), full_page=True)
        # Read: the mark goes, and stays gone after a reload.
        page.locator("#mc-seen").click()
        page.locator(".mc-new").wait_for(state="detached")
        page.reload()
        entries.nth(3).wait_for()
        assert page.locator(".mc-new").count() == 0
        # The projector view shows the same list, larger.
        page.goto(f"{live_server}/events/{world.event.id}/mc/projector")
        page.locator(".mc-projector #mc-entries .mc-entry").nth(3).wait_for()
    finally:
        context.close()
    assert errors == []


def test_the_door_phone_shows_the_seat_offline_after_check_in(live_server, browser, db):
    world = ceremony(invitees=14, tables=2, delegation_sizes=(), under_way=True)
    seating.assign(world.event)
    _db.session.commit()
    guest = world.invitations[1]
    name = guest.contact.full_name
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, live_server, world.door_staff.email, lands_on="/doors")
        _open_door(page, live_server, world.event)
        context.set_offline(True)
        page.locator("#door[data-online=false]").wait_for()
        card = _check_in_by_name(page, name, name)
        assert card.locator(".person-seat").inner_text() == "Bàn 1 · ghế 2"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "door-seat-offline-phone.png"), full_page=True)
    finally:
        context.close()
    assert errors == []


def test_dragging_in_the_order_and_onto_the_plan_and_choosing_on_a_phone(live_server, browser, db):
    world = ceremony(invitees=24, tables=4, capacity=8, delegation_sizes=())
    seating.assign(world.event)
    _db.session.commit()
    keys = [unit.key for unit in protocol.read(world.event).units]
    errors = []
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, live_server, world.organiser.email)
        # The order: the fourth line dragged onto the first takes its place.
        page.goto(f"{live_server}/events/{world.event.id}/protocol")
        page.drag_and_drop(f"#unit-{keys[3]}", f"#unit-{keys[0]}")
        page.locator(f"#protocol-order li:first-child#unit-{keys[3]}").wait_for()
        assert [unit.key for unit in protocol.read(world.event).units][:5] == [keys[3], *keys[:3], keys[4]]
        # The plan: the last person of table 2 dragged onto table 4 sits at its first free seat.
        page.goto(f"{live_server}/events/{world.event.id}/seating")
        seats, tables = seating.seats(world.event)
        mover = [each for each in seats if each.table.number == 2][-1].person
        free = 1 + max((each.seat for each in seats if each.table.number == 4), default=0)
        page.drag_and_drop(f".seat-person[data-person='{mover.key}']", f".plan-table[data-table-id='{tables[3].id}']",
                           source_position={"x": 8, "y": 8})  # the name, not the row's form
        page.locator(f"#table-4 .seat-person[data-person='{mover.key}']").wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "seating-desktop.png"), full_page=False)
    finally:
        context.close()
    moved = {each.person.key: each for each in seating.seats(world.event)[0]}[mover.key]
    assert (moved.table.number, moved.seat) == (4, free)  # its first free seat

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = phone.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, live_server, world.organiser.email)
        page.goto(f"{live_server}/events/{world.event.id}/seating")
        row = page.locator(f"#table-4 .seat-person[data-person='{mover.key}']")
        row.locator("select").select_option(str(tables[2].id))
        row.locator("input[name=seat]").fill("")
        row.locator("button[type=submit]").tap()
        page.locator(f"#table-3 .seat-person[data-person='{mover.key}']").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(ARTIFACTS / "seating-phone.png"), full_page=False)
    finally:
        phone.close()
    assert errors == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_ceremony_pages_have_no_serious_accessibility_violation(live_server, browser, db, size):
    from tests.test_accessibility_browser import serious_violations

    world = ceremony(invitees=12, tables=2, delegation_sizes=(3,), under_way=True)
    seating.assign(world.event)
    services.check_in_invitation(world.invitations[0], by=world.door_staff)
    _db.session.commit()
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", bypass_csp=True, **SIZES[size])
    page = context.new_page()
    found = {}
    try:
        sign_in(page, live_server, world.organiser.email)
        for path in (f"/associations/{world.event.association.slug}/protocol", f"/events/{world.event.id}/protocol",
                     f"/events/{world.event.id}/seating", f"/events/{world.event.id}/mc",
                     f"/events/{world.event.id}/mc/projector"):
            page.goto(live_server + path)
            page.locator("#mc-entries .mc-entry, main, body").first.wait_for()
            violations = serious_violations(page)
            if violations:
                found[path] = violations
    finally:
        context.close()
    assert found == {}, found
