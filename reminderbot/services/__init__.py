"""Use cases as plain functions over a session: what handlers and the CLI call."""
