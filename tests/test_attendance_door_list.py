"""The door's kept list over HTTP: an unchanged list costs no body (304), a phone that missed changes gets
exactly them, and the whole list goes gzipped."""
from __future__ import annotations

import gzip
import json
from datetime import timedelta

from eventsapp.associations.models import Role
from eventsapp.attendance import doorlist, services
from eventsapp.invitations.models import InvitationStatus
from eventsapp.timeutils import utcnow
from tests.attendance_factories import door, invite
from tests.factories import staff


def fetch(client, event, held: str | None = None, gzip_ok: bool = False):
    headers = {"Accept": "application/json"}
    if held:
        headers["If-None-Match"] = f'"{held}"'
    if gzip_ok:
        headers["Accept-Encoding"] = "gzip"
    return client.get(f"/events/{event.id}/checkin/door.json", headers=headers)


def body_of(response) -> dict:
    raw = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw)


def apply(people: list[dict], answer: dict) -> list[dict]:
    """What the phone does with an answer (static/js/checkin.js, applyDoorList)."""
    if answer["full"]:
        return answer["people"]
    by_id = {p["contact_id"]: p for p in people}
    for gone in answer["removed"]:
        by_id.pop(gone, None)
    for line in answer["changed"]:
        by_id[line["contact_id"]] = line
    order = answer.get("order") or [p["contact_id"] for p in people] + [
        line["contact_id"] for line in answer["changed"] if line["contact_id"] not in {p["contact_id"] for p in people}]
    return [by_id[c] for c in order if c in by_id]


def test_an_unchanged_list_answers_304_without_a_body(client, auth, db):
    event, user = door()
    invite(event, full_name="Trần Thị Mai")
    auth.login(user)
    first = fetch(client, event)
    assert first.status_code == 200 and first.headers["ETag"]
    version = body_of(first)["version"]
    assert first.headers["ETag"] == f'"{version}"' and first.headers["X-CSRF-Token"]
    again = fetch(client, event, held=version)
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == f'"{version}"' and again.headers["X-CSRF-Token"]


def test_a_phone_that_missed_changes_gets_exactly_them(client, auth, db):
    event, user = door()
    other = staff(event.association, Role.CHECKIN, email="cong2@example.vn", name="Lý Thị Bích")
    came = invite(event, full_name="Nguyễn Văn Ân", guests=1)
    revoked = invite(event, full_name="Lê Thị Bình")
    renamed = invite(event, full_name="Phạm Thị Cúc")
    answered = invite(event, full_name="Đỗ Quang Dũng", status=InvitationStatus.PENDING)
    untouched = [invite(event, full_name=f"Khách {n}").contact_id for n in range(20)]
    auth.login(user)
    kept = body_of(fetch(client, event))
    assert kept["full"] is True and len(kept["people"]) == 24

    # While the phone was away: another phone checks Ân in, an organiser revokes Bình's invitation,
    # Cúc's name is corrected, Dũng accepts, a new guest is invited.
    services.check_in_invitation(came, by=other)
    revoked.revoked_at = utcnow()
    renamed.contact.full_name = "Phạm Thị Cúc (Hà Nội)"
    answered.status = InvitationStatus.ACCEPTED
    db.session.commit()
    new = invite(event, full_name="Vũ Thị Én")

    answer = fetch(client, event, held=kept["version"])
    delta = body_of(answer)
    assert answer.status_code == 200 and delta["full"] is False
    assert sorted(line["contact_id"] for line in delta["changed"]) == sorted(
        [came.contact_id, renamed.contact_id, answered.contact_id, new.contact_id])
    assert delta["removed"] == [revoked.contact_id]
    assert not set(untouched) & {line["contact_id"] for line in delta["changed"]}
    assert delta["counts"]["checked_in"] == 1
    ân = next(line for line in delta["changed"] if line["contact_id"] == came.contact_id)
    assert ân["check_in"]["by"] == "Lý Thị Bích"

    # Applied on the phone, the list is the whole list as a new phone gets it.
    whole = body_of(fetch(client, event))
    assert apply(kept["people"], delta) == whole["people"]
    assert fetch(client, event, held=delta["version"]).status_code == 304


def test_a_check_in_re_dated_by_a_later_phone_changes_the_version(client, auth, db):
    event, user = door()
    invitation = invite(event, full_name="Võ Văn Kiệt")
    auth.login(user)
    services.check_in_invitation(invitation, by=user)
    db.session.commit()
    kept = body_of(fetch(client, event))
    row = services.active_check_in(event.id, invitation.contact_id)
    services.keep_earliest(row, utcnow() - timedelta(minutes=30), user)
    db.session.commit()
    delta = body_of(fetch(client, event, held=kept["version"]))
    assert [line["contact_id"] for line in delta["changed"]] == [invitation.contact_id]


def test_a_version_this_process_never_made_gets_the_whole_list_gzipped(client, auth, db):
    event, user = door()
    for n in range(30):
        invite(event, full_name=f"Nguyễn Thị Khách {n}")
    auth.login(user)
    doorlist.forget_all()  # as a phone meeting a freshly started web process
    answer = fetch(client, event, held="made-elsewhere", gzip_ok=True)
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"
    data = body_of(answer)
    assert data["full"] is True and len(data["people"]) == 30
    assert len(answer.get_data()) < len(json.dumps(data, ensure_ascii=False).encode()) / 3


def test_arrivals_undos_and_walk_ins_rewrite_only_their_lines_and_match_a_fresh_list(client, auth, db):
    event, user = door()
    people = [invite(event, full_name=f"Trần Văn Khách {n}", guests=n % 2) for n in range(12)]
    for invitation in people[10:]:  # in before the phone kept its list
        services.check_in_invitation(invitation, by=user)
    db.session.commit()
    auth.login(user)
    kept = body_of(fetch(client, event))
    for invitation in people[:4]:
        services.check_in_invitation(invitation, by=user)
    db.session.commit()
    for invitation in (people[1], people[10]):
        services.undo(services.active_check_in(event.id, invitation.contact_id), by=user)
    db.session.commit()
    services.check_in_invitation(people[10], by=user)  # undone, then in again: a new check-in
    services.undo(services.active_check_in(event.id, people[11].contact_id), by=user)
    db.session.commit()
    delta = body_of(fetch(client, event, held=kept["version"]))
    assert sorted(line["contact_id"] for line in delta["changed"]) == sorted(
        [people[n].contact_id for n in (0, 2, 3, 10, 11)])  # the one in and undone meanwhile is as it was
    assert [line["check_in"] for line in delta["changed"] if line["contact_id"] == people[11].contact_id] == [None]
    assert "order" not in delta and delta["counts"]["checked_in"] == 4
    walk_in = services.register_walk_in(event, by=user, full_name="Hoàng Thị Vãng Lai")
    db.session.commit()
    later = body_of(fetch(client, event, held=delta["version"]))
    assert [line["name"] for line in later["changed"]] == ["Hoàng Thị Vãng Lai"] and "order" in later
    doorlist.forget_all()
    fresh = body_of(fetch(client, event))
    assert apply(apply(kept["people"], delta), later) == fresh["people"]
    assert walk_in.contact_id in [p["contact_id"] for p in fresh["people"]]


def test_each_line_says_the_associations_in_the_tree_who_let_the_person_in_and_the_code_hash(client, auth, db):
    from tests.factories import AssociationFactory

    event, user = door()
    branch = AssociationFactory(name_vi="Chi hội Đà Nẵng", parent=event.association)
    outside = AssociationFactory(name_vi="Hội khác")
    both = invite(event, full_name="Nguyễn Văn Hai Hội")
    both.contact.associations.extend([branch, outside])
    one = invite(event, full_name="Lê Thị Một")
    db.session.commit()
    services.check_in_invitation(one, by=user)
    db.session.commit()
    walk_in = services.register_walk_in(event, by=user, full_name="Hoàng Thị Vãng Lai")
    db.session.commit()
    auth.login(user)
    people = {p["contact_id"]: p for p in body_of(fetch(client, event))["people"]}
    assert people[both.contact_id]["association"] == ", ".join(sorted([event.association.name_vi, "Chi hội Đà Nẵng"]))
    assert people[both.contact_id]["code_hash"] == services.code_hash(event.id, both.checkin_token)
    assert people[both.contact_id]["check_in"] is None and people[both.contact_id]["status"] == "accepted"
    assert people[one.contact_id]["association"] == event.association.name_vi
    assert people[one.contact_id]["check_in"]["by"] == "Trần Văn Nam"
    assert people[walk_in.contact_id]["status"] is None and people[walk_in.contact_id]["code_hash"] is None
    assert people[walk_in.contact_id]["check_in"]["walk_in"] is True
