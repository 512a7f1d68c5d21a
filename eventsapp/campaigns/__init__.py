"""Campaigns: the year planned as Tết weeks, anniversaries, ceremonies."""
