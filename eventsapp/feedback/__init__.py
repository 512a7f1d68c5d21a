"""What people thought of an event: a short form linked from the thank-you message (issue 30)."""
