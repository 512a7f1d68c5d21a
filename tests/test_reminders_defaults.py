"""New events get the inherited default rules: campaign → association → built-in 7 and 1 days."""
from __future__ import annotations

from eventsapp.events.models import EventStatus
from eventsapp.reminders import services
from eventsapp.reminders.models import Anchor, RuleKind
from tests.factories import AssociationFactory, CampaignFactory
from tests.reminders_helpers import DAY, HOUR, START, make_event, save_event


def offsets(event):
    return sorted((r.kind.value, r.offset_minutes, r.inherited_from) for r in services.event_rules(event))


def test_an_event_gets_the_built_in_7_and_1_day_reminders_once(db):
    event = make_event(status=EventStatus.DRAFT)
    save_event(event)
    save_event(event)
    assert offsets(event) == [("reminder", -10080, "built_in"), ("reminder", -1440, "built_in")]
    assert {r.fire_at for r in services.event_rules(event)} == {START - 7 * DAY, START - DAY}
    assert all(r.audience == ["accepted", "tentative", "pending"] for r in services.event_rules(event))


def test_campaign_defaults_win_over_the_associations(db):
    parent = AssociationFactory()
    association = AssociationFactory(parent=parent)
    campaign = CampaignFactory(association=association)
    services.create_rule(services.RuleValues(offset_minutes=-2 * 60, audience=["accepted"]), association=parent)
    services.create_rule(services.RuleValues(offset_minutes=-3 * 24 * 60, message_vi="Nhớ mang áo dài."),
                         campaign=campaign)
    services.create_rule(services.RuleValues(kind=RuleKind.THANK_YOU, anchor=Anchor.END, offset_minutes=24 * 60,
                                             audience=["accepted", "attended"]), campaign=campaign)
    db.session.commit()

    in_campaign = make_event(association=association, campaign=campaign)
    save_event(in_campaign)
    assert offsets(in_campaign) == [("reminder", -4320, "campaign"), ("thank_you", 1440, "campaign")]
    assert services.event_rules(in_campaign)[0].message_vi == "Nhớ mang áo dài."

    # A branch's event outside the campaign inherits its parent association's defaults.
    outside = make_event(association=association)
    save_event(outside)
    assert offsets(outside) == [("reminder", -120, "association")]
    assert services.event_rules(outside)[0].fire_at == START - 2 * HOUR


def test_an_organiser_who_removed_every_rule_does_not_get_them_back(db):
    event = make_event()
    save_event(event)
    for rule in services.event_rules(event):
        services.remove_rule(rule)
    db.session.commit()
    save_event(event)
    assert services.event_rules(event) == []
    assert services.due_rule_ids(START) == []


def test_a_cancelled_event_gets_no_defaults(db):
    event = make_event(status=EventStatus.CANCELLED)
    save_event(event)
    assert services.event_rules(event) == []
