"""The suite's own set-up: tiers marked from the fixtures a test uses, commits that do not wait
for the disk, one password hash for the factories, and tables emptied after each test."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from tests import conftest
from tests.factories import PASSWORD, ContactFactory, UserFactory


class _Item:
    def __init__(self, *fixtures: str):
        self.fixturenames = fixtures
        self.markers: list[str] = []

    def add_marker(self, marker: str) -> None:
        self.markers.append(marker)


def test_a_test_is_marked_browser_or_worker_by_the_fixtures_it_uses_and_worker_tests_run_last():
    worker, page, plain = _Item("db", "celery_worker"), _Item("page", "browser", "live_server"), _Item("db")
    items = [worker, page, plain]
    conftest.pytest_collection_modifyitems(items)
    assert (worker.markers, page.markers, plain.markers) == (["worker"], ["browser"], [])
    assert items[-1] is worker


def test_the_test_database_commits_without_waiting_for_the_disk(db):
    assert db.session.execute(text("SHOW synchronous_commit")).scalar() == "off"


def test_factory_users_share_one_real_password_hash(db):
    first, second = UserFactory(), UserFactory()
    assert first.password_hash == second.password_hash
    assert first.check_password(PASSWORD) and not first.check_password("not-the-password")


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_starts_with_empty_tables_and_ids_from_one(db, round_):
    """Run twice: the second run finds what the first left emptied, and its ids start again at 1."""
    assert db.session.execute(text("SELECT count(*) FROM contacts")).scalar() == 0
    assert ContactFactory().id == 1
