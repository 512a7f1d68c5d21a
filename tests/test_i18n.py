"""Vietnamese first: every string in code and templates has a Vietnamese translation."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "eventsapp/translations/vi/LC_MESSAGES/messages.po"


def test_every_message_has_a_vietnamese_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "--no-location", "."],
                   cwd=ROOT, check=True, capture_output=True)
    with open(pot, "rb") as handle:
        template = read_po(handle)
    with open(PO, "rb") as handle:
        catalog = read_po(handle, locale="vi")
    untranslated = []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        if translated is None or not translated.string or translated.fuzzy:
            untranslated.append(message.id)
    assert untranslated == [], f"run `make translations` and translate: {untranslated}"


def test_error_pages_in_both_languages(client):
    assert "Không tìm thấy" in client.get("/khong-co").text
    client.get("/lang/en")
    page = client.get("/khong-co")
    assert page.status_code == 404 and "Not found" in page.text and "Không tìm thấy" not in page.text


def test_api_errors_are_json(client):
    response = client.get("/api/v1/khong-co")
    assert response.status_code in (401, 404)
    assert "error" in response.json


def test_templates_follow_a_change_of_language_within_one_request(app):
    from flask import g, render_template_string
    from flask_babel import force_locale, refresh

    template = '{{ _("Confirm my answer") }} · {{ _("Up to %(n)s.", n=2) }}'
    with app.test_request_context("/"):
        assert render_template_string(template) == "Xác nhận câu trả lời · Tối đa 2."
        g.locale_override = "en"
        refresh()
        assert render_template_string(template) == "Confirm my answer · Up to 2."
        with force_locale("vi"):
            assert render_template_string(template).startswith("Xác nhận")
        assert render_template_string(template).startswith("Confirm")
