"""People who come with an invitation without being its invitee: named guests and delegation members."""
from . import receivers  # noqa: F401  (signal receivers)
