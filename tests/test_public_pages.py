"""What a reader of the public event page sees of times."""
from datetime import datetime, timezone

from tests.factories import EventFactory


def test_a_reader_in_an_alias_of_the_events_zone_sees_one_time(client, db):
    event = EventFactory(starts_at=datetime(2027, 1, 15, 12, 0, tzinfo=timezone.utc),
                         ends_at=datetime(2027, 1, 15, 14, 0, tzinfo=timezone.utc))
    db.session.commit()
    same = client.get(f"/e/{event.slug}?tz=Asia/Saigon").text  # Chromium's name for Asia/Ho_Chi_Minh
    assert "event-time-reader" not in same
    other = client.get(f"/e/{event.slug}?tz=Europe/Prague").text
    assert "event-time-reader" in other and "Europe/Prague" in other
