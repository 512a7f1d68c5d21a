"""iCalendar building (events, VTIMEZONE, iTIP, feeds) in one place."""
