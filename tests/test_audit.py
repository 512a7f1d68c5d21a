"""The audit log (issue 29 A): what staff did is recorded from the services, chained by hash, read by
administrators (everything) and organisers (their associations' part), never edited by the app."""
from __future__ import annotations

import threading

from sqlalchemy import func, select, text

from eventsapp.associations.models import Role
from eventsapp.audit import services as audit
from eventsapp.audit.labels import ACTION_LABELS
from eventsapp.audit.models import AuditEntry
from tests.factories import PASSWORD, AssociationFactory, ContactFactory, UserFactory, staff


def entries(db, action=None):
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    db.session.expire_all()
    return list(db.session.scalars(query))


def test_every_action_has_a_label():
    assert set(ACTION_LABELS) == set(audit.ACTIONS)


def test_export_by_an_organiser_and_a_role_grant_are_recorded_and_a_change_in_sql_is_detected(
        app, db, client, auth, api, runner):
    a, b = AssociationFactory(slug="hoi-a"), AssociationFactory(slug="hoi-b")
    organiser = staff(a, Role.ORGANISER, email="to-chuc@example.vn")
    other = staff(b, Role.ORGANISER, email="b@example.vn")
    admin = UserFactory(is_admin=True, email="quan-tri@example.vn")
    for n in range(3):
        ContactFactory(full_name=f"Nguyễn Văn {n}", email=f"nguoi{n}@example.vn", associations=[a])
    newcomer = UserFactory(email="moi@example.vn")

    result = runner.invoke(args=["users", "grant", "moi@example.vn", "viewer", "hoi-a"])
    assert result.exit_code == 0, result.output
    auth.login(organiser)
    assert client.get("/contacts/export.csv?language=vi").status_code == 200

    grant, = entries(db, "role_granted")
    assert (grant.actor, grant.target_type, grant.target_id, grant.association_id, grant.details) == (
        "cli", "users", str(newcomer.id), a.id, {"role": "viewer"})
    export, = entries(db, "contacts_exported")
    assert (export.actor, export.actor_id, export.ip, export.association_id) == (
        "to-chuc@example.vn", organiser.id, "127.0.0.1", a.id)
    assert export.details == {"what": "contacts", "rows": 3, "filters": {"format": "csv", "language": "vi", "q": False}}
    assert "Nguyễn" not in str(export.details) and "nguoi0" not in str(export.details)

    # Administrators read everything, on the page and through the API; organisers their association's part.
    auth.login(admin)
    page = client.get("/audit/")
    assert page.status_code == 200 and "to-chuc@example.vn" in page.text and "Xuất danh bạ" in page.text
    granted = client.get("/audit/?action=role_granted").text
    assert granted.count('data-action="') == 1
    # Said in words: what the entry is about and its details, never a table's or a key's name.
    assert f">Tài khoản {newcomer.id}<" in granted and "vai trò: viewer" in granted
    assert "users " not in granted and "role:" not in granted
    exported = client.get("/audit/?action=contacts_exported").text
    assert "số dòng: 3" in exported and "bộ lọc: format csv, language vi, q không" in exported
    body = api(admin).get("/api/v1/audit?action=contacts_exported").json
    assert [item["id"] for item in body["items"]] == [export.id]
    assert body["items"][0]["details"]["rows"] == 3
    organiser_view = api(organiser).get("/api/v1/audit").json["items"]
    assert {item["action"] for item in organiser_view} >= {"contacts_exported", "role_granted"}
    assert api(other).get("/api/v1/audit").json["items"] == []
    auth.login(other)
    assert "to-chuc@example.vn" not in client.get("/audit/").text

    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "chain intact" in verified.output

    db.session.execute(text("UPDATE audit_entries SET details = '{\"what\": \"contacts\", \"rows\": 1}' "
                            "WHERE id = :id"), {"id": export.id})
    db.session.commit()
    tampered = runner.invoke(args=["audit", "verify"])
    assert tampered.exit_code == 1
    assert f"entry {export.id}: its content does not match its hash" in tampered.output


def test_verify_detects_an_entry_deleted_or_inserted_in_sql(app, db, runner):
    association = AssociationFactory()
    for n in range(4):
        audit.record("settings_changed", ("associations", association.id), association_id=association.id, n=n)
    db.session.commit()
    first, second, third, fourth = entries(db)
    assert [e.prev_hash for e in (first, second, third, fourth)] == ["", first.hash, second.hash, third.hash]
    first, second, third = ((e.id, e.hash) for e in (first, second, third))

    db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": second[0]})
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"entry {third[0]}: the entry before it was removed" in result.output

    db.session.execute(text(
        "INSERT INTO audit_entries (id, at, actor, ip, action, target_type, target_id, details, prev_hash, hash) "
        "VALUES (:id, now(), 'x', '', 'sign_in', '', '', '{}', :prev, :hash)"),
        {"id": second[0], "prev": first[1], "hash": "0" * 64})
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"entry {second[0]}: its content does not match its hash" in result.output


def test_sign_ins_and_failed_sign_ins_are_recorded_without_the_address_typed(app, db, client, auth):
    user = UserFactory(email="ky@example.vn")
    assert auth.login(user, "wrong password").status_code == 200
    nobody = UserFactory.build(email="nobody@example.vn")
    assert auth.login(nobody, "x" * 10).status_code == 200
    assert auth.login(user, PASSWORD).status_code == 302
    signed_in, = entries(db, "sign_in")
    assert (signed_in.actor_id, signed_in.actor) == (user.id, "ky@example.vn")
    failed = entries(db, "sign_in_failed")
    assert [(e.target_type, e.target_id, e.actor) for e in failed][:1] == [("users", str(user.id), "anonymous")]
    assert all("nobody" not in str(e.details) + e.target_id for e in failed)


def test_contact_edit_merge_and_check_in_undo_come_from_the_services(app, db, auth, client):
    from eventsapp.attendance import services as attendance
    from eventsapp.contacts import services as contacts
    from tests.factories import EventFactory

    association = AssociationFactory()
    keep = ContactFactory(associations=[association])
    duplicate = ContactFactory(associations=[association])
    data = contacts.ContactData(full_name="Tên mới", email=keep.email, phone="", country="", place="",
                                timezone=keep.timezone, language="en", notes="", association_ids=[association.id],
                                tags=[])
    contacts.save_contact(keep, data)
    contacts.merge(keep, duplicate)
    event = EventFactory(association=association)
    row = attendance.check_in(event, keep)
    attendance.undo(row)
    db.session.commit()
    edited, = entries(db, "contact_edited")
    assert edited.details == {"fields": ["full_name", "language"]} and "Tên mới" not in str(edited.details)
    merged, = entries(db, "contacts_merged")
    assert merged.details == {"removed_contact_id": duplicate.id}
    undone, = entries(db, "check_in_undone")
    assert (undone.association_id, undone.details["event_id"]) == (association.id, event.id)


def test_concurrent_writers_keep_one_chain(app, db, runner):
    def write(n):
        with app.app_context():
            for i in range(15):
                audit.record("settings_changed", ("thread", n), n=i)
                db.session.commit()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 60
    checked, problems = audit.verify()
    assert (checked, problems) == (60, [])


def test_no_route_changes_an_entry(app):
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
