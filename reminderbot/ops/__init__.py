"""Running the bot as a service: health and readiness, metrics, status, JSON logs, backups.

An adapter beside `telegram`: it may import services, delivery and store; only `cli` imports it.
"""
