"""The delegation leader's e-mail: the link to the page where they name their delegation's members."""
from __future__ import annotations

from flask_babel import force_locale

from .. import links
from ..extensions import db
from ..i18n import gettext as _
from ..invitations.emails import _address_headers, _check_recipient, mail_locale
from ..mail.compose import Mail, Multipart, text_part
from ..mail.models import MessageKind, OutboxMessage
from ..mail.renderers import renderer
from ..mail.transport import PermanentFailure
from ..personalise import render_mail_template
from ..timefmt import moment_text
from .models import Delegation


def delegation_url(delegation: Delegation) -> str:
    """guests: the leader's page of their delegation's members."""
    return links.absolute(f"/delegation/{delegation.token}")


@renderer(MessageKind.DELEGATION)
def render_delegation_link(message: OutboxMessage) -> Mail:
    delegation = db.session.get(Delegation, (message.payload or {}).get("delegation_id"))
    if delegation is None or delegation.revoked_at is not None:
        raise PermanentFailure("the delegation's link is no longer valid")
    contact, event = delegation.leader_contact, delegation.event
    _check_recipient(contact)
    association = event.association
    locale = mail_locale(contact)
    msg = Mail()
    with force_locale(locale):
        _address_headers(msg, association, contact, locale)
        title = event.title(locale)
        msg["Subject"] = _("Your delegation's list: %(title)s", title=title)
        context = {
            "title": title, "event": event, "contact": contact, "association": association,
            "association_name": association.name(locale), "locale": locale, "delegation": delegation,
            "url": delegation_url(delegation),
            "deadline": moment_text(delegation.deadline, contact.timezone, locale) if delegation.deadline else "",
            "unsubscribe_url": links.unsubscribe_url(contact), "feed_url": links.personal_feed_url(contact)}
        text = render_mail_template("emails/delegation.txt", **context)
        html = render_mail_template("emails/delegation.html", **context)
    msg.body = Multipart("alternative", [text_part(text), text_part(html, "html")])
    return msg
