"""axe-core (npm devDependency) in Chromium on the main pages: no serious or critical violation.

The CSP allows no inline script, so the test's browser context bypasses it to inject axe.min.js;
the pages themselves are served exactly as to anyone.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from eventsapp.associations.models import Role
from eventsapp.invitations import services as invitations
from eventsapp.invitations.models import InvitationStatus
from tests.attendance_factories import CheckInFactory, invite, past_event
from tests.factories import PASSWORD, AssociationFactory, EventFactory, staff

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.filter(v => ["serious", "critical"].includes(v.impact))
            .map(v => `${v.id} (${v.impact}): ${v.help} — ` + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
    }""")
    return result


@pytest.fixture
def scene(db):
    """An association with an organiser and a check-in staff member, an upcoming event with a send
    in progress, a past event with check-ins, contacts."""
    association = AssociationFactory(name_vi="Hội hữu nghị Việt Nam – Nhật Bản", brand_color="#ffd700")
    organiser = staff(association, Role.ORGANISER, email="to.chuc@example.vn", name="Nguyễn Thị Lan")
    door_staff = staff(association, Role.CHECKIN, email="cua.vao@example.vn", name="Trần Văn Nam")
    event = EventFactory(association=association, title_vi="Gặp mặt Xuân Bính Ngọ",
                         description_vi="## Chương trình\n\nGiao lưu văn nghệ và ẩm thực.")
    pending = [invite(event, status=InvitationStatus.PENDING) for _ in range(3)]
    invite(event, status=InvitationStatus.ACCEPTED)
    invitations.send_invitations(event.id)
    past = past_event(association, title_vi="Gặp mặt cuối năm")
    for n in range(4):
        invitation = invite(past, status=InvitationStatus.ACCEPTED)
        if n % 2 == 0:
            CheckInFactory(event=past, contact=invitation.contact, invitation=invitation)
    db.session.commit()
    return {"organiser": organiser, "door": door_staff, "event": event, "past": past, "rsvp": pending[0]}


def open_as(browser, base: str, user, size: dict, language: str):
    context = browser.new_context(bypass_csp=True, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **size)
    page = context.new_page()
    if user is not None:
        page.goto(f"{base}/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
    page.goto(f"{base}/lang/{language}")
    return context, page


PAGES = [
    # (name, who, size, path)
    ("login", None, DESKTOP, lambda s: "/login"),
    ("dashboard", "organiser", DESKTOP, lambda s: "/"),
    ("event page", "organiser", DESKTOP, lambda s: f"/events/{s['event'].id}"),
    ("public event page", None, PHONE, lambda s: f"/e/{s['event'].slug}"),
    ("invitations tab", "organiser", DESKTOP, lambda s: f"/events/{s['event'].id}/invitations"),
    ("rsvp page", None, PHONE, lambda s: f"/rsvp/{s['rsvp'].token}"),
    ("door page", "door", PHONE, lambda s: f"/events/{s['event'].id}/checkin"),
    ("attendance report", "organiser", DESKTOP, lambda s: f"/events/{s['past'].id}/attendance"),
    ("contacts directory", "organiser", DESKTOP, lambda s: "/contacts/"),
]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_no_serious_accessibility_violation_on_the_main_pages(live_server, browser, scene, language):
    found, contexts = {}, {}
    for name, who, size, path in PAGES:
        key = (who, id(size))
        if key not in contexts:  # one signed-in context per person and screen
            contexts[key] = open_as(browser, live_server, scene[who] if who else None, size, language)
        page = contexts[key][1]
        page.goto(live_server + path(scene))
        page.wait_for_load_state("networkidle")
        violations = serious_violations(page)
        if violations:
            found[name] = violations
    for context, _page in contexts.values():
        context.close()
    assert found == {}, "\n".join(f"{name}: {v}" for name, vs in found.items() for v in vs)
