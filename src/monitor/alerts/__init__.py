"""Alerts: the outbox, its dispatcher and the delivery channels (email, webhook)."""
