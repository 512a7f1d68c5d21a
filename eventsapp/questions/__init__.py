"""Questions of an event (issue 27): asked on the RSVP page, the delegation page, by staff and through the API."""
