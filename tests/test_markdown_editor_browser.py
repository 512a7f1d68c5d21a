"""Description fields written in Markdown get a small toolbar (bold, list, link) and a preview,
with the app's own script only."""
from __future__ import annotations

import pytest

from tests.factories import AssociationFactory, staff
from tests.support.browser import sign_in

WORDS = {"vi": {"bold": "Chữ đậm", "list": "Danh sách", "link": "Liên kết", "preview": "Xem trước", "edit": "Sửa"},
         "en": {"bold": "Bold text", "list": "List", "link": "Link", "preview": "Preview", "edit": "Edit"}}


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("width", [390, 1366])
def test_the_organiser_formats_a_description_and_previews_it(db, page, live_server, width, language):
    words = WORDS[language]
    organiser = staff(AssociationFactory(), email="thu-ky@example.vn")
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/lang/{language}")
    page.goto(f"{live_server}/campaigns/new")
    box = page.locator("#description_vi")
    toolbar = page.locator("[data-markdown-toolbar]").first
    box.fill("Gói bánh chưng")
    box.evaluate("el => el.setSelectionRange(4, 14)")  # "bánh chưng"
    toolbar.get_by_role("button", name=words["bold"], exact=True).click()
    assert box.input_value() == "Gói **bánh chưng**"
    box.evaluate("el => { el.value += '\\nVăn nghệ\\nTrao quà'; el.setSelectionRange(19, el.value.length); }")
    toolbar.get_by_role("button", name=words["list"], exact=True).click()
    assert box.input_value() == "Gói **bánh chưng**\n- Văn nghệ\n- Trao quà"
    box.evaluate("el => { el.value += '\\n\\nbản đồ'; el.setSelectionRange(el.value.length - 6, el.value.length); }")
    page.once("dialog", lambda dialog: dialog.accept("https://maps.example.vn/nvh"))
    toolbar.get_by_role("button", name=words["link"], exact=True).click()
    assert box.input_value().endswith("[bản đồ](https://maps.example.vn/nvh)")
    toolbar.get_by_role("button", name=words["preview"], exact=True).click()
    preview = page.locator("[data-markdown-preview-box]").first
    preview.wait_for()
    assert preview.locator("strong", has_text="bánh chưng").count() == 1
    assert preview.locator("li").all_inner_texts() == ["Văn nghệ", "Trao quà"]
    assert preview.locator("a", has_text="bản đồ").get_attribute("href") == "https://maps.example.vn/nvh"
    assert not box.is_visible()
    toolbar.get_by_role("button", name=words["edit"], exact=True).click()
    assert box.is_visible()
    assert all(url.startswith(live_server) for url in requests)  # no script from elsewhere
    bounds = toolbar.bounding_box()
    assert bounds["x"] + bounds["width"] <= width


def test_the_preview_endpoint_renders_safely_and_refuses_what_is_too_long(db, client, auth):
    organiser = staff(AssociationFactory())
    auth.login(organiser)
    page = client.get("/campaigns/new").text
    from tests.conftest import csrf_token_from

    token = csrf_token_from(page)
    answer = client.post("/markdown/preview", json={"text": "**Đậm** <script>alert(1)</script>"},
                         headers={"X-CSRFToken": token})
    assert answer.status_code == 200
    assert "<strong>Đậm</strong>" in answer.get_json()["html"] and "<script" not in answer.get_json()["html"]
    too_long = client.post("/markdown/preview", json={"text": "a" * 100_001}, headers={"X-CSRFToken": token})
    assert too_long.status_code == 400 and "100" in too_long.get_json()["error"]["message"]
