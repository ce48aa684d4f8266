"""Batched tensors: the values ``vmap`` passes to the function it maps.

Note [Batched tensors]
~~~~~~~~~~~~~~~~~~~~~~
``vmap(f)(x)`` calls ``f`` once, on a ``BatchedTensor``: a tensor that looks like one entry of the
batch (its ``shape`` has no batch dim) and holds the whole batch in ``_value``, a tensor whose dim
0 is the batch. Each ``vmap`` opens a *level*; a tensor batched at several levels nests one
wrapper per level, the highest level outermost (``_value`` of a level-2 wrapper is a level-1
wrapper), so the physical array's leading dims are the batch dims, outermost ``vmap`` first.

An op called on a BatchedTensor never reaches its forward: dispatch (``ops/dispatch.py``) hands
it to the op's batching rule (``ops/batching.py``), which unwraps the highest level, calls the
ordinary op on the values with the dims shifted past the batch dim, and wraps the result. An op
without a rule runs once per batch entry (a loop, with a warning naming the op). Autograd and
forward-mode AD record on the values, never on the wrappers: the rules keep the entries apart,
so the gradient of the batch's sum is each entry's gradient (what ``vmap(grad(f))`` returns).

``_data`` of a wrapper is a ``_Meta``: the logical shape and dtype, so the public functions'
shape checks see the shapes the user's function sees, and no values: code that reads them in
Python (``item``, ``bool``, ``nonzero``, ``masked_select``: data-dependent shapes) raises, as in
PyTorch, instead of computing with values that are not there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = [
    "BatchedTensor",
    "wrap",
    "LEVELS",
    "VMAP",
    "RANDOM_ERROR",
    "random_batch",
    "randomness_of",
]

# VMAP[0]: the number of open vmap levels (dispatch reads this one cell on its slow path only).
VMAP = [0]
# The open levels, innermost last: (level, batch size, randomness).
LEVELS: list[tuple[int, int, str]] = []

_new = object.__new__


class VmapDataError(RuntimeError):
    """Python code read the values of a batched tensor (See Note [Batched tensors])."""


class BatchedTensor(Tensor):
    """One entry's view of a batch: see Note [Batched tensors]."""

    __slots__ = ("_value", "_level", "_bsize")

    @property
    def requires_grad(self) -> bool:  # type: ignore[override]
        return self._value.requires_grad

    @property
    def data(self) -> Tensor:  # type: ignore[override]
        return wrap(self._value.data, self._level, self._bsize)

    @property
    def grad_fn(self) -> Any:  # type: ignore[override]
        return None

    def detach(self) -> Tensor:
        return wrap(self._value.detach(), self._level, self._bsize)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self._value.requires_grad_(requires_grad)
        return self

    def contiguous(self, memory_format: Any = None) -> Tensor:
        return self

    def __repr__(self) -> str:
        return f"BatchedTensor(lvl={self._level}, bdim=0, value=\n{self._value!r}\n)"

    def _refuse(self, what: str) -> Any:
        raise VmapDataError(
            f"vmap: It looks like you're calling {what} on a Tensor. We don't support vmap over "
            f"calling {what} on a Tensor, please try to rewrite what you're doing with other "
            "operations; hint: a batched value has no single Python value (keep it a tensor, "
            "e.g. ndgrad.where instead of if)"
        )

    def item(self) -> Any:
        return self._refuse(".item()")

    def tolist(self) -> Any:
        return self._refuse(".tolist()")

    def numpy(self, *, force: bool = False) -> np.ndarray:
        return self._refuse(".numpy()")

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return self._refuse("np.asarray()")

    def __bool__(self) -> bool:
        return self._refuse("bool()")

    def __float__(self) -> float:
        return self._refuse("float()")

    def __int__(self) -> int:
        return self._refuse("int()")

    def __index__(self) -> int:
        return self._refuse("index()")

    def backward(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        raise RuntimeError(
            "backward() called inside a functorch transform. This is not supported, please use "
            "functorch.grad or functorch.vjp instead or call backward() outside of functorch "
            "transforms; hint: inside vmap use ndgrad.func.grad(f) or ndgrad.func.vjp"
        )


class _Meta:
    """A batched tensor's ``_data``: the logical shape and dtype, and no values to read."""

    __slots__ = ("shape", "dtype", "ndim", "size")

    def __init__(self, shape: tuple, dtype: Any) -> None:
        self.shape = shape
        self.dtype = dtype
        self.ndim = len(shape)
        n = 1
        for s in shape:
            n *= s
        self.size = n

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise VmapDataError(
            "vmap: this operation reads the values of a batched tensor in Python (a "
            "data-dependent result, e.g. masked_select, nonzero, unique or boolean indexing), "
            "which vmap does not support; hint: use ndgrad.where or a fixed-shape op instead, "
            "or loop over the batch"
        )

    __array__ = __getitem__ = __iter__ = __bool__ = __float__ = __int__ = __index__ = _refuse
    astype = reshape = tolist = item = copy = _refuse

    def __getattr__(self, name: str) -> Any:
        return self._refuse()


RANDOM_ERROR = (
    "vmap: called random operation while in randomness error mode. Please either use the "
    "'same' or 'different' randomness flags on vmap or perform the randomness operation out of "
    "vmap"
)


def random_batch() -> tuple[int, int] | None:
    """What a random op that meets no batched tensor does inside ``vmap``: raise
    (``randomness="error"``), draw once for every entry (``"same"``: returns None) or draw one
    sample per entry (``"different"``: returns the innermost ``(level, size)`` to batch at)."""
    if not LEVELS:
        return None
    level, size, mode = LEVELS[-1]
    if mode == "error":
        raise RuntimeError(RANDOM_ERROR)
    return (level, size) if mode == "different" else None


def randomness_of(level: int) -> str:
    """The ``randomness`` of vmap level ``level``; raises in ``"error"`` mode."""
    mode = next(m for lvl, _, m in LEVELS if lvl == level)
    if mode == "error":
        raise RuntimeError(RANDOM_ERROR)
    return mode


def wrap(value: Tensor, level: int, size: int) -> BatchedTensor:
    """``value`` (dim 0 the batch, of ``size`` entries) as a tensor batched at ``level``."""
    t = _new(BatchedTensor)
    d = value._data
    t._data = _Meta(tuple(d.shape[1:]), d.dtype)
    t._grad = None
    t._requires_grad = False
    t._node = None
    t._vc = None
    t._base = None
    t._ext = None
    t._value = value
    t._level = level
    t._bsize = size
    return t


def level_of(x: Any) -> int:
    """The highest level ``x`` is batched at (0: not batched)."""
    return x._level if type(x) is BatchedTensor else 0


def physical(x: Tensor) -> tuple[Tensor, list[tuple[int, int]]]:
    """The plain tensor under every wrapper of ``x`` and its levels, outermost wrapper first."""
    levels = []
    while type(x) is BatchedTensor:
        levels.append((x._level, x._bsize))
        x = x._value
    return x, levels


def rewrap(p: Tensor, levels: list[tuple[int, int]]) -> Tensor:
    """Undo :func:`physical`: wrap ``p`` at ``levels`` (outermost wrapper first)."""
    for level, size in reversed(levels):
        p = wrap(p, level, size)
    return p
