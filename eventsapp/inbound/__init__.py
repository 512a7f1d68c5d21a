"""Inbound mail: calendar answers (iTIP REPLY), bounces, auto-replies, human replies, unsubscribe requests."""
