"""The batch-rendering substitution (eventsapp/personalise.py): its rule, and strict mail templates."""
from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from eventsapp.personalise import Shared, render_mail_template, stand_in


def test_each_stand_in_is_replaced_once_even_when_a_value_holds_another_stand_in():
    shared = Shared(f"Kính gửi {stand_in('NAME')}, /rsvp/{stand_in('TOKEN')}")
    name = f"Trần {stand_in('TOKEN')}"  # a reader whose name happens to spell a stand-in
    assert shared.fill({"NAME": name, "TOKEN": "abc"}) == f"Kính gửi Trần {stand_in('TOKEN')}, /rsvp/abc"


def test_a_stand_in_survives_html_escaping_and_url_quoting():
    from urllib.parse import quote

    from markupsafe import escape

    token = stand_in("TOKEN")
    assert str(escape(token)) == token and quote(token) == token
    with pytest.raises(ValueError):
        stand_in("token")


def test_a_mail_template_missing_a_name_fails_instead_of_writing_nothing(app):
    with app.app_context():
        with pytest.raises(UndefinedError):
            render_mail_template("emails/campaign_invitation.txt", items=[])
