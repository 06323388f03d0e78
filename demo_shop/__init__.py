"""A small Nordic webshop that uses only Kassa's public API, as a real storefront would."""
