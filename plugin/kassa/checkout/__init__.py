"""The shopper-facing checkout pages."""
