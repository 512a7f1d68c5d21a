"""Every link in the README and in docs/ leads somewhere: a file of this repository, and a heading in it
when the link names one. A guide whose links break sends the newcomer nowhere."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) and ![alt](target), not inside code spans or blocks.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"(?ms)^```.*?^```")
CODE_SPAN = re.compile(r"`[^`\n]*`")


def links(document: Path) -> list[str]:
    text = CODE_SPAN.sub("", FENCE.sub("", document.read_text(encoding="utf-8")))
    return LINK.findall(text)


def anchors(document: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    found = set()
    for line in FENCE.sub("", document.read_text(encoding="utf-8")).splitlines():
        if line.startswith("#"):
            title = unicodedata.normalize("NFC", line.lstrip("#").strip().lower())
            slug = re.sub(r"[^\w\- ]", "", title).replace(" ", "-")
            found.add(slug)
    return found


def test_the_readme_points_newcomers_to_the_three_guides():
    targets = set(links(ROOT / "README.md"))
    assert {"docs/organiser-guide.vi.md", "docs/operator-guide.md", "docs/architecture.md"} <= targets


def test_the_readme_stays_short_and_names_both_commands_with_what_they_need():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 150
    for needed in ("make run", "make test", "Python 3.11", "npm", "PostgreSQL", "Redis", "Chromium"):
        assert needed in text


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_link_leads_to_a_file_and_heading_that_exist(document):
    broken = []
    for target in links(document):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: — outside the repository
            continue
        path_part, _, anchor = target.partition("#")
        destination = (document.parent / path_part).resolve() if path_part else document
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no such heading")
    assert not broken, f"{document.name}: " + "; ".join(broken)
