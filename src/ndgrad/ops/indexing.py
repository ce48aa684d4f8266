"""Indexing: ``__getitem__`` (basic, integer-array, boolean), ``__setitem__``, gather, scatter_add,
index_select, masked_fill, take_along_dim.

PyTorch follows NumPy's indexing rules, so the key is checked and normalised here (PyTorch's errors,
a trailing ``...``) and then handed to the backend:

* a basic key (ints, slices, None, ``...``) gives a view: record ``getitem`` (``view=True``);
* a key with integer or boolean arrays gives a copy: record ``index``. Its gradient scatters ``g``
  into zeros and adds where an index repeats (``views.index_backward``, ``np.add.at``).

``x[idx] = v`` writes into ``x``'s memory. When grad is recorded it gives ``x`` a ``CopySlices``
node with inputs (old x, v): the gradient of old x is ``g`` with the region zeroed, that of ``v``
is ``g[idx]`` (summed back to v's shape by the engine). An in-place op on a view (``y[0].mul_(2)``,
``y[0] += 1``) records the same node on the view's root. See Note [Views and in-place writes] in
views.py.

Backends: the array API has no scatter-add and array-api-strict allows integer-array keys only in
a narrow form, so integer-array and mixed boolean keys on backends other than NumPy and CuPy take a
host round trip through NumPy (``views.assign``); basic keys stay native everywhere.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.tensor import Tensor
from .elementwise import where
from .registry import (
    EXPORTS,
    TABLE,
    Sample,
    apply,
    apply_inplace,
    attach_method,
    def_op,
    to_tensor,
)
from .samples import rand
from .shape import wrap_dim
from .views import _copy, _view_op, assign, index_backward, write

_PY_SCALARS = (bool, int, float, complex)

# --------------------------------------------------------------------------------------------
# The key.


def _bad_index(item: Any) -> IndexError:
    return IndexError(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
        f"valid indices (got {type(item).__name__})"
    )


def _index_array(a: np.ndarray) -> np.ndarray:
    k = a.dtype.kind
    if k == "b":
        return a
    if k == "u" and a.dtype.itemsize == 1:
        warnings.warn(
            "indexing with dtype uint8 is now deprecated, please use a dtype bool instead.",
            UserWarning,
            stacklevel=4,
        )
        return a.astype(bool)
    if k in "iu":
        return a.astype(np.int64, copy=False)
    raise IndexError(
        "tensors used as indices must be long, int, byte or bool tensors; hint: convert the "
        "index with .long() (positions) or compare to get a bool mask"
    )


def _convert(item: Any) -> Any:
    """One element of a key: an int, a slice, None, ..., a Python bool or a NumPy index array."""
    if item is None or item is Ellipsis:
        return item
    if isinstance(item, Tensor):
        return _index_array(np.asarray(_backend.to_numpy(item._data)))
    if isinstance(item, bool):
        return item
    if isinstance(item, slice):
        start, stop, step = (
            None if v is None else operator.index(v) for v in (item.start, item.stop, item.step)
        )
        if step is not None and step <= 0:
            raise ValueError("step must be greater than zero")
        return slice(start, stop, step)
    if isinstance(item, np.bool_):
        return bool(item)
    if isinstance(item, np.ndarray):
        return _index_array(item)
    if isinstance(item, (list, tuple)):
        a = np.asarray(item)
        if a.size == 0 and a.dtype.kind == "f":
            a = a.astype(np.int64)
        if a.dtype.kind not in "biu":
            raise _bad_index(item[0] if len(item) else item)
        return _index_array(a)
    if _backend.is_array(item):
        return _index_array(np.asarray(_backend.to_numpy(item)))
    try:
        return operator.index(item)
    except TypeError:
        raise _bad_index(item) from None


def _as_tuple(key: Any) -> tuple:
    if isinstance(key, tuple):
        return key
    if isinstance(key, list) and len(key) < 32:
        for item in key:
            if (
                isinstance(item, (Tensor, list, tuple, np.ndarray, slice))
                or item is None
                or item is Ellipsis
            ):
                warnings.warn(
                    "Using a non-tuple sequence for multidimensional indexing is deprecated "
                    "and will be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. "
                    "In pytorch 2.9 this will be interpreted as tensor index, "
                    "x[torch.tensor(seq)], which will result either in an error or a different "
                    "result",
                    UserWarning,
                    stacklevel=4,
                )
                return tuple(key)
    return (key,)


def parse_key(key: Any, shape: tuple) -> tuple[tuple, bool]:
    """Check ``key`` against ``shape`` with PyTorch's errors; return (normalised key, advanced).

    The normalised key holds ints, slices, None, one ``...`` (appended when absent, which the
    array API asks for) and NumPy arrays (int64 or bool).
    """
    items = [_convert(k) for k in _as_tuple(key)]
    ndim = len(shape)
    consumed = 0
    n_ellipsis = 0
    advanced = False
    for k in items:
        if k is Ellipsis:
            n_ellipsis += 1
        elif k is None:
            continue
        elif isinstance(k, bool):
            advanced = True
        elif isinstance(k, np.ndarray):
            advanced = True
            consumed += k.ndim if k.dtype.kind == "b" else 1
        else:
            consumed += 1
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim:
        if ndim == 0:
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    dim = 0
    for k in items:
        if k is Ellipsis:
            dim += ndim - consumed
        elif k is None or isinstance(k, bool):
            continue
        elif type(k) is int:
            size = shape[dim]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {size}")
            dim += 1
        elif isinstance(k, slice):
            dim += 1
        elif k.dtype.kind == "b":
            for j, (m, s) in enumerate(zip(k.shape, shape[dim : dim + k.ndim], strict=True)):
                if m != s:
                    raise IndexError(
                        f"The shape of the mask {list(k.shape)} at index {j} does not match the "
                        f"shape of the indexed tensor {list(shape)} at index {dim + j}"
                    )
            dim += k.ndim
        else:
            size = shape[dim]
            if k.size:
                hi, lo = int(k.max()), int(k.min())
                if hi >= size or lo < -size:
                    bad = hi if hi >= size else lo
                    raise IndexError(
                        f"index {bad} is out of bounds for dimension {dim} with size {size}"
                    )
            dim += 1
    if not n_ellipsis:
        items.append(Ellipsis)
    return tuple(items), advanced


# --------------------------------------------------------------------------------------------
# getitem: a view for basic keys, a copy for advanced ones.


def _getitem_vjp(g: Tensor, ans: Any, x: Any, *, idx: tuple) -> Tensor:
    return index_backward(g, shape=tuple(x.shape), idx=idx)


def _torch_key(idx: tuple) -> tuple:
    import torch

    return tuple(torch.from_numpy(k) if isinstance(k, np.ndarray) else k for k in idx)


_getitem_op = def_op(
    "getitem",
    complex=True,  # linear: no conjugation
    forward=lambda xp, x, *, idx: x[idx],
    vjp=_getitem_vjp,
    jvp="linear",
    params=(("idx", None),),
    save=None,
    view=True,
    method=False,
    export=False,
    backward_name="SliceBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (3, 4), dt),), {"idx": (1, Ellipsis)}),
        Sample((rand(rng, (3, 4), dt),), {"idx": (-1, slice(None, None, 2), Ellipsis)}),
        Sample((rand(rng, (3, 4), dt),), {"idx": (None, slice(0, 2), Ellipsis, None)}),
        Sample((rand(rng, (2, 3, 4), dt),), {"idx": (Ellipsis, slice(1, 3))}),
        Sample((rand(rng, (2, 3, 4), dt),), {"idx": (0, -2, 3, Ellipsis)}),
    ],
    ref=lambda x, idx: x[idx],
    torch=lambda x, idx: x[_torch_key(idx)],
    doc="``x[idx]`` for a basic key (a view). The gradient is ``g`` placed in zeros.",
)


def _index_fwd(xp: Any, x: Any, *, idx: tuple) -> Any:
    if xp is np:
        return x[idx]
    if _backend.backend_name(xp).startswith("cupy"):  # pragma: no cover - needs a GPU
        return x[tuple(xp.asarray(k) if isinstance(k, np.ndarray) else k for k in idx)]
    return _backend.asarray(xp, np.asarray(_backend.to_numpy(x)[idx]))


def _index_samples(rng: np.random.Generator, dt: Any) -> list:
    mask = np.array(
        [[True, False, True], [False, False, True], [True, True, False], [False, False, False]]
    )
    return [
        Sample(
            (rand(rng, (4, 3), dt),),
            {"idx": (np.array([0, 2, 0, 3, 0]), Ellipsis)},
            name="repeated rows",
        ),
        Sample((rand(rng, (4, 3), dt),), {"idx": (slice(None), np.array([[2, 2], [0, 1]]))}),
        Sample(
            (rand(rng, (4, 3), dt),), {"idx": (np.array([0, 1, 1]), np.array([1, 1, 2]), Ellipsis)}
        ),
        Sample((rand(rng, (4, 3), dt),), {"idx": (mask, Ellipsis)}, name="mask"),
        Sample((rand(rng, (4, 3), dt),), {"idx": (mask[:, 2], Ellipsis)}, name="row mask"),
        Sample(
            (rand(rng, (2, 3, 4), dt),),
            {"idx": (np.array([0, 1, 1]), slice(None), np.array([3, 0, 3]), Ellipsis)},
            name="separated",
        ),
        Sample((rand(rng, (4, 3), dt),), {"idx": (np.array(-1), None, Ellipsis)}),
    ]


_index_op = def_op(
    "index",
    complex=True,  # linear: no conjugation
    forward=_index_fwd,
    vjp=_getitem_vjp,
    jvp="linear",
    params=(("idx", None),),
    save=None,
    method=False,
    export=False,
    backward_name="IndexBackward0",
    samples=_index_samples,
    ref=lambda x, idx: x[idx],
    torch=lambda x, idx: x[_torch_key(idx)],
    doc="``x[idx]`` with integer or boolean arrays (a copy). The gradient scatters ``g`` into "
    "zeros, adding where an index repeats.",
)


_INDEX = TABLE["index"]


def getitem(self: Tensor, key: Any) -> Tensor:
    """``x[key]`` with PyTorch's (NumPy's) rules: ints, slices, None, ``...``, int/bool arrays.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> x[[0, 0, 2]].sum().backward()
        >>> x.grad
        tensor([2., 0., 1.])
    """
    if type(key) is int:  # the common x[i]: a select
        shape = self._data.shape
        if not shape:
            parse_key(key, ())  # raises PyTorch's error for a 0-d tensor
        size = shape[0]
        if not -size <= key < size:
            raise IndexError(f"index {key} is out of bounds for dimension 0 with size {size}")
        return _view_op(TABLE["select"], self, {"dim": 0, "index": key % size})
    idx, advanced = parse_key(key, tuple(self._data.shape))
    if advanced:
        return apply(_INDEX, (self,), {"idx": idx})
    dim = _select_dim(idx)
    if dim is not None:  # x[:, i]: a select, as PyTorch names it
        return _view_op(TABLE["select"], self, {"dim": dim, "index": idx[dim] % self.shape[dim]})
    return _view_op(TABLE["getitem"], self, {"idx": idx})


_FULL = slice(None)


def _select_dim(idx: tuple) -> int | None:
    """``d`` when the key is ``(:, ..., :, i, ...)`` with ``i`` at position ``d``."""
    for d, k in enumerate(idx):
        if type(k) is int:
            return d if idx[d + 1 :] == (Ellipsis,) else None
        if k != _FULL:
            return None
    return None


# --------------------------------------------------------------------------------------------
# setitem: the write itself (CopySlices, in-place ops through views) is views.write.


def setitem(self: Tensor, key: Any, value: Any) -> None:
    """``x[key] = value``: write in place (``value`` broadcasts to the region).

    With grad recorded, ``x`` gets a CopySlices node: d/dx_old = g with the region zeroed,
    d/dvalue = g[key] summed to value's shape.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.tensor(2.0, requires_grad=True)
        >>> x = ndgrad.zeros(3)
        >>> x[1:] = w * 3
        >>> x.sum().backward()
        >>> w.grad
        tensor(6.)
    """
    idx, advanced = parse_key(key, tuple(self._data.shape))
    path = (("index" if advanced else "getitem", {"idx": idx}),)
    write(self, path, value, advanced)


# --------------------------------------------------------------------------------------------
# gather / scatter_add / index_select / take_along_dim / masked_fill.


def _gather_key(index: Any, dim: int, ndim: int) -> tuple:
    """The advanced key that picks what ``gather(x, dim, index)`` picks: ``x[key]``."""
    ia = np.asarray(_backend.to_numpy(index._data if isinstance(index, Tensor) else index))
    if ndim == 0:
        return (Ellipsis,)
    d = dim % ndim
    key = []
    for i, s in enumerate(ia.shape):
        if i == d:
            key.append(ia.astype(np.int64, copy=False))
        else:
            key.append(np.arange(s).reshape([-1 if j == i else 1 for j in range(ia.ndim)]))
    return (*key, Ellipsis)


def _gather_fwd(xp: Any, x: Any, index: Any, *, dim: int) -> Any:
    if x.ndim == 0:
        return x[...]
    d = dim % x.ndim
    key = tuple(slice(None) if i == d else slice(0, s) for i, s in enumerate(index.shape))
    return xp.take_along_axis(x[(*key, Ellipsis)], index, axis=d)


def _gather_vjp(g: Tensor, ans: Any, x: Any, index: Tensor, *, dim: int) -> Tensor:
    return index_backward(g, shape=tuple(x.shape), idx=_gather_key(index, dim, x.ndim))


_gather = def_op(
    "gather",
    complex=True,  # linear: no conjugation
    forward=_gather_fwd,
    vjp=(_gather_vjp, None),
    jvp="linear",
    inputs=("input", "index"),
    params=(("dim", 0),),
    save=(1,),
    method=False,
    export=False,
    backward_name="GatherBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (3, 4), dt), np.array([[0, 2, 2, 1], [1, 1, 0, 0]])), {"dim": 0}),
        Sample((rand(rng, (3, 4), dt), np.array([[3, 3], [0, 1], [2, 2]])), {"dim": -1}),
        Sample(
            (rand(rng, (3, 4, 2), dt), np.array([[[1], [0]], [[2], [2]]])),
            {"dim": 0},
            name="index smaller than input",
        ),
    ],
    ref=lambda x, index, dim: np.take_along_axis(
        x[
            tuple(
                slice(None) if i == dim % x.ndim else slice(0, s) for i, s in enumerate(index.shape)
            )
        ],
        index,
        axis=dim,
    ),
    torch=lambda x, index, dim: __import__("torch").gather(x, dim, index),
    doc="``out[i][j] = input[index[i][j]][j]`` (dim 0). The gradient scatter-adds ``g``.",
)


def _int_index(index: Any, who: str) -> Tensor:
    index = to_tensor(index)
    if index.dtype not in (_dt.int64, _dt.int32):
        raise RuntimeError(
            f"{who}(): Expected dtype int32/int64 for index; hint: convert it with .long()"
        )
    return index


def _check_gather_index(input: Tensor, dim: int, index: Tensor, who: str) -> int:
    n = input.ndim
    if index.ndim != n and not (index.ndim <= 1 and n <= 1):
        raise RuntimeError(
            f"Index tensor must have the same number of dimensions as input tensor; hint: "
            f"input is {n}-d, index is {index.ndim}-d"
        )
    d = wrap_dim(dim, n)
    if n == 0:
        return d
    ishape, xshape = tuple(index.shape), tuple(input.shape)
    for i in range(n):
        if i != d and ishape[i] > xshape[i]:
            raise RuntimeError(
                f"Size does not match at dimension {i} expected index {list(ishape)} to be no "
                f"larger than self {list(xshape)} apart from dimension {d}"
            )
    if index.numel():
        ia = _backend.to_numpy(index._data)
        hi, lo = int(ia.max()), int(ia.min())
        size = xshape[d]
        if hi >= size or lo < 0:
            raise RuntimeError(
                f"index {hi if hi >= size else lo} is out of bounds for dimension {d} with size "
                f"{size}"
            )
    return d


def gather(input: Tensor, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:
    """Values of ``input`` along ``dim`` at ``index``: ``out[i][j] = input[index[i][j]][j]``.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> ndgrad.gather(x, 1, ndgrad.tensor([[0, 0], [1, 0]]))
        tensor([[1., 1.],
                [4., 3.]])
    """
    index = _int_index(index, "gather")
    d = _check_gather_index(input, dim, index, "gather")
    return apply(TABLE["gather"], (input, index), {"dim": d})


def _prefix_key(shape: tuple) -> tuple:
    return (*(slice(0, s) for s in shape), Ellipsis)


def _scatter_add_fwd(xp: Any, x: Any, index: Any, src: Any, *, dim: int) -> Any:
    out = _copy(xp, x)
    if x.ndim == 0:
        return out + src
    part = src[_prefix_key(tuple(index.shape))]
    return assign(xp, out, _gather_key(index, dim, x.ndim), part, accumulate=True)


def _scatter_add_src_vjp(
    g: Tensor, ans: Any, x: Any, index: Tensor, src: Any, *, dim: int
) -> Tensor:
    r = _gather(g, index, dim=dim)
    if tuple(src.shape) != tuple(index.shape):
        r = index_backward(r, shape=tuple(src.shape), idx=_prefix_key(tuple(index.shape)))
    return r


_scatter_add = def_op(
    "scatter_add",
    complex=True,  # linear: no conjugation
    forward=_scatter_add_fwd,
    vjp=(lambda g, ans, x, index, src, *, dim: g, None, _scatter_add_src_vjp),
    jvp="linear",
    inputs=("input", "index", "src"),
    params=(("dim", 0),),
    save=(1,),
    promote=None,
    method=False,
    export=False,
    backward_name="ScatterAddBackward0",
    samples=lambda rng, dt: [
        Sample(
            (rand(rng, (3, 4), dt), np.array([[0, 2, 2, 1], [0, 0, 0, 0]]), rand(rng, (2, 4), dt)),
            {"dim": 0},
        ),
        Sample(
            (rand(rng, (3, 4), dt), np.array([[3, 3], [0, 1], [2, 2]]), rand(rng, (3, 2), dt)),
            {"dim": -1},
        ),
    ],
    ref=lambda x, index, src, dim: _scatter_add_fwd(np, x, index, src, dim=dim),
    torch=lambda x, index, src, dim: __import__("torch").scatter_add(x, dim, index, src),
    doc="``input`` plus ``src`` added at ``index`` along ``dim`` (repeats add up).",
)


def scatter_add(input: Tensor, dim: int, index: Any, src: Tensor) -> Tensor:
    """``input`` with ``src[i][j]`` added at ``[index[i][j]][j]`` (dim 0); repeats add up."""
    index = _int_index(index, "scatter_add")
    d = _check_gather_index(input, dim, index, "scatter_add")
    return apply(TABLE["scatter_add"], (input, index, src), {"dim": d})


def _scatter_add_(self: Tensor, dim: int, index: Any, src: Tensor) -> Tensor:
    index = _int_index(index, "scatter_add_")
    d = _check_gather_index(self, dim, index, "scatter_add_")
    return apply_inplace(_scatter_add_op, self, (index, src), {"dim": d})


_scatter_add_op = TABLE["scatter_add"]


def _index_select_key(index: Any, dim: int, ndim: int) -> tuple:
    ia = np.asarray(_backend.to_numpy(index._data if isinstance(index, Tensor) else index))
    return (*(slice(None),) * (dim % ndim), ia.reshape(-1).astype(np.int64, copy=False), Ellipsis)


def _index_select_fwd(xp: Any, x: Any, index: Any, *, dim: int) -> Any:
    return xp.take(x, xp.reshape(index, (-1,)), axis=dim % x.ndim)


_index_select = def_op(
    "index_select",
    complex=True,  # linear: no conjugation
    forward=_index_select_fwd,
    vjp=(
        lambda g, ans, x, index, *, dim: index_backward(
            g, shape=tuple(x.shape), idx=_index_select_key(index, dim, x.ndim)
        ),
        None,
    ),
    jvp="linear",
    inputs=("input", "index"),
    params=(("dim", 0),),
    save=(1,),
    method=False,
    export=False,
    backward_name="IndexSelectBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (4, 3), dt), np.array([0, 3, 0])), {"dim": 0}),
        Sample((rand(rng, (2, 3, 4), dt), np.array([2, 2, 1])), {"dim": -1}),
        Sample((rand(rng, (3,), dt), np.array(1)), {"dim": 0}),
    ],
    ref=lambda x, index, dim: np.take(x, np.reshape(index, -1), axis=dim),
    torch=lambda x, index, dim: __import__("torch").index_select(x, dim, index),
    doc="The slices at ``index`` (a vector) along ``dim``. The gradient adds ``g`` back.",
)


def index_select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The slices of ``input`` at positions ``index`` (a vector) along ``dim`` (a copy)."""
    index = to_tensor(index)
    if index.dtype not in (_dt.int64, _dt.int32):
        raise RuntimeError(
            "index_select(): Expected dtype int32 or int64 for index; hint: convert it with .long()"
        )
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if input.ndim == 0:
        raise IndexError(
            "index_select() on a 0-d tensor is not supported; hint: reshape it to 1-d first"
        )
    d = wrap_dim(dim, input.ndim)
    if index.numel():
        ia = _backend.to_numpy(index._data)
        if int(ia.max()) >= input.shape[d] or int(ia.min()) < -input.shape[d]:
            raise IndexError(
                f"index out of range in self; hint: dimension {d} has size {input.shape[d]}"
            )
    return apply(TABLE["index_select"], (input, index), {"dim": d})


def take_along_dim(input: Tensor, indices: Any, dim: int | None = None) -> Tensor:
    """Values of ``input`` at ``indices`` along ``dim`` (both broadcast except along ``dim``);
    with ``dim=None`` both are flattened first. A composite of expand and gather."""
    indices = _int_index(indices, "take_along_dim")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if input.ndim != indices.ndim:
        raise RuntimeError(
            f"torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {input.ndim} dimensions for input, and {indices.ndim} "
            "dimensions for indices"
        )
    d = wrap_dim(dim, input.ndim)
    xs, ids = list(input.shape), list(indices.shape)
    xs[d] = ids[d] = 1
    b = list(np.broadcast_shapes(tuple(xs), tuple(ids)))
    xb, ib = list(b), list(b)
    xb[d], ib[d] = input.shape[d], indices.shape[d]
    return gather(input.expand(tuple(xb)), d, indices.expand(tuple(ib)))


def _masked_fill_fwd(xp: Any, x: Any, mask: Any, value: Any) -> Any:
    if isinstance(value, _PY_SCALARS):
        v = np.asarray(value, dtype=x.dtype) if xp is np else xp.asarray(value, dtype=x.dtype)
    else:
        v = _backend.backend(xp).astype(value, x.dtype)
    return xp.where(mask, v, x)


_masked_fill = def_op(
    "masked_fill",
    complex=True,  # linear: no conjugation
    forward=_masked_fill_fwd,
    vjp=(
        lambda g, ans, x, mask, value: where(mask, 0.0, g),
        None,
        lambda g, ans, x, mask, value: where(mask, g, 0.0),
    ),
    jvp="linear",
    inputs=("input", "mask", "value"),
    save=(1,),
    method=False,
    export=False,
    backward_name="MaskedFillBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt), rng.random((2, 3)) > 0.5, 0.25)),
        Sample(
            (rand(rng, (2, 3), dt), rng.random((3,)) > 0.5, rand(rng, (), dt)),
            name="tensor value, broadcast mask",
        ),
        Sample((rand(rng, (3,), dt), rng.random((2, 3)) > 0.5, -1.0), name="broadcast input"),
    ],
    ref=lambda x, mask, value: np.where(mask, np.asarray(value, dtype=x.dtype), x),
    doc="``value`` where ``mask`` is True, else ``input``. d/dinput = g off the mask, "
    "d/dvalue = sum of g on the mask.",
)


def _check_mask(mask: Any, value: Any) -> tuple:
    mask = to_tensor(mask)
    if mask.dtype is not _dt.bool_:
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype.name}"
            "; hint: compare to make a mask, e.g. x > 0"
        )
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(
            "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value.ndim} dimension(s)."
        )
    return mask, value


def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:
    """``value`` where the boolean ``mask`` is True, ``input`` elsewhere (dtype of ``input``).

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([1.0, -2.0, 3.0])
        >>> x.masked_fill(x < 0, 0.0)
        tensor([1., 0., 3.])
    """
    mask, value = _check_mask(mask, value)
    return apply(_MASKED_FILL, (input, mask, value))


def _masked_fill_(self: Tensor, mask: Any, value: Any) -> Tensor:
    mask, value = _check_mask(mask, value)
    return apply_inplace(_MASKED_FILL, self, (mask, value))


_MASKED_FILL = TABLE["masked_fill"]

# --------------------------------------------------------------------------------------------
# Public names and Tensor methods.

attach_method("__getitem__", getitem)
attach_method("__setitem__", setitem)
for _name, _fn in (
    ("gather", gather),
    ("scatter_add", scatter_add),
    ("index_select", index_select),
    ("take_along_dim", take_along_dim),
    ("masked_fill", masked_fill),
):
    attach_method(_name, _fn)
    EXPORTS[_name] = _fn
attach_method("scatter_add_", _scatter_add_)
attach_method("masked_fill_", _masked_fill_)

__all__ = sorted(k for k in EXPORTS)
