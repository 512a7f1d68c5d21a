"""Reminder rules: validation, defaults, re-timing, and firing them into the outbox.

Every function takes `now` explicitly (default: the current time), so tests
move time by passing it rather than by sleeping.

Firing is safe to run twice, concurrently, or after a crash:
1. the due rules come from the partial index of pending rules;
2. each rule is claimed by `UPDATE … SET fired_at = now WHERE id = … AND fired_at IS NULL
   AND skipped_at IS NULL` (a second runner blocks on the row, then matches nothing);
3. its outbox rows (one per recipient, `dedupe_key = "reminder:<rule>:<invitation>"`, or
   `"reminder:<rule>:m<member>"` for a delegation member, whom the guests domain adds to the plan through the
   `reminder_planned` signal) are written in the same transaction as the claim, so a crash loses both or neither.
"""
from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, insert, null, or_, select, update

from .. import audit, signals
from ..contacts.models import Contact
from ..events.models import Event, EventChange, EventStatus
from ..extensions import db
from ..hours import after_quiet_hours, minutes_of, zone_of
from ..i18n import lazy_gettext as _l
from ..invitations.models import Invitation, InvitationStatus
from ..mail.models import MessageKind, MessageState, OutboxMessage
from ..mail.services import queue_messages
from ..privacy import consent
from ..privacy.models import Purpose
from ..timeutils import utcnow
from .models import Anchor, ReminderRule, ReminderSkip, RuleKind, SkipReason

logger = logging.getLogger(__name__)

# The built-in defaults when neither the campaign nor the association has any: 7 days and 1 day before.
BUILT_IN_DEFAULTS = (
    {"kind": RuleKind.REMINDER, "anchor": Anchor.START, "offset_minutes": -7 * 24 * 60,
     "audience": ["accepted", "tentative", "pending"]},
    {"kind": RuleKind.REMINDER, "anchor": Anchor.START, "offset_minutes": -24 * 60,
     "audience": ["accepted", "tentative", "pending"]},
)
# A thank-you that could not be sent within this long after its time is dropped.
THANK_YOU_GRACE = timedelta(days=3)
MAX_OFFSET_MINUTES = 366 * 24 * 60
MAX_MESSAGE_LENGTH = 2000
FIRE_BATCH = 200
AUDIENCE_BY_KIND = {
    RuleKind.REMINDER: ("accepted", "tentative", "pending"),
    RuleKind.THANK_YOU: ("accepted", "attended"),
}
STATUS_OF_AUDIENCE = {
    "accepted": InvitationStatus.ACCEPTED,
    "tentative": InvitationStatus.TENTATIVE,
    "pending": InvitationStatus.PENDING,
}
# Messages that told an invitee the event's details, with the sequence they carried.
DETAIL_KINDS = (MessageKind.INVITATION, MessageKind.CAMPAIGN_INVITATION, MessageKind.UPDATE)
_SEQUENCE_IN_KEY = re.compile(r":seq:(\d+)")


class ReminderError(ValueError):
    """A rule that cannot be saved; the message is for the user (translated)."""


def dedupe_key(rule_id: int, invitation_id: int) -> str:
    return f"reminder:{rule_id}:{invitation_id}"


def dedupe_prefix(rule_id: int) -> str:
    return f"reminder:{rule_id}:"


# ---------------------------------------------------------------- validation

@dataclass
class RuleValues:
    """What a rule is made of, as the form and the API give it."""

    kind: RuleKind = RuleKind.REMINDER
    anchor: Anchor = Anchor.START
    offset_minutes: int = -24 * 60
    absolute_at: datetime | None = None
    audience: list[str] = field(default_factory=lambda: ["accepted", "tentative", "pending"])
    message_vi: str = ""
    message_en: str = ""

    @classmethod
    def of(cls, rule: ReminderRule) -> RuleValues:
        return cls(kind=rule.kind, anchor=rule.anchor, offset_minutes=rule.offset_minutes,
                   absolute_at=rule.absolute_at, audience=rule.audience,
                   message_vi=rule.message_vi, message_en=rule.message_en)


def parse_values(data: dict, base: RuleValues | None = None) -> RuleValues:
    """RuleValues from a JSON-like dict (missing keys keep `base`); raises ReminderError."""
    values = RuleValues(**vars(base)) if base is not None else RuleValues()
    try:
        if "kind" in data:
            values.kind = RuleKind(data["kind"])
        if "anchor" in data:
            values.anchor = Anchor(data["anchor"])
    except ValueError:
        raise ReminderError(_l("Unknown kind or anchor of reminder.")) from None
    if "offset_minutes" in data:
        offset = data["offset_minutes"]
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise ReminderError(_l("The offset must be a whole number of minutes."))
        values.offset_minutes = offset
    if "absolute_at" in data:
        values.absolute_at = _parse_moment(data["absolute_at"])
    if "audience" in data:
        audience = data["audience"]
        if not isinstance(audience, list) or not all(isinstance(a, str) for a in audience):
            raise ReminderError(_l("The audience must be a list of answers."))
        values.audience = audience
    for name in ("message_vi", "message_en"):
        if name in data:
            if not isinstance(data[name], str):
                raise ReminderError(_l("The extra message must be text."))
            setattr(values, name, data[name])
    return values


def _parse_moment(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ReminderError(_l("The time must be an ISO 8601 date and time with its zone.")) from None
    if moment.tzinfo is None:
        raise ReminderError(_l("The time must be an ISO 8601 date and time with its zone."))
    return moment


def validate(values: RuleValues, event: Event | None = None, now: datetime | None = None) -> None:
    """Raise ReminderError unless `values` make a sensible rule (for `event`, if given)."""
    now = now or utcnow()
    allowed = AUDIENCE_BY_KIND[values.kind]
    if not values.audience:
        raise ReminderError(_l("Choose at least one group of invitees."))
    if any(name not in allowed for name in values.audience):
        raise ReminderError(_l("Declined invitees never get reminders; a thank-you goes to accepted or attended invitees."))
    if abs(values.offset_minutes) > MAX_OFFSET_MINUTES:
        raise ReminderError(_l("A reminder can be at most a year from the event."))
    for text in (values.message_vi, values.message_en):
        if len(text) > MAX_MESSAGE_LENGTH:
            raise ReminderError(_l("The extra message can have at most %(n)s characters.", n=MAX_MESSAGE_LENGTH))
    if values.anchor == Anchor.ABSOLUTE:
        if event is None:
            raise ReminderError(_l("Default rules are relative to the event; a fixed time is for one event only."))
        if values.absolute_at is None:
            raise ReminderError(_l("Enter the date and time of the reminder."))
    elif values.kind == RuleKind.REMINDER and (values.anchor != Anchor.START or values.offset_minutes >= 0):
        raise ReminderError(_l("A reminder is sent before the start of the event."))
    elif values.kind == RuleKind.THANK_YOU and (values.anchor != Anchor.END or values.offset_minutes < 0):
        raise ReminderError(_l("A thank-you is sent after the end of the event."))
    if event is None:
        return
    if event.is_cancelled:
        raise ReminderError(_l("The event is cancelled; it has no reminders."))
    if values.anchor == Anchor.ABSOLUTE:
        if values.kind == RuleKind.REMINDER and values.absolute_at >= event.starts_at:
            raise ReminderError(_l("A reminder is sent before the start of the event."))
        if values.kind == RuleKind.THANK_YOU and values.absolute_at < event.ends_at:
            raise ReminderError(_l("A thank-you is sent after the end of the event."))
    if values.kind == RuleKind.REMINDER and now >= event.starts_at:
        raise ReminderError(_l("The event has already started; it is too late for a reminder."))


# ---------------------------------------------------------------- rules: create, change, remove

MESSAGE_FIELDS = ("message_vi", "message_en")
RULE_FIELDS = ("kind", "anchor", "offset_minutes", "absolute_at", "to_accepted", "to_tentative", "to_pending",
               "to_attended", *MESSAGE_FIELDS)


def _association_id(rule: ReminderRule) -> int | None:
    """The association a rule belongs to, through its event or campaign, or its own (a default)."""
    owner = rule.event or rule.campaign
    if owner is not None:
        return owner.association_id
    return rule.association.id if rule.association is not None else rule.association_id


def _audit(rule: ReminderRule, change: str, **details) -> None:
    """A rule's change in the audit log: whose rule (event, campaign or association default), which fields."""
    owner_detail = {"event_id": rule.event_id} if rule.event_id else {"campaign_id": rule.campaign_id} \
        if rule.campaign_id else {"default": True}
    audit.record("settings_changed", rule, association_id=_association_id(rule), what="reminder", change=change,
                 kind=rule.kind.value, **owner_detail, **details)


def _audit_message(rule: ReminderRule, languages: list[str]) -> None:
    """The reminder's own words changed: a template change (which languages, never the text)."""
    audit.record("template_changed", rule, association_id=_association_id(rule), what="reminder_message",
                 languages=languages)


def _apply(rule: ReminderRule, values: RuleValues) -> None:
    rule.kind, rule.anchor = values.kind, values.anchor
    rule.offset_minutes = 0 if values.anchor == Anchor.ABSOLUTE else values.offset_minutes
    rule.absolute_at = values.absolute_at if values.anchor == Anchor.ABSOLUTE else None
    for name in ("accepted", "tentative", "pending", "attended"):
        setattr(rule, f"to_{name}", name in values.audience)
    rule.message_vi, rule.message_en = values.message_vi.strip(), values.message_en.strip()
    if rule.event is not None:
        rule.fire_at = rule.moment_for(rule.event.starts_at, rule.event.ends_at)


def create_rule(values: RuleValues, *, event: Event | None = None, campaign=None, association=None,
                now: datetime | None = None) -> ReminderRule:
    """A new rule of one owner; an event rule is scheduled at once."""
    if sum(owner is not None for owner in (event, campaign, association)) != 1:
        raise ValueError("a rule has exactly one owner")
    validate(values, event, now)
    rule = ReminderRule(event=event, campaign=campaign, association=association)
    _apply(rule, values)
    db.session.add(rule)
    db.session.flush()
    _audit(rule, "added")
    return rule


def update_rule(rule: ReminderRule, values: RuleValues, now: datetime | None = None) -> ReminderRule:
    """Change a rule that has not fired yet; it is re-timed."""
    if rule.fired_at is not None:
        raise ReminderError(_l("This reminder has already been sent; add a new one instead."))
    if rule.removed_at is not None:
        raise ReminderError(_l("This reminder was removed."))
    validate(values, rule.event, now)
    _apply(rule, values)
    changed = audit.changed(rule, RULE_FIELDS)
    if rule.event is not None and rule.skip_reason in (SkipReason.STARTED, SkipReason.TOO_LATE):
        rule.skipped_at = rule.skip_reason = None  # a new time: it may fire again
    db.session.flush()
    settings = [name for name in changed if name not in MESSAGE_FIELDS]
    if settings:
        _audit(rule, "edited", fields=settings)
    messages = [name.removeprefix("message_") for name in changed if name in MESSAGE_FIELDS]
    if messages:
        _audit_message(rule, messages)
    return rule


def remove_rule(rule: ReminderRule, now: datetime | None = None) -> None:
    """Remove a rule. An event rule is kept (marked removed) so its sending history and
    the fact that the organiser chose its rules outlive it; a default is deleted."""
    _audit(rule, "removed")
    if rule.event_id is None:
        db.session.delete(rule)
    else:
        now = now or utcnow()
        rule.removed_at = now
        if rule.is_pending:
            rule.skipped_at, rule.skip_reason = now, SkipReason.REMOVED
    db.session.flush()


def event_rules(event: Event) -> list[ReminderRule]:
    """The event's rules (not the removed ones), in firing order."""
    return list(db.session.scalars(
        select(ReminderRule).where(ReminderRule.event_id == event.id, ReminderRule.removed_at.is_(None))
        .order_by(ReminderRule.fire_at, ReminderRule.id)))


def default_rules(*, campaign=None, association=None) -> list[ReminderRule]:
    column, owner = (ReminderRule.campaign_id, campaign) if campaign is not None else (
        ReminderRule.association_id, association)
    return list(db.session.scalars(
        select(ReminderRule).where(column == owner.id).order_by(ReminderRule.kind, ReminderRule.offset_minutes)))


def get_event_rule(event: Event, rule_id: int) -> ReminderRule | None:
    rule = db.session.get(ReminderRule, rule_id)
    return rule if rule is not None and rule.event_id == event.id and rule.removed_at is None else None


# ---------------------------------------------------------------- defaults and keeping rules in step with the event

def inherited_defaults(event: Event) -> tuple[str, list[RuleValues]]:
    """The defaults `event` inherits: its campaign's, else its association's (or the nearest
    parent association's), else the built-in 7 days and 1 day before."""
    if event.campaign_id is not None:
        rules = default_rules(campaign=event.campaign)
        if rules:
            return "campaign", [RuleValues.of(r) for r in rules]
    association = event.association
    while association is not None:
        rules = default_rules(association=association)
        if rules:
            return "association", [RuleValues.of(r) for r in rules]
        association = association.parent
    return "built_in", [RuleValues(**values) for values in BUILT_IN_DEFAULTS]


def ensure_default_rules(event: Event) -> int:
    """Give an event with no rules at all (never had any) its inherited defaults; idempotent."""
    if event.id is None:
        db.session.flush()
    has_rules = db.session.scalar(select(ReminderRule.id).where(ReminderRule.event_id == event.id).limit(1))
    if has_rules is not None or event.is_cancelled:
        return 0
    source, defaults = inherited_defaults(event)
    for values in defaults:
        rule = ReminderRule(event=event, inherited_from=source)
        _apply(rule, values)
        db.session.add(rule)
    db.session.flush()
    return len(defaults)


def sync_event_rules(event: Event, now: datetime | None = None) -> None:
    """Keep the event's unfired rules in step with it: re-time them to its current times,
    stop them if it is cancelled, re-arm those held back while it was a draft or that a
    move has put back in the future. Rules that fired are never touched."""
    now = now or utcnow()
    rules = db.session.scalars(select(ReminderRule).where(
        ReminderRule.event_id == event.id, ReminderRule.fired_at.is_(None), ReminderRule.removed_at.is_(None)))
    for rule in rules:
        if event.is_cancelled:
            if rule.skipped_at is None:
                rule.skipped_at, rule.skip_reason = now, SkipReason.CANCELLED
            continue
        rule.fire_at = rule.moment_for(event.starts_at, event.ends_at)
        if rule.skip_reason is None:
            continue
        published = event.status == EventStatus.PUBLISHED
        rearm = (rule.skip_reason == SkipReason.CANCELLED
                 or (rule.skip_reason == SkipReason.NOT_PUBLISHED and published)
                 or (rule.skip_reason in (SkipReason.STARTED, SkipReason.TOO_LATE) and rule.fire_at > now))
        if rearm:
            rule.skipped_at = rule.skip_reason = None


# ---------------------------------------------------------------- firing

@dataclass
class FireResult:
    fired: int = 0
    skipped: int = 0
    messages: int = 0


def due_rule_ids(now: datetime, limit: int = FIRE_BATCH) -> list[int]:
    """Pending rules whose time has come, oldest first; reads only the partial index."""
    return list(db.session.scalars(due_query(now, limit)))


def due_query(now: datetime, limit: int = FIRE_BATCH):
    return (select(ReminderRule.id)
            .where(ReminderRule.fired_at.is_(None), ReminderRule.skipped_at.is_(None), ReminderRule.fire_at <= now)
            .order_by(ReminderRule.fire_at).limit(limit))


def fire_due(now: datetime | None = None, limit: int = FIRE_BATCH) -> FireResult:
    """Fire (or skip) every due rule, one transaction per rule; safe to run concurrently.

    A rule that fails (database error, a bug) is rolled back and logged: it stays
    pending and is tried again by the next beat, and the other rules still fire.
    """
    now = now or utcnow()
    result = FireResult()
    seen: set[int] = set()
    while True:
        due = due_rule_ids(now, limit)
        fresh = [rule_id for rule_id in due if rule_id not in seen]
        for rule_id in fresh:
            seen.add(rule_id)
            try:
                outcome = fire_rule(rule_id, now)
                db.session.commit()
            except Exception:
                db.session.rollback()
                logger.exception("reminder rule %s could not fire; the next run retries it", rule_id)
                continue
            if outcome is None:
                continue
            if outcome < 0:
                result.skipped += 1
            else:
                result.fired += 1
                result.messages += outcome
        if len(due) < limit or not fresh:
            return result


def _skip_reason(rule: ReminderRule, event: Event, now: datetime) -> SkipReason | None:
    """Why the whole rule is skipped at `now`, or None when it goes ahead."""
    if event.is_cancelled:
        return SkipReason.CANCELLED
    if event.status != EventStatus.PUBLISHED:
        return SkipReason.NOT_PUBLISHED
    if rule.kind == RuleKind.REMINDER and now >= event.starts_at:
        return SkipReason.STARTED
    if rule.kind == RuleKind.REMINDER and event.published_at is not None and rule.fire_at < event.published_at:
        # Published after the moment it stood for (a same-day event): not worth sending late.
        return SkipReason.PUBLISHED_LATE
    if rule.kind == RuleKind.REMINDER and _superseded(rule, now):
        return SkipReason.SUPERSEDED
    if rule.kind == RuleKind.THANK_YOU and now - rule.fire_at > THANK_YOU_GRACE:
        return SkipReason.TOO_LATE
    return None


def _superseded(rule: ReminderRule, now: datetime) -> bool:
    """A late reminder is not worth sending when a later reminder of the same event, to at
    least the same people, is due as well (e.g. after downtime, or for an event created
    three days before it starts: the 1-day reminder will come, the 7-day one is dropped)."""
    later = db.session.scalars(select(ReminderRule).where(
        ReminderRule.event_id == rule.event_id, ReminderRule.id != rule.id, ReminderRule.kind == RuleKind.REMINDER,
        ReminderRule.removed_at.is_(None), ReminderRule.skipped_at.is_(None),
        ReminderRule.fire_at > rule.fire_at, ReminderRule.fire_at <= now))
    return any(set(rule.audience) <= set(other.audience) for other in later)


def reminder_window() -> timedelta:
    """No invitee gets two reminders of one event within this long (REMINDER_WINDOW_MINUTES)."""
    return timedelta(minutes=max(0, int(current_app.config.get("REMINDER_WINDOW_MINUTES", 360))))


@dataclass
class Plan:
    """What a due rule does at a given moment: skip as a whole (`reason`), or send `rows`
    and leave out `skips` (invitation id → reason) and `other_skips` (the reasons of recipients
    who are not invitees, e.g. delegation members, counted). Computed without writing anything,
    so the preview and the firing agree."""

    rule: ReminderRule
    at: datetime
    reason: SkipReason | None = None
    rows: list[dict] = field(default_factory=list)
    skips: dict[int, SkipReason] = field(default_factory=dict)
    other_skips: Counter = field(default_factory=Counter)

    @property
    def skip_counts(self) -> Counter:
        return Counter(self.skips.values()) + self.other_skips


def plan_rule(rule: ReminderRule, event: Event, now: datetime) -> Plan:
    """Who `rule` reaches if it fires at `now`, and who it leaves out and why.

    Per invitee, in this order: never sent the invitation (`not_invited`); sent it after the
    reminder's moment (`invited_late`: the invitation itself was the news); a later reminder of
    the event due by now or within the window reaches them (`superseded`: the latest wins);
    reminded of this event within the window already (`recently_reminded`)."""
    plan = Plan(rule=rule, at=now, reason=_skip_reason(rule, event, now))
    if plan.reason is not None:
        return plan
    recipients = db.session.execute(recipients_query(rule, event)).all()
    reminder = rule.kind == RuleKind.REMINDER
    window = reminder_window() if reminder else timedelta(0)
    later = _later_audiences(rule, max(now, rule.fire_at + window)) if reminder else []
    recent = _recently_reminded(event, [r.id for r in recipients], now - window) if window else set()
    told = told_sequences(event) if reminder else {}
    kind = MessageKind.REMINDER if reminder else MessageKind.THANK_YOU
    for invitation_id, contact_id, email, status, own_sent_at, campaign_sent_at, zone_name in recipients:
        invited_at = min(filter(None, (own_sent_at, campaign_sent_at)), default=None)
        if invited_at is None:
            plan.skips[invitation_id] = SkipReason.NOT_INVITED
        elif reminder and invited_at > rule.fire_at:
            plan.skips[invitation_id] = SkipReason.INVITED_LATE
        elif any(status.value in audience for audience in later):
            plan.skips[invitation_id] = SkipReason.SUPERSEDED
        elif invitation_id in recent:
            plan.skips[invitation_id] = SkipReason.RECENTLY_REMINDED
        else:
            plan.rows.append({
                "kind": kind, "dedupe_key": dedupe_key(rule.id, invitation_id), "recipient": email,
                "contact_id": contact_id, "invitation_id": invitation_id, "event_id": event.id,
                "next_attempt_at": not_at_night(now, zone_name, event, before_start=reminder),
                "payload": {"rule_id": rule.id, "sequence": event.sequence,
                            "since_sequence": told.get(invitation_id), "status": status.value},
            })
    # Other domains add their recipients by the same rules (delegation members: guests.member_reminders).
    signals.reminder_planned.send(plan, rule=rule, event=event, later=later, window=window)
    return plan


def not_at_night(now: datetime, zone_name: str | None, event: Event, *, before_start: bool) -> datetime:
    """When a message due `now` goes to a reader in `zone_name`: now, or at the end of their night (the
    association's quiet hours); a reminder (`before_start`) whose night ends after the event starts goes now."""
    association = event.association
    due = after_quiet_hours(now, zone_of(zone_name, association.timezone), minutes_of(association.quiet_from),
                            minutes_of(association.quiet_until))
    return now if before_start and due >= event.starts_at else due


def _later_audiences(rule: ReminderRule, until: datetime) -> list[set[str]]:
    """The audiences of the event's other pending reminders due after `rule` and by `until`."""
    later = db.session.scalars(select(ReminderRule).where(
        ReminderRule.event_id == rule.event_id, ReminderRule.id != rule.id, ReminderRule.kind == RuleKind.REMINDER,
        ReminderRule.removed_at.is_(None), ReminderRule.fired_at.is_(None), ReminderRule.skipped_at.is_(None),
        ReminderRule.fire_at > rule.fire_at, ReminderRule.fire_at <= until))
    return [set(other.audience) for other in later]


def _recently_reminded(event: Event, invitation_ids: list[int], since: datetime) -> set[int]:
    """Those of `invitation_ids` whom a reminder rule of `event` fired after `since` reached
    (the rule's firing time is the beat's clock, like `since`)."""
    if not invitation_ids:
        return set()
    recent = db.session.scalars(select(ReminderRule.id).where(
        ReminderRule.event_id == event.id, ReminderRule.kind == RuleKind.REMINDER, ReminderRule.fired_at > since)).all()
    if not recent:
        return set()
    return set(db.session.scalars(select(OutboxMessage.invitation_id).where(
        OutboxMessage.event_id == event.id, OutboxMessage.kind == MessageKind.REMINDER,
        OutboxMessage.invitation_id.in_(invitation_ids),
        or_(*[OutboxMessage.dedupe_key.startswith(dedupe_prefix(rule_id)) for rule_id in recent]))))


def _claim(rule_id: int, now: datetime, **values) -> bool:
    """Take the rule for this runner; False when another runner (or a move) got there first."""
    statement = (update(ReminderRule)
                 .where(ReminderRule.id == rule_id, ReminderRule.fired_at.is_(None),
                        ReminderRule.skipped_at.is_(None), ReminderRule.fire_at <= now)
                 .values(**values).execution_options(synchronize_session=False))
    return db.session.execute(statement).rowcount == 1


def fire_rule(rule_id: int, now: datetime) -> int | None:
    """Fire one due rule: the number of messages queued, -1 if skipped, None if not ours.
    The caller commits."""
    rule = db.session.get(ReminderRule, rule_id, populate_existing=True)
    if rule is None or rule.event is None:
        return None
    event = rule.event
    plan = plan_rule(rule, event, now)
    if plan.reason is not None:
        if not _claim(rule_id, now, skipped_at=now, skip_reason=plan.reason):
            return None
        logger.warning("reminder rule %s of event %s (%s) skipped: %s; it was due at %s",
                       rule.id, event.id, event.slug, plan.reason.value, rule.fire_at.isoformat())
        return -1
    if not _claim(rule_id, now, fired_at=now):
        return None
    count = queue_messages(plan.rows)
    if plan.skips:
        db.session.execute(insert(ReminderSkip), [
            {"rule_id": rule.id, "invitation_id": invitation_id, "reason": reason, "created_at": now}
            for invitation_id, reason in plan.skips.items()])
    db.session.execute(update(ReminderRule).where(ReminderRule.id == rule_id).values(sent_count=count)
                       .execution_options(synchronize_session=False))
    logger.info("reminder rule %s of event %s fired: %s messages, %s left out (%s)", rule.id, event.id, count,
                len(plan.skips), ", ".join(f"{r.value}: {n}" for r, n in sorted(plan.skip_counts.items())) or "-")
    return count


def preview(at: datetime | None = None) -> list[Plan]:
    """What `fire_due(at)` would do, without writing: one Plan per pending rule due by `at`
    (soonest first). Reminders queued between now and `at` are not foreseen."""
    at = at or utcnow()
    plans = []
    for rule in db.session.scalars(select(ReminderRule).where(
            ReminderRule.fired_at.is_(None), ReminderRule.skipped_at.is_(None), ReminderRule.fire_at <= at)
            .order_by(ReminderRule.fire_at, ReminderRule.id)):
        if rule.event is not None:
            plans.append(plan_rule(rule, rule.event, at))
    return plans


def _attended_invitation_ids():
    """A subquery of the invitation ids checked in at the door, if the attendance domain
    records them (a model in eventsapp.attendance.models with an `invitation_id` column);
    None otherwise, and then a thank-you "to attended invitees" goes to those who accepted."""
    # Attendance sits above reminders and is optional: looked up by name.
    from ..blueprints import optional_module

    attendance = optional_module("eventsapp.attendance.models")
    models = [value for value in vars(attendance).values()
              if isinstance(value, type) and issubclass(value, db.Model) and value is not db.Model
              and value.__module__ == attendance.__name__] if attendance else []
    for model in models:
        column = model.__table__.columns.get("invitation_id")
        if column is not None:
            return select(column).where(column.is_not(None))
    return None


def _first_sent(event: Event):
    """A subquery (invitation_id, sent_at): when each invitee of `event` was first sent its own
    invitation e-mail, read through the outbox's (event, kind) index in one grouped pass."""
    return (select(OutboxMessage.invitation_id.label("invitation_id"),
                   func.min(func.coalesce(OutboxMessage.sent_at, OutboxMessage.updated_at)).label("sent_at"))
            .where(OutboxMessage.event_id == event.id, OutboxMessage.kind == MessageKind.INVITATION,
                   OutboxMessage.state == MessageState.SENT)
            .group_by(OutboxMessage.invitation_id).subquery("own_invitation"))


def _first_campaign_sent(event: Event):
    """A subquery (contact_id, sent_at): when each contact was first sent the campaign's invitation
    listing its events; None when the event has no campaign."""
    if event.campaign_id is None:
        return None
    return (select(OutboxMessage.contact_id.label("contact_id"),
                   func.min(func.coalesce(OutboxMessage.sent_at, OutboxMessage.updated_at)).label("sent_at"))
            .where(OutboxMessage.campaign_id == event.campaign_id,
                   OutboxMessage.kind == MessageKind.CAMPAIGN_INVITATION, OutboxMessage.state == MessageState.SENT)
            .group_by(OutboxMessage.contact_id).subquery("campaign_invitation"))


def recipients_query(rule: ReminderRule, event: Event):
    """(invitation id, contact id, e-mail, status, own invitation sent at, campaign invitation sent
    at, contact's time zone) of those the rule's audience covers: never declined, never opted out, never revoked. An
    invitee was sent the invitation when either time is set (the earlier one counts)."""
    statuses = [STATUS_OF_AUDIENCE[a] for a in rule.audience if a in STATUS_OF_AUDIENCE]
    conditions = [Invitation.status.in_(statuses)] if statuses else []
    if rule.to_attended:
        attended = _attended_invitation_ids()
        conditions.append(Invitation.id.in_(attended) if attended is not None
                          else Invitation.status == InvitationStatus.ACCEPTED)
    own, campaign = _first_sent(event), _first_campaign_sent(event)
    query = (select(Invitation.id, Invitation.contact_id, Contact.email, Invitation.status,
                    own.c.sent_at.label("own_sent_at"),
                    (campaign.c.sent_at if campaign is not None else null()).label("campaign_sent_at"),
                    Contact.timezone)
             .join(Contact, Contact.id == Invitation.contact_id)
             .outerjoin(own, own.c.invitation_id == Invitation.id))
    if campaign is not None:
        query = query.outerjoin(campaign, campaign.c.contact_id == Invitation.contact_id)
    return (query.where(Invitation.event_id == event.id, Invitation.revoked_at.is_(None),
                        Invitation.status != InvitationStatus.DECLINED, Contact.opted_out_at.is_(None),
                        consent.may_send(Purpose.REMINDERS), or_(*conditions) if conditions else False)
            .order_by(Invitation.id))


def told_sequences(event: Event) -> dict[int, int]:
    """For each invitation of `event`: the event sequence its last sent invitation or update
    described (payload["sequence"], else ":seq:<n>" in its dedupe key, else 0)."""
    rows = db.session.execute(
        select(OutboxMessage.invitation_id, OutboxMessage.payload, OutboxMessage.dedupe_key)
        .join(Invitation, Invitation.id == OutboxMessage.invitation_id)
        .where(Invitation.event_id == event.id, OutboxMessage.kind.in_(DETAIL_KINDS),
               OutboxMessage.state == MessageState.SENT))
    told: dict[int, int] = {}
    for invitation_id, payload, key in rows:
        sequence = (payload or {}).get("sequence")
        if not isinstance(sequence, int):
            match = _SEQUENCE_IN_KEY.search(key)
            sequence = int(match.group(1)) if match else 0
        told[invitation_id] = max(told.get(invitation_id, 0), sequence)
    return told


def changes_since(event: Event, since_sequence: int | None, up_to: int | None = None) -> list[EventChange]:
    """The changes an invitee has not been told about (none if they were never told anything)."""
    if since_sequence is None:
        return []
    query = select(EventChange).where(EventChange.event_id == event.id, EventChange.sequence > since_sequence)
    if up_to is not None:
        query = query.where(EventChange.sequence <= up_to)
    return list(db.session.scalars(query.order_by(EventChange.sequence, EventChange.id)))


# ---------------------------------------------------------------- what was sent

def _of_rules():
    """The outbox rows the rules wrote: reminders and thank-yous, and the delegation members' reminders
    (guests.member_reminders), which are the rule's too."""
    return or_(OutboxMessage.kind.in_((MessageKind.REMINDER, MessageKind.THANK_YOU)),
               (OutboxMessage.kind == MessageKind.DELEGATION_MEMBER) & OutboxMessage.dedupe_key.startswith("reminder:"))


def sent_by_rule(event: Event) -> dict[int, Counter]:
    """For each rule of `event`: its outbox rows (the invitees' and the delegation members') counted by state."""
    rows = db.session.execute(
        select(OutboxMessage.dedupe_key, OutboxMessage.state)
        .where(OutboxMessage.event_id == event.id, _of_rules()))
    counts: dict[int, Counter] = defaultdict(Counter)
    for key, state in rows:
        parts = key.split(":")
        if len(parts) == 3 and parts[0] == "reminder" and parts[1].isdigit():
            counts[int(parts[1])][state.value] += 1
    return counts


def skips_by_rule(event: Event) -> dict[int, Counter]:
    """For each fired rule of `event`: the invitees it left out, counted by reason."""
    rows = db.session.execute(
        select(ReminderSkip.rule_id, ReminderSkip.reason, func.count())
        .join(ReminderRule, ReminderRule.id == ReminderSkip.rule_id)
        .where(ReminderRule.event_id == event.id).group_by(ReminderSkip.rule_id, ReminderSkip.reason))
    counts: dict[int, Counter] = defaultdict(Counter)
    for rule_id, reason, count in rows:
        counts[rule_id][reason] = count
    return counts


def email_log(event: Event, page: int = 1, per_page: int = 50):
    """The reminder and thank-you e-mails of an event (its delegation members' reminders too), newest first (a
    Flask-SQLAlchemy page)."""
    query = (select(OutboxMessage)
             .where(OutboxMessage.event_id == event.id, _of_rules())
             .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def rule_id_of(message: OutboxMessage) -> int | None:
    rule_id = (message.payload or {}).get("rule_id")
    return rule_id if isinstance(rule_id, int) else None
