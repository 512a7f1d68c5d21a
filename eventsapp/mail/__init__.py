"""The outbox and the sending of e-mail."""
