"""Markdown descriptions are rendered, and nothing executable survives."""
from html.parser import HTMLParser

from eventsapp.markdown import render_markdown


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


def test_markdown_as_plain_text_reads_like_the_page():
    from eventsapp.markdown import markdown_to_text

    text = markdown_to_text(
        "## Chương trình\n\n**Gói bánh chưng** tại [Nhà văn hóa](https://example.vn/nvh).\n\n"
        "- Một\n- Hai\n\n1. Đầu\n2. Sau\n\nLiên hệ [hoi@example.vn](mailto:hoi@example.vn)"
    )
    assert text == (
        "Chương trình\n\nGói bánh chưng tại Nhà văn hóa (https://example.vn/nvh).\n\n"
        "• Một\n• Hai\n\n1. Đầu\n2. Sau\n\nLiên hệ hoi@example.vn"
    )


def test_markdown_as_plain_text_drops_raw_html_and_unsafe_links():
    from eventsapp.markdown import markdown_to_text

    text = markdown_to_text(
        "Ảnh <img src=x onerror=alert(1)> đây.\n\n<script>alert('x')</script>\n\n"
        "<div onclick=\"steal()\">Chữ trong khung</div>\n\n"
        "[bấm](javascript:alert(1)) và [dữ liệu](data:text/html;base64,PHNjcmlwdD4=)"
    )
    assert "<" not in text and "onerror" not in text and "onclick" not in text
    assert "alert" not in text and "javascript" not in text and "data:" not in text
    assert "Ảnh  đây." in text and "Chữ trong khung" in text and "bấm và dữ liệu" in text
