"""``ndgrad.utils``: ``data`` (datasets and loaders), ``checkpoint`` (recompute in backward) and
``hooks`` (the handle of registered hooks)."""

from . import checkpoint, data, hooks

__all__ = ["checkpoint", "data", "hooks"]
