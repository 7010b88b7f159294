"""Access: users, roles, per-case assignments, and the one table of who may do what."""
