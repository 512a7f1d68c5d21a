"""In a phone's browser: a person without e-mail registers on the public page with their mobile number, types
the code of the SMS (from the fake eSMS gateway) and opens their own answer page; the code page has no serious
accessibility violation, in Vietnamese and in English."""
from __future__ import annotations

import re

import pytest

from eventsapp.channels import dispatch
from eventsapp.events.models import EventStatus, Visibility
from eventsapp.mail.models import Channel
from eventsapp.registration.models import RegistrationSettings
from tests.factories import EventFactory
from tests.test_accessibility_browser import PHONE, serious_violations


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_person_registers_by_phone_types_the_sms_code_and_opens_their_answer_page(
        live_server, browser, db, gateways, language):
    event = EventFactory(status=EventStatus.PUBLISHED, visibility=Visibility.PUBLIC,
                         title_vi="Gặp mặt Xuân Quê hương", title_en="Spring homeland gathering")
    db.session.add(RegistrationSettings(event_id=event.id, is_open=True, needs_approval=False))
    db.session.commit()
    context = browser.new_context(bypass_csp=True, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **PHONE)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/lang/{language}")
        page.goto(f"{live_server}/e/{event.slug}")
        form = page.locator("#registration-form")
        form.locator("input[name=full_name]").fill("Vũ Thị Mai")
        form.locator("input[name=phone]").fill("0912 345 678")
        form.locator("button[type=submit]").click()
        page.wait_for_selector("#registration-code")
        assert "/register/code/" in page.url
        assert ("mã gồm 6 chữ số" if language == "vi" else "a code of 6 digits") in page.content()
        assert serious_violations(page) == []

        dispatch.dispatch(Channel.SMS)
        code = re.search(r"\b(\d{6})\b", gateways.esms.sends()[-1]["body"]["Content"]).group(1)
        page.fill("input[name=code]", code)
        page.click("#registration-code button[type=submit]")
        page.wait_for_selector("#answer-page")
        assert serious_violations(page) == []
        page.click("#answer-page")
        page.wait_for_load_state()
        assert "/rsvp/" in page.url
        assert ("Gặp mặt Xuân Quê hương" if language == "vi" else "Spring homeland gathering") in page.content()
    finally:
        context.close()
