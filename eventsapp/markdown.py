"""Markdown descriptions to sanitised HTML (markdown-it-py, then nh3) and to plain text.

A ground module: pages, e-mails and calendars of every domain use it; it imports no domain.

Raw HTML in the source is not rendered by markdown-it (`html=False`); nh3 then
keeps only an allow-list of tags and attributes, drops every `on*` handler and
every URL whose scheme is not http, https or mailto (so no `javascript:`).
"""
from __future__ import annotations

import functools
import html
import re

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


# ---------------------------------------------------------------- plain text

# A second parser for plain text: raw HTML is recognised (so it can be dropped, not copied)
# and every link is accepted by the parser, so that an unsafe one becomes its text alone
# instead of staying in the output as "[text](javascript:…)".
_md_text = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable("table")
_md_text.validateLink = lambda url: True
_SAFE_LINK = ("http://", "https://", "mailto:")


def _strip_html(fragment: str) -> str:
    """Text of an HTML fragment: tags dropped, script and style contents dropped, entities decoded."""
    return html.unescape(nh3.clean(fragment, tags=set(), attributes={}))


def _inline_text(children) -> str:
    parts: list[str] = []
    link_stack: list[tuple[str, int]] = []
    for token in children:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type == "html_inline":
            # Kept for _strip_html, which drops the tags and what an inline <script>/<style> holds.
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif token.type == "image":
            parts.append(token.content or "".join(child.content for child in token.children or ()))
        elif token.type == "link_open":
            link_stack.append((str(token.attrs.get("href") or ""), len(parts)))
        elif token.type == "link_close" and link_stack:
            href, start = link_stack.pop()
            label = "".join(parts[start:]).strip()
            if href.lower().startswith(_SAFE_LINK):
                shown = href[len("mailto:"):] if href.lower().startswith("mailto:") else href
                if label != shown:
                    parts.append(f" ({shown})")
    return "".join(parts)


@functools.lru_cache(maxsize=256)
def markdown_to_text(text: str | None) -> str:
    """Markdown source as readable plain text, for e-mail text parts and iCalendar DESCRIPTION.

    Headings and paragraphs become blocks separated by a blank line, list items lines of
    their own with "• " or "1. ", links read "text (url)" (only http, https and mailto links:
    others keep their text alone), images their alt text; raw HTML is dropped (its text kept,
    script and style contents not), so no tag or event-handler attribute reaches a calendar
    that renders DESCRIPTION as HTML.
    """
    if not text:
        return ""
    out: list[str] = []
    markers: list[str] = []  # the marker of each open list item, blanked once written
    counters: list[int | None] = []
    row: list[str] | None = None
    in_table = False
    for token in _md_text.parse(text):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            if not markers and out:
                out.append("\n")  # a blank line before a list; its items then follow line by line
            counters.append(int(token.attrs.get("start") or 1) if kind == "ordered_list_open" else None)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            counters.pop()
        elif kind == "list_item_open":
            if counters[-1] is None:
                markers.append("• ")
            else:
                markers.append(f"{counters[-1]}. ")
                counters[-1] += 1
        elif kind == "list_item_close":
            markers.pop()
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            out.append(("" if not out else "\n" if in_table else "\n\n") + " | ".join(row))
            row, in_table = None, True
        elif kind == "table_close":
            in_table = False
        elif kind == "inline":
            content = _strip_html(_inline_text(token.children or ())).strip()
            if row is not None:
                row.append(content)
            elif content:
                out.append(_block(content, markers, first=not out))
        elif kind in ("fence", "code_block"):
            out.append(_block(token.content.rstrip("\n"), markers, first=not out))
        elif kind == "html_block":
            stripped = _strip_html(token.content).strip()
            if stripped:
                out.append(_block(stripped, markers, first=not out))
        elif kind == "hr":
            out.append(("" if not out else "\n\n") + "———")
    return "".join(out).strip()


def _block(content: str, markers: list[str], *, first: bool) -> str:
    """One block of text: in a list, its lines indented under the item's marker."""
    if not markers:
        return ("" if first else "\n\n") + content
    indent = "".join(" " * len(marker) for marker in markers[:-1])
    marker = markers[-1]
    hanging = indent + " " * len(marker)
    lines = content.split("\n")
    text = indent + marker + lines[0] + "".join("\n" + hanging + line for line in lines[1:])
    markers[-1] = " " * len(marker)  # a second paragraph of the same item has no marker
    return ("" if first else "\n") + text


# ---------------------------------------------------------------- e-mail HTML

# Gmail and Outlook drop <style> blocks and classes: every element carries its own style.
EMAIL_STYLES = {
    "h1": "font-size:20px;line-height:1.3;margin:16px 0 8px",
    "h2": "font-size:18px;line-height:1.3;margin:16px 0 8px",
    "h3": "font-size:16px;line-height:1.3;margin:12px 0 6px",
    "h4": "font-size:15px;margin:12px 0 6px", "h5": "font-size:15px;margin:12px 0 6px",
    "h6": "font-size:15px;margin:12px 0 6px",
    "p": "margin:0 0 12px",
    "a": "color:#1d4ed8;text-decoration:underline",
    "ul": "margin:0 0 12px;padding-left:24px", "ol": "margin:0 0 12px;padding-left:24px",
    "li": "margin:0 0 4px",
    "blockquote": "margin:0 0 12px;padding:4px 12px;border-left:3px solid #d1d5db;color:#4b5563",
    "pre": "margin:0 0 12px;padding:8px;background:#f3f4f6;white-space:pre-wrap;font-family:monospace",
    "code": "font-family:monospace;background:#f3f4f6",
    "table": "border-collapse:collapse;margin:0 0 12px",
    "th": "border:1px solid #d1d5db;padding:4px 8px;text-align:left",
    "td": "border:1px solid #d1d5db;padding:4px 8px",
    "img": "max-width:100%;height:auto",
    "hr": "border:0;border-top:1px solid #e5e7eb;margin:16px 0",
}
# nh3 writes tags in lower case, escapes ">" inside attribute values and keeps no style attribute, so one
# is added to each opening tag; a link whose unsafe address nh3 removed keeps no link colour either.
_OPENING_TAG = re.compile(r"<(" + "|".join(EMAIL_STYLES) + r")((?:\s[^>]*)?)(/?)>")


def _styled(match: re.Match) -> str:
    tag, attributes, close = match.groups()
    if tag == "a" and " href=" not in attributes:
        return match.group(0)
    return f'<{tag} style="{EMAIL_STYLES[tag]}"{attributes}{close}>'



@functools.lru_cache(maxsize=256)
def render_markdown_email(text: str | None) -> Markup:
    """Markdown as sanitised HTML with an inline style on every element, for the HTML part of an e-mail.

    As in `markdown_to_text`, raw HTML is parsed so that nh3 drops it (its words kept, script and style
    contents not) and an unsafe link keeps its text alone, rather than showing the reader
    "<script>…" or "[text](javascript:…)" written out as a page does.
    """
    if not text:
        return Markup("")
    cleaned = nh3.clean(_md_text.render(text), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                        url_schemes=ALLOWED_SCHEMES, link_rel="noopener noreferrer nofollow")
    return Markup(_OPENING_TAG.sub(_styled, cleaned))
