"""``ndgrad.utils``: ``data`` (datasets and loaders) and ``checkpoint`` (recompute in backward)."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
