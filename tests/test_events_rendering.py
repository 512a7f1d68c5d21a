"""Markdown descriptions are rendered, and nothing executable survives."""
from html.parser import HTMLParser

from eventsapp.events.rendering import render_markdown


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)


def _parse(html: str) -> _Collect:
    parser = _Collect()
    parser.feed(html)
    return parser


def test_markdown_is_rendered_with_vietnamese_intact():
    html = render_markdown("## Chương trình\n\n**Gói bánh chưng** tại [Nhà văn hóa](https://example.vn/nvh)")
    assert "<h2>Chương trình</h2>" in html
    assert "<strong>Gói bánh chưng</strong>" in html
    assert 'href="https://example.vn/nvh"' in html


def test_scripts_handlers_and_javascript_urls_are_removed():
    source = (
        "Xin chào <script>alert('x')</script>\n\n"
        "<img src=x onerror=alert(1)>\n\n"
        '<a href="javascript:alert(1)" onclick="steal()">bấm</a>\n\n'
        "[link](javascript:alert(2)) ![ảnh](javascript:alert(3))\n\n"
        "<svg onload=alert(4)></svg> <iframe src='https://evil.example'></iframe>\n"
    )
    html = str(render_markdown(source))
    parsed = _parse(html)
    assert "script" not in parsed.tags and "iframe" not in parsed.tags and "svg" not in parsed.tags
    assert not [name for name, _ in parsed.attrs if name.startswith("on")]
    assert not [value for _, value in parsed.attrs if value and value.strip().lower().startswith("javascript:")]
    assert "Xin chào" in html


def test_raw_html_links_are_made_safe_too():
    html = str(render_markdown("[ok](https://example.vn) [mail](mailto:hoi@example.vn)"))
    parsed = _parse(html)
    hrefs = [value for name, value in parsed.attrs if name == "href"]
    assert hrefs == ["https://example.vn", "mailto:hoi@example.vn"]
    assert ("rel", "noopener noreferrer nofollow") in parsed.attrs


def test_markdown_filter_is_available_in_templates(app):
    template = app.jinja_env.from_string("{{ text|markdown }}")
    assert template.render(text="*a* <script>x</script>") == "<p><em>a</em> &lt;script&gt;x&lt;/script&gt;</p>\n"
