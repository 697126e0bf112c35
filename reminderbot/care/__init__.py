"""Pure rules: no I/O, no Telegram, no SQLAlchemy; time comes in as an argument."""
