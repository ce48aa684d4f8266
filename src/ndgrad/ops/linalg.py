"""Linear algebra: matmul, mm, bmm, dot, mv, outer, einsum, tril, triu, diag, trace."""

from __future__ import annotations

from .registry import EXPORTS

__all__ = sorted(k for k in EXPORTS)
