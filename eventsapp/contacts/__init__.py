"""Member and overseas rolls: the invitee directory."""
