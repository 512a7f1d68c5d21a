"""The one check of every `next` address before the app redirects to it (the language switch, sign-in):
only a path on this site is followed, read the way a browser reads a `Location`, else the dashboard."""
from __future__ import annotations

from urllib.parse import unquote

from flask import url_for

MAX_LENGTH = 2000


def _browser_could_fold(text: str) -> bool:
    """Whether `text` holds a character a browser drops or rewrites while parsing a URL (tab, line
    breaks, other controls and invisible format or separator characters; a backslash is read as a
    slash), which can turn "/\\t/evil.example" or "/\\evil.example" into "//evil.example"."""
    return any(char == "\\" or char == " " or not char.isprintable() for char in text)


def local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site ("/…", not "//…"), else None. The path is checked
    once more percent-decoded, so that "/%2f/…" or "/%5c…" decoded by a later hop cannot lead away."""
    if not isinstance(target, str) or not target.startswith("/") or len(target) > MAX_LENGTH:
        return None
    path = target.partition("?")[0].partition("#")[0]
    for text in (target, unquote(path)):
        if text.startswith("//") or _browser_could_fold(text):
            return None
    return target


def safe_next(target: str | None) -> str:
    """Where to go after an action that was given `target` as its `next`: the target when it is
    a path on this site, otherwise the dashboard."""
    return local_path(target) or url_for("main.dashboard")
