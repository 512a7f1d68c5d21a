"""The master of ceremonies' list: the delegates present (or, for the script, everyone accepted) in
protocol order, each written as it is read aloud; a delegation is introduced by its head."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import select

from ..attendance.models import CheckIn
from ..events.models import Event
from ..extensions import db
from ..i18n import gettext as _
from . import protocol


@dataclass
class Entry:
    key: str  # the unit's key: "i-12" or "d-3"
    number: int
    text: str
    members: list[str] = field(default_factory=list)
    arrived_at: str | None = None


def _present(event: Event) -> tuple[dict[int, str], dict[int, str]]:
    """Active check-ins: contact id → time, guest id → time."""
    contacts, guests = {}, {}
    for contact_id, guest_id, at in db.session.execute(
            select(CheckIn.contact_id, CheckIn.guest_id, CheckIn.checked_in_at)
            .where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))).all():
        if guest_id is not None:
            guests[guest_id] = at.isoformat()
        elif contact_id is not None:
            contacts[contact_id] = at.isoformat()
    return contacts, guests


def entries(event: Event, *, present_only: bool = True) -> list[Entry]:
    """The list in protocol order; `present_only`: only who has come in at the door."""
    order = protocol.read(event)
    contacts, guests = _present(event) if present_only else ({}, {})

    def arrived(person: protocol.Person) -> str | None:
        return contacts.get(person.contact_id) if person.kind == "i" else guests.get(person.id)

    result: list[Entry] = []
    for unit in order.units:
        people = [p for p in unit.people if not present_only or arrived(p)]
        if unit.kind == "i":
            people = people[:1] if people and people[0].kind == "i" else []  # companions are not introduced
        if not people:
            continue
        times = [t for t in (arrived(p) for p in people) if t]
        if unit.kind == "d":
            text = _("The delegation of %(name)s, led by %(head)s", name=unit.name, head=protocol.spoken(people[0]))
            members = [protocol.spoken(p) for p in people[1:]]
        else:
            text, members = protocol.spoken(people[0]), []
        result.append(Entry(unit.key, len(result) + 1, text, members, max(times) if times else None))
    return result


def as_json(event: Event) -> tuple[bytes, str]:
    """The MC page's data and its version (the ETag): the same list gives the same bytes."""
    body = json.dumps({"entries": [entry.__dict__ for entry in entries(event)]}, ensure_ascii=False,
                      separators=(",", ":")).encode()
    return body, hashlib.sha256(body).hexdigest()[:20]
