"""Markdown descriptions to sanitised HTML (markdown-it-py, then nh3).

Raw HTML in the source is not rendered by markdown-it (`html=False`); nh3 then
keeps only an allow-list of tags and attributes, drops every `on*` handler and
every URL whose scheme is not http, https or mailto (so no `javascript:`).
"""
from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


@functools.lru_cache(maxsize=256)  # a few events' descriptions, shown on every RSVP page and in every e-mail
def render_markdown(text: str | None) -> Markup:
    """Markdown source as HTML safe to put in a page or an e-mail."""
    if not text:
        return Markup("")
    html = _md.render(text)
    cleaned = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=ALLOWED_SCHEMES,
                        link_rel="noopener noreferrer nofollow")
    return Markup(cleaned)
