"""The feeds command line and demo seeder."""
from __future__ import annotations

from eventsapp import links
from eventsapp.extensions import db
from eventsapp.feeds import demo, services
from eventsapp.feeds.models import FeedKind
from tests.factories import AssociationFactory, EventFactory


def test_cli_prints_urls_rebuilds_and_revokes(runner):
    association = AssociationFactory()
    EventFactory(association=association, title_vi="Liên hoan văn nghệ")
    old_private = links.association_private_feed_url(association)

    result = runner.invoke(args=["feeds", "urls", association.slug])
    assert links.association_feed_url(association) in result.output and old_private in result.output

    services.ensure_built(FeedKind.ASSOCIATION, association.id)
    result = runner.invoke(args=["feeds", "build", "--all"])
    assert result.exit_code == 0 and "Rebuilt 1 feed(s)." in result.output and "1 events" in result.output

    result = runner.invoke(args=["feeds", "revoke", association.slug])
    db.session.refresh(association)
    assert result.exit_code == 0 and old_private not in result.output
    assert links.association_private_feed_url(association) in result.output
    assert runner.invoke(args=["feeds", "urls", "khong-co"]).exit_code != 0


def test_demo_builds_the_feeds_of_associations_with_events_and_can_run_twice(app):
    association = AssociationFactory()
    EventFactory(association=association)
    AssociationFactory()  # no events: no feed built
    with app.test_request_context():
        first = list(demo.seed())
        second = list(demo.seed())
    assert first == second == [f"feeds: {links.association_feed_url(association)}"]
    assert services.find(FeedKind.ASSOCIATION_PRIVATE, association.id).event_count == 1
