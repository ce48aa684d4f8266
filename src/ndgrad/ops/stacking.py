"""Stacking, splitting and broadcasting tensors: ``meshgrid``, ``broadcast_to``,
``broadcast_tensors``, ``broadcast_shapes``, ``atleast_1d/2d/3d``, ``hstack``, ``vstack``,
``row_stack``, ``dstack``, ``column_stack``, ``tensor_split``, ``hsplit``, ``vsplit``,
``dsplit``. All are composites of differentiable ops (reshape, expand, cat, slicing...), so their
gradients, and higher orders, are those of the ops they call.

This module also holds the argument helpers and the sample specs (``R``, ``_reg``) that
``arrange`` imports.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _backend
from .._core.tensor import Size, Tensor
from .registry import EXPORTS, TABLE, Sample, attach_method, def_composite
from .samples import rand
from .shape import wrap_dim

__all__ = [
    "meshgrid",
    "broadcast_to",
    "broadcast_tensors",
    "broadcast_shapes",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "hstack",
    "vstack",
    "dstack",
    "column_stack",
    "row_stack",
    "tensor_split",
    "hsplit",
    "vsplit",
    "dsplit",
]


def _E(name: str) -> Any:  # noqa: N802 - an op of the table, looked up when called
    return EXPORTS[name]


def _int_list(v: Any) -> list:
    return [operator.index(i) for i in (v if isinstance(v, (list, tuple)) else (v,))]


def _tensors(args: tuple, who: str) -> list:
    """``f(a, b)`` and ``f([a, b])`` both mean the tensors a, b."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
    for i, t in enumerate(args):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{who}(): expected Tensor as element {i} in argument 0, but got "
                f"{type(t).__name__}; hint: wrap it with ndgrad.tensor(...)"
            )
    return list(args)


def _sequence(tensors: Any, who: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{who}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
            f"{type(tensors).__name__}; hint: pass a list, e.g. ndgrad.{who}([a, b])"
        )
    return _tensors((tensors,), who)


# --------------------------------------------------------------------------------------------
# meshgrid / broadcasting


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple:
    """Grids from 1-d tensors: output i varies along dim i (``indexing='ij'``) or, with
    ``'xy'``, the first two dims swapped (NumPy's default). Without ``indexing`` it is 'ij'
    with PyTorch's warning. The grids are expanded views.

    Example:
        >>> import ndgrad
        >>> xs, ys = ndgrad.meshgrid(ndgrad.arange(2.0), ndgrad.arange(3.0), indexing="ij")
        >>> ys
        tensor([[0., 1., 2.],
                [0., 1., 2.]])
    """
    ts = _tensors(tensors, "meshgrid")
    if not ts:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(
                "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                f"{list(t.shape)}"
            )
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    sizes = tuple(t.numel() for t in ts)
    k = len(ts)
    grids = [t.reshape(tuple(-1 if j == i else 1 for j in range(k))).expand(sizes)
             for i, t in enumerate(ts)]  # fmt: skip
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def broadcast_shapes(*shapes: Any) -> Size:
    """The shape that tensors of ``shapes`` broadcast to (PyTorch's rules and error)."""
    out: list = []
    for k, s in enumerate(shapes):
        s = tuple(_int_list(s))
        if len(s) > len(out):
            out = [1] * (len(s) - len(out)) + out
        for i in range(1, len(s) + 1):
            a, b = out[-i], s[-i]
            if b < 0:
                raise RuntimeError(
                    f"Trying to create tensor with negative dimension {b}: {list(s)}"
                )
            if a == 1:
                out[-i] = b
            elif b != 1 and a != b:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {b} at {-i}! Mismatching "
                    f"argument at index {k} had {s}; but expected shape should be broadcastable "
                    f"to {out}"
                )
    return Size(tuple(out))


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    """``input.expand(size)``: a broadcast view."""
    return input.expand(tuple(size))


def broadcast_tensors(*tensors: Any) -> tuple:
    """The tensors expanded to their common broadcast shape (views)."""
    ts = _tensors(tensors, "broadcast_tensors")
    shape = tuple(broadcast_shapes(*(tuple(t.shape) for t in ts)))
    return tuple(t.expand(shape) for t in ts)


# --------------------------------------------------------------------------------------------
# atleast_nd / hstack / vstack / dstack / column_stack / row_stack


def _atleast(shape_of: Any, tensors: tuple, who: str) -> Any:
    ts = _tensors(tensors, who)
    out = tuple(t if t.ndim >= shape_of.ndim else t.reshape(shape_of(t)) for t in ts)
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    return out[0] if single else out


class _Need:
    """The shape of a tensor raised to ``ndim`` dims, as PyTorch's atleast_nd."""

    def __init__(self, ndim: int) -> None:
        self.ndim = ndim

    def __call__(self, t: Tensor) -> tuple:
        s = tuple(t.shape)
        if self.ndim == 3 and len(s) == 2:
            return (*s, 1)
        if self.ndim == 3 and len(s) == 1:
            return (1, *s, 1)
        return (1,) * (self.ndim - len(s)) + s


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least 1 dim (0-d: shape (1,)); one tensor in, one out."""
    return _atleast(_Need(1), tensors, "atleast_1d")


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least 2 dims (1-d (n,): (1, n))."""
    return _atleast(_Need(2), tensors, "atleast_2d")


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least 3 dims (1-d (n,): (1, n, 1); 2-d (m, n): (m, n, 1))."""
    return _atleast(_Need(3), tensors, "atleast_3d")


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join horizontally: along dim 1, or dim 0 for 1-d tensors."""
    ts = atleast_1d(*_sequence(tensors, "hstack"))
    return _E("cat")(list(ts), 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join vertically: along dim 0 after ``atleast_2d``."""
    return _E("cat")(list(atleast_2d(*_sequence(tensors, "vstack"))), 0)


def row_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Alias of :func:`vstack`."""
    return _E("cat")(list(atleast_2d(*_sequence(tensors, "row_stack"))), 0)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 2 after ``atleast_3d``."""
    return _E("cat")(list(atleast_3d(*_sequence(tensors, "dstack"))), 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Join as columns: 0-d and 1-d tensors become columns (n, 1), then along dim 1."""
    ts = _sequence(tensors, "column_stack")
    return _E("cat")([t.reshape(-1, 1) if t.ndim <= 1 else t for t in ts], 1)


# --------------------------------------------------------------------------------------------
# tensor_split / hsplit / vsplit / dsplit: tuples of views (narrow).


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple:
    """Split into ``n`` near-equal pieces (the first ``size % n`` one longer), or at the given
    indices, along ``dim``: views of ``input``."""
    if input.ndim == 0:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    d = wrap_dim(dim, input.ndim)
    size = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        arr = np.asarray(_backend.to_numpy(ios._data))
        if arr.dtype.kind not in "iu":
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have an integral type"
            )
        if arr.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                f"one-dimensional tensor, but got a tensor with {arr.ndim} dims"
            )
        ios = int(arr) if arr.ndim == 0 else arr.tolist()
    if isinstance(ios, (list, tuple)):
        bounds = [0, *(min(max(operator.index(i) + (size if i < 0 else 0), 0), size) for i in ios),
                  size]  # fmt: skip
    else:
        n = operator.index(ios)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        bounds = [0]
        for i in range(n):
            bounds.append(bounds[-1] + q + (1 if i < r else 0))
    return tuple(input.narrow(d, a, max(b - a, 0)) for a, b in zip(bounds[:-1], bounds[1:]))


def _split_along(input: Tensor, ios: Any, dim: int, need: int, who: str) -> tuple:
    if input.ndim < need:
        raise RuntimeError(
            f"torch.{who} requires a tensor with at least {need} dimension, but got a tensor "
            f"with {input.ndim} dimensions!"
        )
    if not isinstance(ios, (list, tuple, Tensor)):
        n = operator.index(ios)
        size = input.shape[dim]
        if n == 0 or size % n:
            raise RuntimeError(
                f"torch.{who} attempted to split along dimension {dim}, but the size of the "
                f"dimension {size} is not divisible by the split_size {n}!"
            )
    return tensor_split(input, ios, dim)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """``tensor_split`` along dim 1 (dim 0 for 1-d); sections must divide the size."""
    dim = 1 if input.ndim >= 2 else 0
    return _split_along(input, indices_or_sections, dim, 1, "hsplit")


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """``tensor_split`` along dim 0 of a tensor with at least 2 dims."""
    return _split_along(input, indices_or_sections, 0, 2, "vsplit")


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple:
    """``tensor_split`` along dim 2 of a tensor with at least 3 dims."""
    return _split_along(input, indices_or_sections, 2, 3, "dsplit")


# --------------------------------------------------------------------------------------------
# The table: samples for the composites (tests/test_op_table.py), public names and methods.


class R:
    """A random float argument of this shape in a sample spec (other arguments are literal)."""

    def __init__(self, *shape: int) -> None:
        self.shape = shape


def _spec(*specs: tuple) -> Any:
    """Samples from ``(args, kwargs)`` specs, ``R(shape)`` in args drawn by ``rand``."""

    def gen(rng: np.random.Generator, dt: Any) -> list:
        return [
            Sample(tuple(rand(rng, a.shape, dt) if isinstance(a, R) else a for a in args), kw)
            for args, kw in specs
        ]

    return gen


def _reg(name: str, fn: Any, specs: tuple, ref: Any = None, **kw: Any) -> None:
    """Register composite ``name``; ``public`` (default ``fn``) is the exported function,
    ``method`` attaches it to Tensor. Every one is linear and takes complex (the template joins
    the outputs of one with several)."""
    public = kw.pop("public", fn)
    method = kw.pop("method", False)
    def_composite(name, fn, samples=_spec(*specs), ref=ref, export=public is fn, complex=True, **kw)
    TABLE[name].module = fn.__module__  # its family in docs/ops.md: fn's module, not this one
    EXPORTS[name] = public
    if method:
        attach_method(name, public)


_reg(
    "meshgrid",
    meshgrid,
    (
        ((R(2), R(3)), {"indexing": "ij"}),
        ((R(2), R(3)), {"indexing": "xy"}),
        ((R(), R(3)), {"indexing": "ij"}),
    ),
    lambda *a, indexing: tuple(np.meshgrid(*a, indexing=indexing)),
    outputs=("grid0", "grid1"),
)
_reg(
    "broadcast_to",
    broadcast_to,
    (((R(3, 1), (2, 3, 4)), {}), ((R(), (2,)), {})),
    np.broadcast_to,
    method=True,
)
_reg(
    "broadcast_tensors",
    broadcast_tensors,
    (((R(2, 1), R(3)), {}), ((R(), R(2, 2)), {})),
    lambda *a: tuple(np.broadcast_arrays(*a)),
    outputs=("tensor0", "tensor1"),
)
EXPORTS["broadcast_shapes"] = broadcast_shapes

# only inputs with fewer dims: a tensor with enough is returned as it is (no node)
_LOW = (((R(),), {}), ((R(3),), {}), ((R(2, 3),), {}))
_reg("atleast_1d", atleast_1d, _LOW[:1], np.atleast_1d)
_reg("atleast_2d", atleast_2d, _LOW[:2], np.atleast_2d)
_reg("atleast_3d", atleast_3d, _LOW, np.atleast_3d)

# The table's entry takes the tensors as separate arguments (so that the template can pass
# them); the public function takes one sequence, as PyTorch's.
_JOIN = (((R(3), R(3)), {}), ((R(2, 3), R(2, 3), R(2, 3)), {}), ((R(), R()), {}))
for _k, _f, _np in (
    ("hstack", hstack, np.hstack),
    ("vstack", vstack, np.vstack),
    ("row_stack", row_stack, np.vstack),
    ("dstack", dstack, np.dstack),
    ("column_stack", column_stack, np.column_stack),
):
    _reg(
        _k,
        lambda *ts, _f=_f: _f(list(ts)),
        _JOIN,
        lambda *a, _np=_np: _np(list(a)),
        torch=lambda *ts, _k=_k: getattr(__import__("torch"), _k)(list(ts)),
        public=_f,
    )

_reg(
    "tensor_split",
    tensor_split,
    (((R(7), 3), {}), ((R(3, 5), [1, -2], 1), {}), ((R(2, 4), [3, 1]), {"dim": 1})),
    lambda x, ios, dim=0: tuple(np.array_split(x, ios, axis=dim)),
    outputs=("piece0", "piece1", "piece2"),
    method=True,
)
_TWO = ("piece0", "piece1")
_reg(
    "hsplit",
    hsplit,
    (((R(3, 4), 2), {}), ((R(4), [1]), {})),
    lambda x, ios: tuple(np.hsplit(x, ios)),
    outputs=_TWO,
    method=True,
)
_reg(
    "vsplit",
    vsplit,
    (((R(4, 3), 2), {}), ((R(4, 3), [3]), {})),
    lambda x, ios: tuple(np.vsplit(x, ios)),
    outputs=_TWO,
    method=True,
)
_reg(
    "dsplit",
    dsplit,
    (((R(2, 2, 4), 2), {}),),
    lambda x, ios: tuple(np.dsplit(x, ios)),
    outputs=_TWO,
    method=True,
)
