"""iCal subscription feeds built by workers."""
from . import receivers  # noqa: F401,E402  (signal receivers connect at import)
