"""The door list's lines written by PostgreSQL (attendance/doorlist.py, its fast path on PostgreSQL).

The same bytes as doorlist.py's Python writers (`_head`, `_state`, `_line`), made by the database in
the statement that reads them, so that Python does no work per line but put it in a dict:
`to_json(text)` escapes a string as `json.encoder.encode_basestring` does (the same short escapes,
other control characters as lowercase `\\u00XX`, everything else as is), `sha256()` hashes the check-in
code as `services.code_hash` does, and `to_char` writes a check-in's time as `datetime.isoformat()` does
in UTC. The lines come as UTF-8 bytes over psycopg's binary protocol, already in the list's order
(`sort_key` compared by code point, as Python compares strings, then the contact's id).
tests/test_attendance_door_list.py compares both writers on hostile names and times.
"""
from __future__ import annotations

# The event's active check-ins as (line key, check-in as the phone keeps it): the key is the contact's
# id, or minus the named guest's; the time in UTC as `isoformat()` writes it (microseconds only when
# there are some); the staff member by name, else e-mail, else "—".
_STATES = """
states AS (
    SELECT CASE WHEN k.guest_id IS NOT NULL THEN -k.guest_id ELSE k.contact_id END AS key,
           '{"id":' || k.id
           || ',"client_id":' || coalesce(to_json(k.client_id)::text, 'null')
           || ',"at":"' || to_char(k.checked_in_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
           || CASE WHEN date_part('microseconds', k.checked_in_at)::bigint %% 1000000 = 0 THEN ''
                   ELSE to_char(k.checked_in_at AT TIME ZONE 'UTC', '.US') END
           || '+00:00","by":' || to_json(coalesce(nullif(u.name, ''), nullif(u.email, ''), '—'))::text
           || ',"guests":' || k.guests
           || ',"walk_in":' || CASE WHEN k.walk_in THEN 'true' ELSE 'false' END || '}' AS state
    FROM check_ins k LEFT JOIN users u ON u.id = k.checked_in_by_id
    WHERE k.event_id = %(event_id)s AND k.undone_at IS NULL
)"""

# The active check-ins that are on no invitee's line (named guests', walk-ins', a revoked invitee's):
# the invitees' come with their lines.
_OTHER_CHECK_INS = f"""
WITH {_STATES}
SELECT key, state FROM states
WHERE key NOT IN (SELECT contact_id FROM invitations WHERE event_id = %(event_id)s AND revoked_at IS NULL)
"""

# Each invitee whose invitation stands as (contact id, sort key, whole line as UTF-8, their check-in or
# NULL), in the list's order. Their associations within the tree are gathered before the join (most people have one: an
# ordered aggregate per person would cost a sort each); the others the invitation brings are its
# guests less the named ones, who have lines of their own.
_INVITEES = f"""
WITH {_STATES},
associations_of AS (
    SELECT ca.contact_id,
           CASE count(*) WHEN 1 THEN min(an.name_vi)
           ELSE (SELECT string_agg(name, ', ' ORDER BY name COLLATE "C") FROM unnest(array_agg(an.name_vi)) name)
           END AS names
    FROM contact_associations ca JOIN associations an ON an.id = ca.association_id
    WHERE ca.association_id = ANY(%(allowed)s)
      AND ca.contact_id IN (SELECT contact_id FROM invitations WHERE event_id = %(event_id)s)
    GROUP BY ca.contact_id
),
named AS (
    SELECT invitation_id, count(*) AS named FROM event_guests
    WHERE event_id = %(event_id)s AND invitation_id IS NOT NULL GROUP BY invitation_id
)
SELECT p.id, p.sort_key, convert_to(
       '{{"contact_id":' || p.id
       || ',"name":' || to_json(p.full_name)::text
       || ',"association":' || to_json(coalesce(p.names, ''))::text
       || ',"status":' || to_json(p.status)::text
       || ',"honoree":' || CASE WHEN p.is_honoree THEN 'true' ELSE 'false' END
       || ',"guests":' || greatest(p.guests - coalesce(p.named, 0), 0)
       || ',"code_hash":"' || encode(sha256(convert_to(%(event_id)s || ':' || p.checkin_token, 'UTF8')), 'hex')
       || '","seat":' || coalesce('{{"table":' || p.number || ',"seat":' || p.seat
                                  || ',"row":' || CASE WHEN p.shape = 'row' THEN 'true' ELSE 'false' END || '}}',
                                  'null')
       || ',"check_in":' || coalesce(p.state, 'null') || '}}', 'UTF8'), p.state
FROM (
    -- Sorted before the lines are written (OFFSET 0 keeps this apart): 10,000 short rows sort in
    -- memory, 3 MB of lines would spill to disk.
    SELECT c.id, c.sort_key COLLATE "C" AS sort_key, c.full_name, a.names, i.status, i.is_honoree, i.guests,
           g.named, i.checkin_token, st.number, sa.seat, st.shape, s.state
    FROM invitations i
    JOIN contacts c ON c.id = i.contact_id
    LEFT JOIN associations_of a ON a.contact_id = c.id
    LEFT JOIN named g ON g.invitation_id = i.id
    LEFT JOIN seat_assignments sa ON sa.event_id = %(event_id)s AND sa.invitation_id = i.id
    LEFT JOIN seat_tables st ON st.id = sa.table_id
    LEFT JOIN states s ON s.key = c.id
    WHERE i.event_id = %(event_id)s AND i.revoked_at IS NULL
    ORDER BY 2, 1 OFFSET 0
) p
ORDER BY p.sort_key, p.id
"""


def _fetch(connection, statement: str, parameters: dict) -> list[tuple]:
    """Plain tuples through the connection's own transaction (its snapshot), binary: bytea as bytes."""
    with connection.connection.driver_connection.cursor(binary=True) as cursor:
        cursor.execute(statement, parameters)
        return cursor.fetchall()


def invitee_lines(connection, event_id: int, allowed: set[int]) -> list[tuple[int, str, bytes, str | None]]:
    """(contact id, sort key, whole line, check-in as JSON or None) of each invitee whose invitation
    stands, in the list's order."""
    return _fetch(connection, _INVITEES, {"event_id": event_id, "allowed": sorted(allowed)})


def other_check_in_states(connection, event_id: int) -> dict[int, str]:
    """The active check-ins on no invitee's line as JSON, by line (contact id, or minus a named guest's id)."""
    return dict(_fetch(connection, _OTHER_CHECK_INS, {"event_id": event_id}))
