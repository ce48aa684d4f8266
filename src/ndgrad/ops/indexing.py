"""Indexing: ``__getitem__`` (basic, integer-array, boolean), ``__setitem__``, gather."""

from __future__ import annotations

from .registry import EXPORTS

__all__ = sorted(k for k in EXPORTS)
