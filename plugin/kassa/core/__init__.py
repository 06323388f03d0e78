"""Kassa's pure domain core.

Nothing in this package imports Flask, SQLAlchemy, Stripe or requests (a test enforces
it), so that money, credit, reference numbers, calendars and identity rules can be read,
tested and benchmarked on their own.
"""
