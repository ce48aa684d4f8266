"""``ndgrad.utils``: ``data`` (datasets and loaders) and ``checkpoint`` (recompute in backward)."""

from . import data

__all__ = ["data"]
