"""Delivery: the outbox, the planner that fills it, and the dispatcher that empties it."""
