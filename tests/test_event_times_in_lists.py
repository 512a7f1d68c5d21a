"""Every list that names an event's time says it the same way: an all-day event as its day and
"all day", never as midnight."""
import re
from datetime import datetime, timezone

import pytest

from eventsapp.associations.models import Role
from tests.factories import AssociationFactory, EventFactory, InvitationFactory, staff

ALL_DAY = {"vi": "8 thg 2, 2027 · cả ngày", "en": "Feb 8, 2027 · all day"}
TIMED = {"vi": "9 thg 2, 2027, 19:00 · giờ Việt Nam (UTC+7)", "en": "Feb 9, 2027, 7:00 PM · Vietnam Time (UTC+7)"}
PAGES = ["/", "/events/{all_day}/invitations", "/events/{all_day}/reminders"]


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_all_day_event_reads_as_a_day_in_every_list(auth, client, db, language):
    association = AssociationFactory()
    # The day is 8 Feb 2027 in Hà Nội: stored from local midnight (17:00 UTC the day before).
    all_day = EventFactory(association=association, title_vi="Ngày hội", all_day=True,
                           starts_at=datetime(2027, 2, 7, 17, 0, tzinfo=timezone.utc),
                           ends_at=datetime(2027, 2, 8, 17, 0, tzinfo=timezone.utc))
    EventFactory(association=association, title_vi="Gặp mặt", starts_at=datetime(2027, 2, 9, 12, 0, tzinfo=timezone.utc),
                 ends_at=datetime(2027, 2, 9, 14, 0, tzinfo=timezone.utc))
    InvitationFactory(event=all_day)
    db.session.commit()
    auth.login(staff(association, Role.ORGANISER))
    client.get(f"/lang/{language}")
    dashboard = visible(client.get("/").text)
    assert ALL_DAY[language] in dashboard and TIMED[language] in dashboard
    for url in PAGES[1:]:
        page = visible(client.get(url.format(all_day=all_day.id)).text)
        assert ALL_DAY[language] in page, url
        assert "00:00" not in page and "12:00 AM" not in page, url
