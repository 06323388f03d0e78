"""The storefront JSON API (version 1) and its OpenAPI document.

The blueprint is :data:`kassa.api.views.api`, mounted at ``{KASSA_URL_PREFIX}/api/v1``.
"""
