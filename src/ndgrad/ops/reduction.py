"""Reductions: sum, mean, prod, max/min, var/std, norm, logsumexp, cumsum, softmax.

``dim`` may be an int, a tuple of ints or None (all dimensions); ``keepdim`` keeps reduced
dimensions with size 1. Rules bring ``g`` back to the input's rank with ``_expand_back``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.tensor import Tensor
from .registry import EXPORTS, def_op
from .samples import unary


def norm_dims(dim: Any, ndim: int) -> tuple:
    """``dim`` as a sorted tuple of non-negative axes (None -> all)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return tuple(range(ndim))
        dims = dim
    else:
        dims = (dim,)
    out = []
    for d in dims:
        d = int(d)
        if not (-max(ndim, 1) <= d < max(ndim, 1)):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
                f"{max(ndim, 1) - 1}], but got {d})"
            )
        out.append(d % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def _axes(dim: Any, ndim: int) -> tuple | None:
    return norm_dims(dim, ndim) if ndim else None


def expand_back(g: Tensor, x_shape: tuple, dim: Any, keepdim: bool) -> Tensor:
    """Reshape a reduced gradient so it broadcasts against the input (inserting size-1 dims)."""
    if not keepdim and len(x_shape):
        dims = norm_dims(dim, len(x_shape))
        shape = [1 if i in dims else s for i, s in enumerate(x_shape)]
        g = g.reshape(tuple(shape))
    return g


def _sum_fwd(xp: Any, x: Any, *, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
    out = xp.sum(x, axis=_axes(dim, x.ndim), keepdims=keepdim)
    if dtype is not None:
        out = out.astype(dtype.np) if xp is np else xp.astype(out, getattr(xp, dtype.name))
    return out


def _sum_vjp(g: Tensor, ans: Any, x: Tensor, *, dim: Any = None, keepdim: bool = False,
             dtype: Any = None) -> Tensor:
    return expand_back(g, x.shape, dim, keepdim).expand(x.shape)


def _sum_samples(rng: np.random.Generator, dtype: Any) -> list:
    from .registry import Sample
    from .samples import rand

    return [
        Sample((rand(rng, (), dtype),)),
        Sample((rand(rng, (2, 3), dtype),)),
        Sample((rand(rng, (2, 3, 4), dtype),), {"dim": 1}),
        Sample((rand(rng, (2, 3, 4), dtype),), {"dim": (0, 2), "keepdim": True}),
        Sample((rand(rng, (2, 3), dtype),), {"dim": -1, "keepdim": False}),
    ]


sum = def_op(  # noqa: A001 - PyTorch's name
    "sum",
    forward=_sum_fwd,
    vjp=_sum_vjp,
    jvp="linear",
    params=(("dim", None), ("keepdim", False), ("dtype", None)),
    save=None,
    samples=_sum_samples,
    ref=lambda x, dim=None, keepdim=False: np.sum(x, axis=dim, keepdims=keepdim),
    doc="Sum over ``dim`` (all by default). d/dx_i = 1: the gradient is ``g`` expanded back.",
)

__all__ = sorted(k for k in EXPORTS)
del unary
