"""Every page the screenshots script visits (scripts/screenshots.py `review_pages`), as each kind of
user sees it in Chromium, in both languages: no English on a Vietnamese page, no Vietnamese UI words on
an English one, and no internal code a person should never read (IANA zone ids, slugs and enum values,
walk-ins' placeholder addresses, Flask-Login's English notice)."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# An IANA zone id, as written or with its underscores turned into spaces ("Asia/Ho Chi Minh").
IANA = re.compile(r"\b(?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)/[A-Z][\w/ -]*")
# snake_case values (enum values, kinds, states) and the placeholder domain.
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
CODES = ("walk-in.invalid", "Please log in to access this page.", "None", "True", "False", "{{", "%(")
# Words of an English sentence that no Vietnamese UI text contains (names and titles have none of them).
ENGLISH = re.compile(r"\b(?:the|and|of|your|please|with|from|this|is|are|not|yet|will|been|has|have|was)\b", re.I)
# Words of a Vietnamese sentence that the English UI never needs (people's and associations' names
# on an English page have none of them: "Nguyễn Văn An", "Hội hữu nghị …" are names, not sentences).
VIETNAMESE = re.compile(r"(?<!\w)(?:của|được|không|những|chưa|đã|đang|các|với|này|cho|trong|người|thư|ngày)(?!\w)", re.I)
ZONE_OPTION = re.compile(r"\(UTC[+-]?[\d:]*\) — ")
URLS = re.compile(r"\S+@\S+|https?://\S+|webcal://\S+|/[\w./?=&%-]+")


def _screenshots():
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def findings(text: str, language: str, names: list[str], slugs: set[str]) -> list[str]:
    """What a person should not read on this page, each with a little context."""
    found = [f"IANA id: {m.group(0)}" for m in IANA.finditer(text)]
    found += [f"code: {code}" for code in CODES if code in text]
    plain = URLS.sub(" ", text)
    for name in names:  # people's, events' and associations' own names may be in either language
        plain = plain.replace(name, " ")
    found += [f"internal value: {m.group(0)}" for m in SNAKE.finditer(plain)]
    found += [f"slug: {slug}" for slug in slugs if re.search(rf"(?<![\w/-]){re.escape(slug)}(?![\w-])", plain)]
    pattern = ENGLISH if language == "vi" else VIETNAMESE
    for line in plain.splitlines():
        if ZONE_OPTION.search(line):
            continue  # a zone picker's option names a city as the world writes it ("Port of Spain")
        if pattern.search(line):
            found.append(f"{'English' if language == 'vi' else 'Vietnamese'}: {line.strip()[:120]}")
    return found


def _names() -> set[str]:
    """Names people gave things (contacts, events, campaigns, associations, places): data, not UI text."""
    from sqlalchemy import select

    from eventsapp.associations.models import Association
    from eventsapp.campaigns.models import Campaign
    from eventsapp.contacts.models import Contact
    from eventsapp.events.models import Event, Honoree
    from eventsapp.extensions import db

    names = set()
    for row in db.session.scalars(select(Contact)):
        names.update(filter(None, (row.full_name, row.email, getattr(row, "position", None))))
    for row in db.session.scalars(select(Event)):
        names.update(filter(None, (row.title_vi, row.title_en, row.venue_name, row.venue_address,
                                   row.description_vi, row.description_en)))
        names.update(line for text in (row.description_vi, row.description_en) for line in (text or "").splitlines())
    for row in db.session.scalars(select(Campaign)):
        names.update(filter(None, (row.title_vi, row.title_en)))
    for row in db.session.scalars(select(Association)):
        names.update(filter(None, (row.name_vi, row.name_en)))
    for row in db.session.scalars(select(Honoree)):
        names.update(filter(None, (row.award, row.citation)))
    return {name.strip() for name in names if name and name.strip()}


def _slugs() -> set[str]:
    """The slugs of associations, events and campaigns that are more than one word (one-word slugs are words)."""
    from sqlalchemy import select

    from eventsapp.associations.models import Association
    from eventsapp.campaigns.models import Campaign
    from eventsapp.events.models import Event
    from eventsapp.extensions import db

    slugs = set()
    for model in (Association, Event, Campaign):
        slugs.update(slug for slug in db.session.scalars(select(model.slug)) if slug and "-" in slug)
    return slugs


@pytest.fixture
def demo_site(app, db):
    from eventsapp.demo import seed_all

    for _line in seed_all():
        pass
    db.session.commit()
    module = _screenshots()
    return module, module.review_pages(module.Demo(app))


def test_every_reviewed_page_speaks_one_language_and_shows_no_code(demo_site, browser, live_server):
    module, pages_of = demo_site
    names, slugs = sorted(_names(), key=len, reverse=True), _slugs()
    problems = {}
    for language in ("vi", "en"):
        for who, pages in pages_of.items():
            context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
            page = context.new_page()
            if who != "public":
                email, password = module.ACCOUNTS[who]
                page.goto(f"{live_server}/login")
                page.fill("input[name=email]", email)
                page.fill("input[name=password]", password)
                page.click("button[type=submit]")
                page.wait_for_load_state()
            page.goto(f"{live_server}/lang/{language}")
            for name, path in pages.items():
                page.goto(f"{live_server}{path}")
                text = page.inner_text("body")
                # An invitee's own pages speak the invitee's language, whatever was chosen.
                shown = {"rsvp-vi": "vi", "rsvp-en": "en", "unsubscribe": "vi"}.get(name, language)
                found = findings(text, shown, names, slugs)
                if found:
                    problems[f"{language} {who} {name} ({path})"] = found
            context.close()
    assert problems == {}, "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items())
