"""Writes at masked, flat and diagonal positions, out of place and in place: masked_scatter,
put, index_put, fill_diagonal_. The same pattern as scatter.py: one record per op (forward on
NumPy, rules, samples, PyTorch twin), a public function with PyTorch's checks, and the in-place
method through ``registry.apply_inplace``. See Note [In-place ops] in inplace.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.factories import zeros
from .._core.tensor import Tensor
from .elementwise import where
from .registry import (
    EXPORTS,
    TABLE,
    Sample,
    _check_inplace,
    apply,
    apply_inplace,
    attach_method,
    def_op,
    to_tensor,
)
from .samples import rand
from .scatter import _check_same_dtype, _on_host
from .views import index_backward, take_key

# --------------------------------------------------------------------------------------------
# masked_scatter and put.


@_on_host
def _masked_scatter_fwd(xp: Any, x: Any, mask: Any, src: Any) -> Any:
    shape = np.broadcast_shapes(x.shape, mask.shape)
    out = np.array(np.broadcast_to(x, shape))
    m = np.broadcast_to(mask, shape)
    n = int(m.sum())
    if src.size < n:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out[m] = src.reshape(-1)[:n]
    return out


def _masked_scatter_src_vjp(g: Tensor, ans: Any, x: Any, mask: Tensor, src: Any) -> Tensor:
    m = np.broadcast_to(_backend.to_numpy(mask._data), tuple(g.shape))
    sel = take_key(g, (m, Ellipsis))
    size = int(np.prod(src.shape)) if len(src.shape) else 1
    flat = index_backward(sel, shape=(size,), idx=(slice(0, sel.shape[0]), Ellipsis))
    return flat.reshape(tuple(src.shape))


_masked_scatter = def_op(
    "masked_scatter",
    forward=_masked_scatter_fwd,
    vjp=(
        lambda g, ans, x, mask, src: where(mask, 0.0, g),
        None,
        _masked_scatter_src_vjp,
    ),
    jvp="linear",
    inputs=("input", "mask", "source"),
    save=(1,),
    method=False,
    export=False,
    backward_name="MaskedScatterBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt), rng.random((2, 3)) > 0.5, rand(rng, (7,), dt))),
        Sample(
            (rand(rng, (2, 3), dt), rng.random((3,)) > 0.4, rand(rng, (2, 4), dt)),
            name="broadcast mask",
        ),
    ],
    ref=lambda x, mask, src: _masked_scatter_fwd(np, x, mask, src),
    complex=True,
    doc="``input`` with the elements of ``source`` (in order) written where ``mask`` is True. "
    "d/dinput = g off the mask, d/dsource = g on the mask, in order, zeros after.",
)


def _check_bool_mask(mask: Any, who: str) -> Tensor:
    mask = to_tensor(mask)
    if mask.dtype is not _dt.bool_:
        raise RuntimeError(
            f"{who}: expected BoolTensor for mask, got {mask.dtype}; hint: compare to make a "
            "mask, e.g. x > 0"
        )
    return mask


def masked_scatter(input: Tensor, mask: Any, source: Tensor) -> Tensor:
    """``input`` with the elements of ``source``, in order, where ``mask`` is True."""
    mask = _check_bool_mask(mask, "masked_scatter_")
    _check_same_dtype(input, to_tensor(source), "masked_scatter_")
    return apply(_MASKED_SCATTER, (input, mask, source))


def _masked_scatter_(self: Tensor, mask: Any, source: Tensor) -> Tensor:
    mask = _check_bool_mask(mask, "masked_scatter_")
    _check_same_dtype(self, to_tensor(source), "masked_scatter_")
    return apply_inplace(_MASKED_SCATTER, self, (mask, source))


_MASKED_SCATTER = TABLE["masked_scatter"]


@_on_host
def _put_fwd(xp: Any, x: Any, index: Any, src: Any, *, accumulate: bool = False) -> Any:
    out = x.copy()
    flat = out.reshape(-1)
    idx = np.asarray(index).reshape(-1).astype(np.int64)
    v = np.broadcast_to(np.asarray(src, dtype=x.dtype).reshape(-1), idx.shape)
    if accumulate:
        np.add.at(flat, idx, v)
    else:
        flat[idx] = v
    return flat.reshape(x.shape)


def _take(g: Tensor, index: Any) -> Tensor:
    ia = np.asarray(_backend.to_numpy(index._data)).reshape(-1).astype(np.int64)
    return take_key(g.reshape(-1), (ia, Ellipsis))


_put = def_op(
    "put",
    forward=_put_fwd,
    vjp=(
        lambda g, ans, x, index, src, *, accumulate=False: (
            g
            if accumulate
            else _put(g, index, zeros(tuple(index.shape), dtype=g.dtype), accumulate=False)
        ),
        None,
        lambda g, ans, x, index, src, *, accumulate=False: _take(g, index).reshape(
            tuple(src.shape)
        ),
    ),
    jvp="linear",
    inputs=("input", "index", "source"),
    params=(("accumulate", False),),
    save=(1,),
    method=False,
    export=False,
    backward_name="PutBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt), np.array([4, 0, -1]), rand(rng, (3,), dt))),
        Sample(
            (rand(rng, (2, 3), dt), np.array([[1, 1], [5, 1]]), rand(rng, (2, 2), dt)),
            {"accumulate": True},
            name="accumulate",
        ),
    ],
    ref=lambda x, index, src, accumulate=False: _put_fwd(np, x, index, src, accumulate=accumulate),
    torch=lambda x, index, src, accumulate=False: __import__("torch").put(
        x, index, src, accumulate
    ),
    complex=True,
    doc="``input`` with ``source`` written at the flat positions ``index`` (added when "
    "``accumulate``). d/dinput = g off those positions (all of g when accumulating), "
    "d/dsource = g at them.",
)


def _put_args(input: Tensor, index: Any, source: Any, who: str) -> tuple:
    index = to_tensor(index)
    if index.dtype is not _dt.int64:
        raise RuntimeError(f"{who}(): Expected a long tensor for index, but got {index.dtype}")
    source = to_tensor(source)
    _check_same_dtype(input, source, who)
    if index.numel() != source.numel():
        raise RuntimeError(
            f"{who}(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {index.numel()}"
        )
    n = input.numel()
    if index.numel():
        ia = _backend.to_numpy(index._data)
        bad = ia[(ia >= n) | (ia < -n)]
        if bad.size:
            raise IndexError(
                f"out of range: tried to access index {int(bad.reshape(-1)[0])} on a tensor of "
                f"{n} elements."
            )
    return index, source


def put(input: Tensor, index: Any, source: Tensor, accumulate: bool = False) -> Tensor:
    """``input`` (seen as 1-d) with ``source`` written at positions ``index`` (or added)."""
    index, source = _put_args(input, index, source, "put_")
    return apply(_PUT, (input, index, source), {"accumulate": bool(accumulate)})


def _put_(self: Tensor, index: Any, source: Tensor, accumulate: bool = False) -> Tensor:
    index, source = _put_args(self, index, source, "put_")
    return apply_inplace(_PUT, self, (index, source), {"accumulate": bool(accumulate)})


_PUT = TABLE["put"]

# --------------------------------------------------------------------------------------------
# index_put: setitem with a tuple of index tensors, optionally accumulating.


def _accumulated(input: Tensor, indices: tuple, values: Any) -> Tensor:
    """Zeros of input's shape with ``values`` added at ``indices`` (repeats add up)."""
    from .indexing import parse_key

    idx, _ = parse_key(tuple(indices), tuple(input.shape))
    region = tuple(input.detach()[tuple(indices)].shape)
    v = to_tensor(values)
    if tuple(v.shape) != region:
        v = v.expand(region)
    return index_backward(v, shape=tuple(input.shape), idx=idx)


def index_put(input: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """``input`` with ``values`` written at ``input[indices]`` (added when ``accumulate``).

    Example:
        >>> import ndgrad
        >>> i = ndgrad.tensor([0, 0])
        >>> ndgrad.zeros(3).index_put((i,), ndgrad.tensor([1.0, 2.0]), accumulate=True)
        tensor([3., 0., 0.])
    """
    if accumulate:
        return input + _accumulated(input, tuple(indices), values)
    out = input.clone()
    out[tuple(indices)] = values
    return out


def _index_put_(self: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    if accumulate:
        return self.add_(_accumulated(self, tuple(indices), values))
    self[tuple(indices)] = values
    return self


# --------------------------------------------------------------------------------------------
# fill_diagonal_ (PyTorch has only the in-place form).


@_on_host
def _fill_diagonal_fwd(xp: Any, x: Any, *, value: Any = 0.0, wrap: bool = False) -> Any:
    out = x.copy()
    np.fill_diagonal(out, value, wrap=wrap)
    return out


_fill_diagonal = def_op(
    "_fill_diagonal",
    api="fill_diagonal_",
    forward=_fill_diagonal_fwd,
    vjp=lambda g, ans, x, *, value=0.0, wrap=False: _fill_diagonal(g, value=0.0, wrap=wrap),
    jvp=lambda ts, ans, x, *, value=0.0, wrap=False: _fill_diagonal(ts[0], value=0.0, wrap=wrap),
    params=(("value", 0.0), ("wrap", False)),
    save=None,
    method=False,
    export=False,
    backward_name="FillDiagonalBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (3, 3), dt),), {"value": 2.0}),
        Sample((rand(rng, (5, 2), dt),), {"value": -1.0, "wrap": True}, name="tall, wrap"),
        Sample((rand(rng, (2, 2, 2), dt),), {"value": 0.5}, name="3-d"),
    ],
    ref=lambda x, value=0.0, wrap=False: _fill_diagonal_fwd(np, x, value=value, wrap=wrap),
    torch=lambda x, value=0.0, wrap=False: x.clone().fill_diagonal_(value, wrap),
    doc="``input`` with its main diagonal set to ``value`` (what ``x.fill_diagonal_(value)`` "
    "writes). d/dinput = g off the diagonal.",
)


def _fill_diagonal_(self: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Set the main diagonal (all dims equal for more than 2 dims) to ``fill_value``."""
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    _check_inplace(self, "fill_diagonal_()")
    return apply_inplace(
        TABLE["_fill_diagonal"], self, (), {"value": fill_value, "wrap": bool(wrap)}
    )


# --------------------------------------------------------------------------------------------
# Public names and Tensor methods.

_FUNCS = {"masked_scatter": masked_scatter, "put": put, "index_put": index_put}
EXPORTS.update(_FUNCS)
for _n, _f in _FUNCS.items():
    attach_method(_n, _f)
for _n, _f in (
    ("masked_scatter_", _masked_scatter_),
    ("put_", _put_),
    ("index_put_", _index_put_),
    ("fill_diagonal_", _fill_diagonal_),
):
    attach_method(_n, _f)

__all__ = sorted(_FUNCS)
