"""The event's reminders for its delegation members with an address: added to a due reminder rule's plan (the
`reminder_planned` signal), so they are queued by the reminder engine's one path — the rule's claim, its rows
and its commit — and shown by its preview.

A member counts as having accepted: a rule reaches them when its audience has the invitees who accepted. Each
member with an address of a live delegation (not removed, not revoked) gets each rule's message once
(`dedupe_key = "reminder:<rule>:m<member>"`), in their language, at the end of their night in their zone (the
leader's when they gave none), with their own check-in code (`emails.render_member_mail`). Left out, like an
invitee: a member never sent their welcome at their address (`not_invited`), welcomed after the reminder's
moment (`invited_late`: the welcome was the news), a later reminder to the accepted coming soon
(`superseded`), reminded of the event within the window already (`recently_reminded`). Nothing extra for a
member whose address is the leader's or an invitee's who gets this reminder, or another member's.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from ..extensions import db
from ..mail.models import MessageKind, MessageState, OutboxMessage, priority_of
from ..reminders.models import ReminderRule, RuleKind, SkipReason
from ..reminders.services import not_at_night
from .member_mail import REMINDER, _address_key, _leader_email
from .models import Delegation, EventGuest


def dedupe_key(rule_id: int, member_id: int) -> str:
    """One reminder of one rule per member (counted as the rule's by `reminders.services.sent_by_rule`)."""
    return f"reminder:{rule_id}:m{member_id}"


def live_members(event) -> list[EventGuest]:
    """The members with an address of the event's live delegations."""
    return list(db.session.scalars(
        select(EventGuest).join(Delegation, Delegation.id == EventGuest.delegation_id)
        .where(Delegation.event_id == event.id, Delegation.revoked_at.is_(None), EventGuest.email.is_not(None),
               EventGuest.email != "").order_by(EventGuest.id)))


def _welcomed_at(event, members: list[EventGuest]) -> dict[int, datetime]:
    """When each member was first sent their welcome at their current address."""
    keys = {f"member:{m.id}:welcome:{_address_key(m.email)}": m.id for m in members}
    if not keys:
        return {}
    rows = db.session.execute(
        select(OutboxMessage.dedupe_key, func.coalesce(OutboxMessage.sent_at, OutboxMessage.updated_at))
        .where(OutboxMessage.event_id == event.id, OutboxMessage.kind == MessageKind.DELEGATION_MEMBER,
               OutboxMessage.state == MessageState.SENT, OutboxMessage.dedupe_key.in_(list(keys))))
    return {keys[key]: sent_at for key, sent_at in rows}


def _recently_reminded(event, since: datetime) -> set[int]:
    """The members a reminder rule of `event` fired after `since` reached."""
    recent = db.session.scalars(select(ReminderRule.id).where(
        ReminderRule.event_id == event.id, ReminderRule.kind == RuleKind.REMINDER,
        ReminderRule.fired_at > since)).all()
    if not recent:
        return set()
    keys = db.session.scalars(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.event_id == event.id, OutboxMessage.kind == MessageKind.DELEGATION_MEMBER,
        or_(*[OutboxMessage.dedupe_key.startswith(f"reminder:{rule_id}:m") for rule_id in recent])))
    return {int(key.rsplit(":m", 1)[1]) for key in keys}


def add_members(plan, *, rule, event, later, window) -> None:
    """Add the rows (and count the skips) of the event's delegation members to a reminder rule's `plan`."""
    if rule.kind != RuleKind.REMINDER or "accepted" not in rule.audience:
        return
    members = live_members(event)
    if not members:
        return
    now = plan.at
    welcomed = _welcomed_at(event, members)
    recent = _recently_reminded(event, now - window) if window else set()
    superseded = any("accepted" in audience for audience in later)
    # Whoever this reminder reaches already (the invitees; the leader is one) gets nothing extra.
    reached = {(row.get("recipient") or "").lower() for row in plan.rows}
    leaders: dict[int, str | None] = {}
    for member in members:
        address = member.email.lower()
        if member.delegation_id not in leaders:
            leaders[member.delegation_id] = _leader_email(member.delegation)
        if address in reached or address == leaders[member.delegation_id]:
            continue
        welcomed_at = welcomed.get(member.id)
        reason = (SkipReason.NOT_INVITED if welcomed_at is None
                  else SkipReason.INVITED_LATE if welcomed_at > rule.fire_at
                  else SkipReason.SUPERSEDED if superseded
                  else SkipReason.RECENTLY_REMINDED if member.id in recent else None)
        if reason is not None:
            plan.other_skips[reason] += 1
            continue
        reached.add(address)
        leader = member.delegation.leader_contact
        zone_name = member.timezone or (leader.timezone if leader is not None else None)
        plan.rows.append({
            "kind": MessageKind.DELEGATION_MEMBER, "dedupe_key": dedupe_key(rule.id, member.id),
            "recipient": member.email, "event_id": event.id, "priority": priority_of(MessageKind.REMINDER),
            "next_attempt_at": not_at_night(now, zone_name, event, before_start=True),
            "payload": {"guest_id": member.id, "purpose": REMINDER, "rule_id": rule.id, "sequence": event.sequence},
        })
