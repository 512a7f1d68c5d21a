"""The audit log: what staff did (issue 29). `record(action, target, **details)` from the services."""
from .services import association_of, changed, downloaded, for_event, record, record_for  # noqa: F401
