"""Who is asking and what they may do: accounts, sessions, roles, CSRF."""
