"""Domain signals, so that domains react to each other without importing each other.

Receivers run inside the sender's transaction (before commit): what they write
(outbox rows, feed marks, re-timed reminders) lands or rolls back with the change.
Receivers must not commit.

- `event_saved(event)`: any change to an event (feeds rebuild).
- `event_changed(event, changes=[EventChange, …])`: a change invitees must hear
  about (time, place, online link, cancellation); `event.sequence` already bumped.
- `invitation_answered(invitation, previous_status=InvitationStatus)`: an RSVP.
- `invitations_created(event, invitation_ids=[…])`: new invitees on an event.
- `association_saved(association)`: name, tree or feed token changed.
- `contact_saved(contact)`: a contact's name, language, zone or opt-out changed.
- `reminder_planned(plan, rule=ReminderRule, event=Event, later=[audience sets], window=timedelta)`: a due
  reminder rule's plan (`reminders.services.Plan`), computed without writing; receivers add the rows of
  recipients who are not invitees (delegation members) and count those they leave out, so the one firing
  path (claim, rows, commit) and the preview cover them too. Receivers must not write.
- `contacts_imported(None, contact_ids=[…])`: an import changed these contacts' name, language or zone
  (one signal for the whole import, so that receivers can act with set-based statements).
"""
from blinker import Namespace

_signals = Namespace()

event_saved = _signals.signal("event-saved")
event_changed = _signals.signal("event-changed")
invitation_answered = _signals.signal("invitation-answered")
invitations_created = _signals.signal("invitations-created")
association_saved = _signals.signal("association-saved")
contact_saved = _signals.signal("contact-saved")
contacts_imported = _signals.signal("contacts-imported")
reminder_planned = _signals.signal("reminder-planned")
