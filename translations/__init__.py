"""Kassa's compiled catalogs (the ``kassa`` domain), installed as ``kassa.translations``."""
