"""The ceremony (issue 28): protocol order, seating plans, place cards and the master of ceremonies' list."""
