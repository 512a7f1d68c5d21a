"""The demo: next Tết Việt week from the lunar calendar, the VUFO anniversary, an award ceremony, a past event."""
from datetime import date

from sqlalchemy import select

from eventsapp.campaigns import lunar
from eventsapp.campaigns.models import Campaign, CampaignKind
from eventsapp.events.models import Event, EventKind, EventStatus, Visibility
from eventsapp.invitations.models import Invitation  # noqa: F401
from eventsapp.timeutils import utcnow


def test_seed_demo_events(runner, db):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # idempotent
    today = utcnow().date()
    year = lunar.next_tet(today).year
    week = db.session.scalar(select(Campaign).where(Campaign.kind == CampaignKind.TET_WEEK))
    assert week.title_vi == f"Tuần lễ Tết Việt {year}"
    assert week.starts_on <= lunar.tet(year) <= week.ends_on
    assert len(week.events) >= 3
    events = db.session.scalars(select(Event)).all()
    assert len(events) == len({e.slug for e in events})
    vufo = next(e for e in events if e.kind == EventKind.ANNIVERSARY)
    vufo_year = vufo.starts_at.year
    assert f"Kỷ niệm {vufo_year - 1950} năm" in vufo.title_vi and (vufo.starts_at.month, vufo.starts_at.day) == (5, 17)
    ceremony = next(e for e in events if e.kind == EventKind.AWARD_CEREMONY)
    assert len(ceremony.honorees) == 3
    assert {h.award for h in ceremony.honorees} == {"Bằng khen", "Giấy khen"}
    past = next(e for e in events if e.title_vi == "Gặp mặt hữu nghị cuối năm")
    assert past.status == EventStatus.PUBLISHED and past.ends_at < utcnow()
    first_of_month = today.replace(day=1)
    assert past.starts_at.date() < first_of_month
    assert {e.visibility for e in events} == {Visibility.PUBLIC, Visibility.INVITE_ONLY}
    assert any(e.status == EventStatus.DRAFT for e in events)
    assert date(2027, 2, 6) == lunar.tet(2027)
