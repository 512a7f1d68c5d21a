"""The association tree, memberships and the admin pages that manage them."""
