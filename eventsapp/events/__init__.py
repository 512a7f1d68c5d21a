"""Events, their changes and honorees."""
