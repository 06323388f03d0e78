"""Kassa's compiled catalogs (the ``kassa`` domain), installed as ``plugin.translations``."""
