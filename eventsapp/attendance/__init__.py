"""Check-in at the door, walk-ins and attendance reports."""
