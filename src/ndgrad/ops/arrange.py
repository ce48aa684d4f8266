"""Rearranging and combining tensors: roll, rot90, diff, tile, kron, block_diag, diagonal, ... .

``diagonal`` (a view, so writes through it reach its base) and ``diag_embed`` are records; the
rest are composites of differentiable ops (index_select, cat, reshape, expand, flip, matmul...),
so their gradients, and higher orders, are those of the ops they call. Index arguments
(``take``'s index, ``repeat_interleave``'s repeats, ``masked_select``'s mask) are never
differentiated. Stacking, splitting, meshgrid and broadcasting are in ``stacking``, with the
helpers and sample specs both modules use.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.tensor import Tensor, make
from .registry import EXPORTS, TABLE, Sample, attach_method, def_op, to_tensor
from .samples import rand
from .shape import wrap_dim
from .stacking import (
    _E,
    R,
    _int_list,
    _reg,
    _tensors,
    broadcast_shapes,
    meshgrid,
)
from .views import _view_op

__all__ = [
    "diagonal",
    "diag_embed",
    "diagflat",
    "take",
    "masked_select",
    "roll",
    "rot90",
    "diff",
    "tile",
    "repeat_interleave",
    "block_diag",
    "cartesian_prod",
    "combinations",
    "tensordot",
    "kron",
]


def _index(like: Tensor, a: Any) -> Tensor:
    """An int64 index tensor on ``like``'s backend (constant: never differentiated)."""
    xp = _backend.namespace(like._data)
    return make(_backend.asarray(xp, np.asarray(a, dtype=np.int64)))


def _zeros(like: Tensor, shape: tuple) -> Tensor:
    xp = _backend.namespace(like._data)
    return make(xp.zeros(tuple(shape), dtype=like._data.dtype))


# --------------------------------------------------------------------------------------------
# diagonal (a view), its backward, diag_embed, diagflat.


def _diagonal_fwd(xp: Any, x: Any, *, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:
    n = x.ndim
    d1, d2 = dim1 % n, dim2 % n
    key = [slice(None)] * n
    if offset >= 0:
        key[d2] = slice(min(offset, x.shape[d2]), None)
    else:
        key[d1] = slice(min(-offset, x.shape[d1]), None)
    v = x[tuple(key)]
    others = [i for i in range(n) if i not in (d1, d2)]
    length = max(min(v.shape[d1], v.shape[d2]), 0)
    if xp is np:  # a view that may be written when x may (NumPy's np.diagonal is read-only)
        shape = (*(v.shape[i] for i in others), length)
        strides = (*(v.strides[i] for i in others), v.strides[d1] + v.strides[d2])
        return np.lib.stride_tricks.as_strided(v, shape, strides)
    return xp.linalg.diagonal(xp.permute_dims(v, (*others, d1, d2)))


def _diagonal_np(x: np.ndarray, offset: int = 0, dim1: int = 0, dim2: int = 1) -> np.ndarray:
    return np.diagonal(x, offset, dim1, dim2)


def _diag_scatter_fwd(
    xp: Any, g: Any, *, shape: tuple, offset: int = 0, dim1: int = 0, dim2: int = 1
) -> Any:
    """Zeros of ``shape`` with ``g`` on the diagonal (offset, dim1, dim2)."""
    host = np.asarray(_backend.to_numpy(g))
    out = np.zeros(shape, dtype=host.dtype)
    _diagonal_fwd(np, out, offset=offset, dim1=dim1, dim2=dim2)[...] = host
    return out if xp is np else _backend.asarray(xp, out)


def _diagonal_vjp(g: Tensor, ans: Any, x: Any, *, offset: int = 0, dim1: int = 0, dim2: int = 1):
    return _diagonal_backward(g, shape=tuple(x.shape), offset=offset, dim1=dim1, dim2=dim2)


_diagonal = def_op(
    "diagonal",
    complex=True,  # linear: no conjugation
    forward=_diagonal_fwd,
    vjp=_diagonal_vjp,
    jvp="linear",
    params=(("offset", 0), ("dim1", 0), ("dim2", 1)),
    save=None,
    view=True,
    method=False,
    export=False,
    backward_name="DiagonalBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (3, 3), dt),)),
        Sample((rand(rng, (3, 4), dt),), {"offset": 1}),
        Sample((rand(rng, (4, 3), dt),), {"offset": -2}),
        Sample((rand(rng, (2, 3, 4), dt),), {"offset": 0, "dim1": -1, "dim2": 0}),
        Sample((rand(rng, (2, 3), dt),), {"offset": 5}, name="empty"),
    ],
    ref=_diagonal_np,
    doc="The diagonal of the 2-d planes (dim1, dim2), shifted by ``offset``, as the last dim "
    "(a view: writes through it reach the input). The gradient writes g on that diagonal.",
)


_diagonal_backward = def_op(
    "_diagonal_backward",
    complex=True,  # linear: no conjugation
    forward=_diag_scatter_fwd,
    vjp=lambda g, ans, x, *, shape, offset=0, dim1=0, dim2=1: _diagonal(
        g, offset=offset, dim1=dim1, dim2=dim2
    ),
    jvp="linear",
    params=(("shape", None), ("offset", 0), ("dim1", 0), ("dim2", 1)),
    save=None,
    method=False,
    export=False,
    backward_name="DiagonalBackwardBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (3,), dt),), {"shape": (3, 4), "offset": 1}),
        Sample((rand(rng, (2, 2), dt),), {"shape": (2, 3, 2), "dim1": 1, "dim2": -1}),
    ],
    ref=lambda g, shape, offset=0, dim1=0, dim2=1: _diag_scatter_fwd(
        np, g, shape=shape, offset=offset, dim1=dim1, dim2=dim2
    ),
    torch=False,
    doc="Zeros of ``shape`` with ``g`` on the diagonal: diagonal's vjp (its transpose).",
)


def _check_diag_dims(ndim: int, dim1: int, dim2: int, who: str, extra: int = 0) -> tuple:
    d1, d2 = wrap_dim(dim1, ndim, extra), wrap_dim(dim2, ndim, extra)
    if d1 == d2:
        raise RuntimeError(
            f"diagonal dimensions cannot be identical {dim1}, {dim2}; hint: {who}() needs two "
            "different dims"
        )
    return d1, d2


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal of each (dim1, dim2) plane, ``offset`` above (>0) or below (<0)
    the main one, as the last dim. d/dx: g written on that diagonal of zeros.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.zeros(3, 3)
        >>> x.diagonal().fill_(1.0)
        tensor([1., 1., 1.])
        >>> x
        tensor([[1., 0., 0.],
                [0., 1., 0.],
                [0., 0., 1.]])
    """
    if input.ndim < 2:
        raise RuntimeError(
            f"diagonal(): the input must have at least 2 dimensions, but got {input.ndim}; "
            "hint: use ndgrad.diag for a vector"
        )
    d1, d2 = _check_diag_dims(input.ndim, dim1, dim2, "diagonal")
    params = {"offset": operator.index(offset), "dim1": d1, "dim2": d2}
    return _view_op(TABLE["diagonal"], input, params)


def _embed_shape(shape: tuple, offset: int, d1: int, d2: int) -> tuple:
    n = (shape[-1] if shape else 1) + abs(offset)
    rest = iter(shape[:-1])
    return tuple(n if i in (d1, d2) else next(rest) for i in range(len(shape) + 1))


def _diag_embed_fwd(xp: Any, x: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    nd = x.ndim + 1
    d1, d2 = dim1 % nd, dim2 % nd
    shape = _embed_shape(tuple(x.shape), offset, d1, d2)
    return _diag_scatter_fwd(xp, x, shape=shape, offset=offset, dim1=d1, dim2=d2)


_diag_embed_record = def_op(
    "diag_embed",
    complex=True,  # linear: no conjugation
    forward=_diag_embed_fwd,
    vjp=lambda g, ans, x, *, offset=0, dim1=-2, dim2=-1: _diagonal(
        g, offset=offset, dim1=dim1, dim2=dim2
    ),
    jvp="linear",
    params=(("offset", 0), ("dim1", -2), ("dim2", -1)),
    save=None,
    method=False,
    export=False,
    backward_name="DiagEmbedBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (3,), dt),)),
        Sample((rand(rng, (2, 3), dt),), {"offset": 1}),
        Sample((rand(rng, (2, 3), dt),), {"offset": -1, "dim1": 0, "dim2": 2}),
        Sample((rand(rng, (2, 2), dt),), {"dim1": -1, "dim2": 0}),
    ],
    ref=lambda x, offset=0, dim1=-2, dim2=-1: _diag_embed_fwd(
        np, x, offset=offset, dim1=dim1, dim2=dim2
    ),
    doc="A tensor whose (dim1, dim2) diagonals (``offset``) hold the last dim of the input, "
    "zeros elsewhere. The gradient is the diagonal of g.",
)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Zeros with the last dim of ``input`` on the diagonals of the (dim1, dim2) planes."""
    d1, d2 = _check_diag_dims(input.ndim, dim1, dim2, "diag_embed", 1)
    return _diag_embed_record(input, offset=operator.index(offset), dim1=d1, dim2=d2)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A 2-d tensor with the flattened ``input`` on diagonal ``offset``."""
    return diag_embed(input.reshape(-1), offset)


# --------------------------------------------------------------------------------------------
# take / masked_select / roll / rot90 / diff


def take(input: Tensor, index: Any) -> Tensor:
    """The elements of the flattened ``input`` at ``index`` (negative counts from the end), in
    ``index``'s shape. d/dinput: g added back at the indices."""
    index = to_tensor(index)
    if index.dtype is not _dt.int64:
        raise RuntimeError(
            f"take(): Expected a long tensor for index, but got {_tname(index.dtype)}; hint: "
            "convert it with .long()"
        )
    n = input.numel()
    ia = np.asarray(_backend.to_numpy(index._data)).astype(np.int64)
    bad = ia[(ia >= n) | (ia < -n)]
    if bad.size:
        raise IndexError(f"out of range: tried to access index {int(bad[0])} on a tensor of {n} "
                         "elements.")  # fmt: skip
    flat = input.reshape(-1)
    return flat.index_select(0, _index(input, (ia % max(n, 1)).reshape(-1))).reshape(ia.shape)


def _tname(d: _dt.dtype) -> str:
    from .reduction import _TORCH_NAMES

    return _TORCH_NAMES.get(d.name, d.name)


def masked_select(input: Tensor, mask: Any) -> Tensor:
    """The elements of ``input`` where the boolean ``mask`` is True (both broadcast), as a 1-d
    tensor. d/dinput: g scattered back to the selected positions."""
    mask = to_tensor(mask)
    if mask.dtype is not _dt.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    return input.expand(shape)[mask.expand(shape)]


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift the elements along ``dims`` by ``shifts`` (wrapping around); without ``dims`` the
    flattened tensor is rolled and the shape restored. d/dx: g rolled back.

    Example:
        >>> import ndgrad
        >>> ndgrad.arange(5.0).roll(2)
        tensor([3., 4., 0., 1., 2.])
    """
    sh = _int_list(shifts)
    ds = [] if dims is None else _int_list(dims)
    if not ds:
        if len(sh) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:0")
        return roll(input.flatten(), sh, 0).reshape(tuple(input.shape))
    if len(sh) != len(ds):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:{len(ds)}")
    out = input
    for s, d in zip(sh, ds):
        d = wrap_dim(d, input.ndim)
        n = input.shape[d] if input.ndim else 1
        if n == 0:
            continue
        out = out.index_select(d, _index(input, (np.arange(n) - s) % n))
    return input.clone() if out is input else out


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane ``dims``, from the first towards the
    second dim (a flip and a transpose)."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = wrap_dim(dims[0], input.ndim), wrap_dim(dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    k = operator.index(k) % 4
    if k == 2:
        return input.flip(d0, d1)
    if k:  # the transpose first, so that the result is the flip's copy, not a view
        return input.transpose(d0, d1).flip(d0 if k == 1 else d1)
    return input.clone()


def diff(
    input: Tensor, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None
) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (``out[i] = x[i+1] - x[i]``, repeated),
    after joining ``prepend`` and ``append``; bool tensors give ``x[i+1] != x[i]``."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    n = operator.index(n)
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input.ndim)
    parts = []
    for extra in (prepend, append):
        if extra is not None:
            extra = to_tensor(extra)
            if extra.ndim != input.ndim:
                raise RuntimeError(
                    "diff expects prepend or append to be the same dimension as input"
                )
            for i in range(input.ndim):
                if i != d and extra.shape[i] != input.shape[i]:
                    raise RuntimeError(
                        "diff expects the shape of tensor to prepend or append to match that "
                        "of input except along the differencing dimension; input.size("
                        f"{i}) = {input.shape[i]}, but got tensor.size({i}) = {extra.shape[i]}"
                    )
        parts.append(extra)
    out = input
    if parts[0] is not None or parts[1] is not None:
        out = _E("cat")([p for p in (parts[0], input, parts[1]) if p is not None], d)
    if n == 0:
        return out.clone() if out is input else out
    for _ in range(n):
        size = out.shape[d]
        if size == 0:
            break
        hi, lo = out.narrow(d, 1, size - 1), out.narrow(d, 0, size - 1)
        out = _E("ne")(hi, lo) if out.dtype is _dt.bool_ else hi - lo
    return out


# --------------------------------------------------------------------------------------------
# tile / repeat_interleave / block_diag / cartesian_prod / combinations / tensordot / kron


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """``input.repeat(dims)``, with 1s prepended to ``dims`` when it has fewer than ndim."""
    reps = _int_list(dims)
    reps = [1] * (input.ndim - len(reps)) + reps
    shape = (1,) * (len(reps) - input.ndim) + tuple(input.shape)
    sizes = [r * s for r, s in zip(reps, shape)]
    if any(r < 0 for r in reps):
        bad = next(v for v, r in zip(sizes, reps) if r < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {sizes}")
    return input.repeat(tuple(reps))


def repeat_interleave(
    input: Tensor, repeats: Any = None, dim: int | None = None, *, output_size: int | None = None
) -> Tensor:
    """Repeat each element (each slice along ``dim``; flattened without it) ``repeats`` times
    (an int, or a tensor with one count per slice). ``repeat_interleave(repeats)``: the indices
    ``[0]*r0 + [1]*r1 + ...``. d/dinput: the sum of the gradients of the copies.

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([1.0, 2.0]).repeat_interleave(ndgrad.tensor([1, 3]))
        tensor([1., 2., 2., 2.])
    """
    if repeats is None:  # the tensor-only form
        counts = to_tensor(input)
        rs = np.asarray(_backend.to_numpy(counts._data))
        if rs.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        rs = rs.reshape(-1).astype(np.int64)
        if (rs < 0).any():
            raise RuntimeError("repeats can not be negative")
        _check_output_size(int(rs.sum()), output_size)
        return _index(counts, np.repeat(np.arange(rs.size), rs))
    x = input if dim is not None else input.reshape(-1)
    d = 0 if dim is None else wrap_dim(dim, input.ndim)
    size = x.shape[d] if x.ndim else 1
    if isinstance(repeats, Tensor):
        rs = np.asarray(_backend.to_numpy(repeats._data))
        if rs.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        rs = rs.reshape(-1).astype(np.int64)
        if rs.size == 1:
            rs = np.full(size, rs[0])
        elif rs.size != size:
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got repeats.size(0) = "
                f"{rs.size} and input.size({d}) = {size}"
            )
    else:
        rs = np.full(size, operator.index(repeats), dtype=np.int64)
    if (rs < 0).any():
        raise RuntimeError("repeats can not be negative")
    _check_output_size(int(rs.sum()), output_size)
    if x.ndim == 0:
        x = x.reshape(1)
    return x.index_select(d, _index(x, np.repeat(np.arange(size), rs)))


def _check_output_size(total: int, output_size: int | None) -> None:
    if output_size is not None and output_size != total:
        raise RuntimeError(
            f"repeat_interleave: Invalid output_size, expected {total} but got {output_size}"
        )


def block_diag(*tensors: Tensor) -> Tensor:
    """A block-diagonal matrix of the tensors (0-d: 1x1, 1-d: one row, 2-d: as they are)."""
    ts = _tensors(tensors, "block_diag")
    if not ts:
        from .._core.factories import zeros

        return zeros(1, 0)
    for i, t in enumerate(ts):
        if t.ndim > 2:
            raise RuntimeError(
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input "
                f"{i} has {t.ndim} dimensions"
            )
    dt = _dt.result_type(*ts)
    mats = [t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t for t in ts]
    mats = [m if m.dtype is dt else m.to(dt) for m in mats]
    cols = sum(m.shape[1] for m in mats)
    rows, start = [], 0
    for m in mats:
        r, c = m.shape
        left = _zeros(m, (r, start))
        right = _zeros(m, (r, cols - start - c))
        rows.append(_E("cat")([left, m, right], 1))
        start += c
    return _E("cat")(rows, 0)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """All combinations of one element from each 1-d tensor, one per row."""
    ts = _tensors(tensors, "cartesian_prod")
    for t in ts:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return _E("stack")([g.reshape(-1) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-``r`` combinations of the elements of a 1-d tensor (``itertools``'
    order), one per row; ``with_replacement`` allows repeats."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    r = operator.index(r)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.index_select(0, _index(input, np.zeros(0)))
    make_combos = (
        itertools.combinations_with_replacement if with_replacement else (itertools.combinations)
    )
    idx = np.asarray(list(make_combos(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return input.index_select(0, _index(input, idx.reshape(-1))).reshape(idx.shape)


def _tensordot_dims(a: Tensor, b: Tensor, dims: Any) -> tuple:
    if isinstance(dims, Tensor):
        dims = np.asarray(_backend.to_numpy(dims._data)).tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(-dims, 0)), list(range(dims))
    if not isinstance(dims, (list, tuple)) or len(dims) != 2:
        raise RuntimeError(
            "tensordot expects dims to be an int, or a pair of lists of dims; hint: e.g. "
            "dims=([1], [0])"
        )
    return _int_list(dims[0]), _int_list(dims[1])


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contract dims ``dims[0]`` of ``a`` with dims ``dims[1]`` of ``b`` (an int n: the last n
    of ``a`` with the first n of ``b``); free dims of ``a`` come first."""
    da, db = _tensordot_dims(a, b, dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    for i, j in zip(da, db):
        sa, sb = a.shape[wrap_dim(i, a.ndim)], b.shape[wrap_dim(j, b.ndim)]
        if sa != sb:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {sa} in dim {i} and "
                f"second has size {sb} in dim {j}"
            )
    ca = [wrap_dim(i, a.ndim) for i in da]
    cb = [wrap_dim(j, b.ndim) for j in db]
    fa = [i for i in range(a.ndim) if i not in ca]
    fb = [j for j in range(b.ndim) if j not in cb]
    k = int(np.prod([a.shape[i] for i in ca]))
    left = a.permute(*fa, *ca).reshape(-1, k)
    right = b.permute(*cb, *fb).reshape(k, -1)
    out_shape = (*(a.shape[i] for i in fa), *(b.shape[j] for j in fb))
    return _E("matmul")(left, right).reshape(out_shape)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: blocks ``input[i] * other``, dims matched from the right."""
    nd = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (nd - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (nd - other.ndim) + tuple(other.shape))
    sa, sb = tuple(a.shape), tuple(b.shape)
    a = a.reshape(tuple(v for s in sa for v in (s, 1)))
    b = b.reshape(tuple(v for s in sb for v in (1, s)))
    return (a * b).reshape(tuple(x * y for x, y in zip(sa, sb)))


# --------------------------------------------------------------------------------------------
# The table: samples for the composites (tests/test_op_table.py), public names and methods.


_M1 = np.array([[True, False, True], [False, True, True]])
_M2 = np.array([[False, False, True], [True, True, False]])
_reg(
    "take",
    take,
    (
        ((R(2, 3), np.array([[0, 5], [-1, 2]])), {}),
        (
            (
                R(
                    4,
                ),
                np.array([1, 1, 3]),
            ),
            {},
        ),
    ),
    lambda x, i: np.take(x, i),
    method=True,
)
_reg(
    "masked_select",
    masked_select,
    (
        ((R(2, 3), _M2), {}),
        (
            (
                R(
                    3,
                ),
                _M1,
            ),
            {},
        ),
        ((R(2, 3), _M1[0]), {}),
    ),
    lambda x, m: np.broadcast_arrays(x, m)[0][np.broadcast_arrays(x, m)[1]],
    method=True,
)
_reg(
    "roll",
    roll,
    (
        ((R(3, 4), 1), {}),
        ((R(3, 4), (1, -2), (0, 1)), {}),
        ((R(2, 3),), {"shifts": -4, "dims": -1}),
        ((R(2, 0), 1, 1), {}),
    ),
    lambda x, shifts, dims=None: np.roll(x, shifts, dims),
    method=True,
)
_reg(
    "rot90",
    rot90,
    (
        ((R(2, 3),), {}),
        ((R(2, 3), 2), {}),
        ((R(2, 3, 2), -1, (2, 0)), {}),
        ((R(2, 2),), {"k": 4, "dims": [1, 0]}),
    ),
    lambda x, k=1, dims=(0, 1): np.rot90(x, k, dims),
    method=True,
)


def _np_diff(x: np.ndarray, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None):
    parts = [p for p in (prepend, x, append) if p is not None]
    return np.diff(np.concatenate(parts, dim), n, dim)


_reg(
    "diff",
    diff,
    (
        ((R(5),), {}),
        ((R(3, 4),), {"n": 2, "dim": 1}),
        ((R(2, 3), 1, 0), {}),
        ((R(2, 3), 1, -1, R(2, 1), R(2, 2)), {}),
        (
            (
                R(
                    3,
                ),
                4,
            ),
            {},
        ),
    ),
    _np_diff,
    method=True,
)
_reg(
    "tile",
    tile,
    (((R(2, 3), (2,)), {}), ((R(3), (2, 2)), {}), ((R(2), ()), {})),
    np.tile,
    method=True,
)
_reg(
    "repeat_interleave",
    repeat_interleave,
    (
        ((R(2, 3), 2), {}),
        ((R(2, 3), np.array([1, 0, 2]), 1), {}),
        ((R(3), np.array([2])), {"dim": 0}),
        ((R(2, 2), 3), {"output_size": 12}),
    ),
    method=True,
)
_reg("block_diag", block_diag, (((R(2, 2), R(3), R()), {}), ((R(1, 3), R(2, 1)), {})))
_reg("cartesian_prod", cartesian_prod, (((R(2), R(3)), {}), ((R(2), R(2), R(2)), {})))
_reg(
    "combinations",
    combinations,
    (((R(4),), {}), ((R(3),), {"r": 3}), ((R(3),), {"with_replacement": True}), ((R(2), 3), {})),
)
_reg(
    "tensordot",
    tensordot,
    (
        ((R(2, 3, 4), R(3, 4, 2)), {}),
        ((R(2, 3), R(3, 2)), {"dims": 1}),
        ((R(2, 3, 2), R(3, 2, 2)), {"dims": ([1, 0], [0, 2])}),
        ((R(2), R(3)), {"dims": 0}),
    ),
    lambda a, b, dims=2: np.tensordot(a, b, dims),
)
_reg(
    "kron",
    kron,
    (((R(2, 2), R(2, 3)), {}), ((R(2), R(2, 3)), {}), ((R(), R(3)), {})),
    np.kron,
    method=True,
)
_reg(
    "diagflat",
    diagflat,
    (((R(3),), {}), ((R(2, 2), -1), {})),
    lambda x, offset=0: np.diagflat(x, offset),
    method=True,
)
EXPORTS["diag_embed"] = diag_embed
EXPORTS["diagonal"] = diagonal
attach_method("diag_embed", diag_embed)
attach_method("diagonal", diagonal)
