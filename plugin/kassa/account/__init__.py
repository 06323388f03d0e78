"""The shopper's self-service pages: the invoice page, its PDF and QR code."""
