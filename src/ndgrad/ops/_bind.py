"""Bind what ``_core`` needs from the op layer (See ``OpsInterface`` in ``_core/node.py``).

The engine sums broadcast gradients back, casts them and adds buffers with differentiable ops,
so that ``create_graph=True`` records those steps too; it reaches them only through ``OPS``.
"""

from __future__ import annotations

from typing import Any

from .._core import dtypes as _dt
from .._core.node import OPS
from .._core.tensor import Tensor
from . import elementwise, join, reduction, shape
from .registry import to_tensor


def sum_to(r: Tensor, shape_: tuple) -> Tensor:
    """Sum ``r`` over the dimensions broadcasting added, back to ``shape_``."""
    rshape = r._data.shape
    lead = len(rshape) - len(shape_)
    kept = [lead + i for i, s in enumerate(shape_) if s == 1 and rshape[lead + i] != 1]
    if kept:
        r = reduction.sum(r, dim=tuple(kept), keepdim=True)
    if lead:  # the leading dimensions go without a reshape (a reshape would be a view)
        r = reduction.sum(r, dim=tuple(range(lead)))
    if r._data.shape != shape_:
        r = shape.reshape(r, shape_)
    return r


def cast(r: Tensor, dt: Any) -> Tensor:
    """``r`` cast to ``dt`` (an ndgrad dtype or a backend dtype), recorded."""
    d = dt if isinstance(dt, _dt.dtype) else _dt.from_np_dtype(dt)
    if d is r.dtype:
        return r
    return elementwise.to_dtype(r, dtype=d)


def zeros_like(t: Tensor) -> Tensor:
    from .._core.factories import zeros_like as _zl

    return _zl(t)


OPS.bind(
    sum_to=sum_to,
    cast=cast,
    add=elementwise.add,
    to_tensor=to_tensor,
    stack=join.stack,
    zeros_like=zeros_like,
    reshape=shape.reshape,
)
