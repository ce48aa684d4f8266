"""Ops with several outputs: ``max/min(x, dim)``, ``sort``, ``topk``, ``kthvalue``, ``median``,
``mode``-free ``aminmax``, ``var_mean``, ``std_mean`` (and ``argsort``, ``msort``).

Each is one record with ``outputs=(...)`` (See Note [Outputs of multi-output nodes] in
_core/node.py): one forward computes every output, and one node sends the gradients back. Rules
take one gradient per output (None where none flowed) and the tuple of outputs.

# Note [Gradients of selections]
``max(x, dim)``, ``sort``, ``topk``, ``kthvalue`` and ``median(x, dim)`` select elements of ``x``;
the gradient of a selected value goes to the element its index names, as PyTorch: a
``scatter_add`` of the incoming gradient at the indices into zeros of ``x``'s shape (its own
vjp is a ``gather``, so second order comes for free). Only the indices are saved, so an in-place
change of ``x`` after the op does not invalidate backward (as PyTorch). At ties the index is the
one the forward returned (the first occurrence for max/min, the stable order for sort).
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .. import _backend
from .._core.grad_mode import no_grad
from .._core.tensor import Tensor, make
from . import reduction as _red
from ._real import kernel, message, real_only
from .indexing import gather, scatter_add
from .registry import EXPORTS, TABLE, Sample, attach_method, copy_into_out, def_op
from .samples import distinct, rand

__all__ = [
    "sort",
    "argsort",
    "msort",
    "topk",
    "kthvalue",
    "median",
    "nanmedian",
    "aminmax",
    "var_mean",
    "std_mean",
]


# No complex numbers: See Note [Complex numbers have no order] in ops/_real.py.
_ORDER_HINT = "complex numbers have no order: order them by .abs() or .real"


def _int64(xp: Any, a: Any) -> Any:
    return a if a.dtype == xp.int64 else xp.astype(a, xp.int64)


def _zeros(g: Tensor, shape: tuple) -> Tensor:
    """A constant zero tensor of ``shape`` on ``g``'s backend and dtype."""
    xp = _backend.namespace(g._data)
    return make(xp.zeros(tuple(shape), dtype=g._data.dtype))


def _scatter_back(g: Tensor | None, x: Any, dim: int, idx: Tensor) -> Tensor | None:
    """The gradient of a selection along ``dim`` at ``idx``: See Note [Gradients of selections]."""
    if g is None:
        return None
    if len(x.shape) == 0:
        return g.reshape(())
    return scatter_add(_zeros(g, tuple(x.shape)), dim, idx, g)


def _wrap(dim: int, ndim: int, op: str) -> int:
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
            f"; hint: {op}() of a tensor with {ndim} dimensions"
        )
    return dim % n if ndim else 0


# The rule and jvp of a selection of one element per slice along ``dim`` (max/min/kthvalue/
# median along a dim): See Note [Gradients of selections].


def _keep_vjp(gs: tuple, ans: tuple, x: Any, *, dim: int = -1, keepdim: bool = False, **_: Any):
    g, idx = gs[0], ans[1]
    if g is None:
        return None
    if len(x.shape) == 0:
        return g
    d = dim % len(x.shape)
    if not keepdim:
        g, idx = g.unsqueeze(d), idx.unsqueeze(d)
    return _scatter_back(g, x, d, idx)


def _keep_jvp(tangents: tuple, ans: tuple, x: Any, *, dim: int = -1, keepdim: bool = False, **_):
    t, idx = tangents[0], ans[1]
    if t.ndim == 0:
        return t, None
    d = dim % t.ndim
    out = gather(t, d, idx if keepdim else idx.unsqueeze(d))
    return (out if keepdim else out.squeeze(d)), None


# --------------------------------------------------------------------------------------------
# max(x, dim) / min(x, dim): values and indices, one forward.


def _def_extreme_dim(name: str, largest: bool) -> Any:
    red = np.max if largest else np.min

    def fwd(xp: Any, x: Any, *, dim: int = 0, keepdim: bool = False) -> tuple:
        if x.ndim == 0:
            return xp.asarray(x, copy=True), xp.zeros((), dtype=xp.int64)
        d = _wrap(dim, x.ndim, name)
        if x.shape[d] == 0:
            raise IndexError(
                f"{name}(): Expected reduction dim {d} to have non-zero size; hint: the tensor "
                f"has shape {tuple(x.shape)}"
            )
        idx = (xp.argmax if largest else xp.argmin)(x, axis=d, keepdims=True)
        vals = xp.take_along_axis(x, idx, axis=d)
        if not keepdim:
            vals = xp.squeeze(vals, axis=d)
            idx = xp.squeeze(idx, axis=d)
        return vals, _int64(xp, idx)

    def ref(x: np.ndarray, dim: int = 0, keepdim: bool = False) -> tuple:
        if x.ndim == 0:
            return x, np.zeros((), np.int64)
        idx = (np.argmax if largest else np.argmin)(x, axis=dim, keepdims=keepdim)
        return red(x, axis=dim, keepdims=keepdim), idx

    return def_op(
        f"_{name}_dim",
        api=f"{name}(dim)",
        forward=real_only(
            fwd, message(RuntimeError, f"{name}(): does not support complex input", _ORDER_HINT)
        ),
        vjp=_keep_vjp,
        jvp=_keep_jvp,
        params=(("dim", 0), ("keepdim", False)),
        save=(),
        outputs=("values", "indices"),
        diff_outputs=(0,),
        save_outputs=(1,),
        result_name=name,
        method=False,
        export=False,
        backward_name=f"{name.capitalize()}Backward0",
        samples=lambda rng, dt: [
            Sample((distinct(rng, (2, 3), dt),), {"dim": 1}),
            Sample((distinct(rng, (2, 3, 4), dt),), {"dim": -1, "keepdim": True}),
            Sample((distinct(rng, (3, 2), dt),), {"dim": 0}),
            Sample((distinct(rng, (), dt),), {"dim": 0}),
        ],
        ref=ref,
        torch=lambda x, dim=0, keepdim=False: getattr(__import__("torch"), name)(x, dim, keepdim),
        doc=f"``{name}(x, dim, keepdim=False)``: (values, indices) of the {name}imum along "
        "``dim``; the gradient goes to the returned index. See Note [Gradients of selections].",
    )


_max_dim = _def_extreme_dim("max", True)
_min_dim = _def_extreme_dim("min", False)
_red.DIM_VARIANTS["max"] = _max_dim  # max(x, dim) in reduction.py's public max()
_red.DIM_VARIANTS["min"] = _min_dim

# --------------------------------------------------------------------------------------------
# sort, argsort, msort, topk


def _sort_fwd(xp: Any, x: Any, *, dim: int = -1, descending: bool = False, stable: bool = False):
    if x.ndim == 0:
        return xp.asarray(x, copy=True), xp.zeros((), dtype=xp.int64)
    d = _wrap(dim, x.ndim, "sort")
    if xp is np:  # descending and stable: ties keep their order, as PyTorch's stable sort
        idx = np.argsort(-x if descending and x.dtype.kind != "b" else x, axis=d, kind="stable")
    else:
        idx = xp.argsort(x, axis=d, descending=descending, stable=True)
    return xp.take_along_axis(x, idx, axis=d), _int64(xp, idx)


def _select_vjp(gs: tuple, ans: tuple, x: Any, *, dim: int = -1, **_: Any) -> Any:
    g = gs[0]
    if g is None:
        return None
    if len(x.shape) == 0:
        return g
    return _scatter_back(g, x, dim % len(x.shape), ans[1])


def _select_jvp(tangents: tuple, ans: tuple, x: Any, *, dim: int = -1, **_: Any) -> tuple:
    t = tangents[0]
    if t.ndim == 0:
        return t, None
    return gather(t, dim % t.ndim, ans[1]), None


def _sort_ref(x: np.ndarray, dim: int = -1, descending: bool = False, stable: bool = False):
    if x.ndim == 0:
        return x, np.zeros((), np.int64)
    idx = np.argsort(-x if descending else x, axis=dim, kind="stable")
    return np.take_along_axis(x, idx, axis=dim), idx


def _sort_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        Sample((distinct(rng, (5,), dt),)),
        Sample((distinct(rng, (3, 4), dt),), {"dim": 0}),
        Sample((distinct(rng, (2, 3, 4), dt),), {"dim": 1, "descending": True}),
        Sample((distinct(rng, (), dt),)),
    ]


_sort = def_op(
    "_sort",
    api="sort",
    forward=real_only(
        _sort_fwd,  # PyTorch's message starts with a space
        message(RuntimeError, " Sort does not support complex dtypes on CPU", _ORDER_HINT),
    ),
    vjp=_select_vjp,
    jvp=_select_jvp,
    params=(("dim", -1), ("descending", False), ("stable", False)),
    save=(),
    outputs=("values", "indices"),
    diff_outputs=(0,),
    save_outputs=(1,),
    result_name="sort",
    method=False,
    export=False,
    backward_name="SortBackward0",
    samples=_sort_samples,
    ref=_sort_ref,
    torch=lambda x, dim=-1, descending=False, stable=False: __import__("torch").sort(
        x, dim=dim, descending=descending, stable=True
    ),
    doc="``sort``: (values, indices) along ``dim``. See Note [Gradients of selections].",
)


def sort(
    input: Tensor,
    dim: int = -1,
    descending: bool = False,
    stable: bool = False,
    *,
    out: Any = None,
) -> Any:
    """Sort along ``dim``: ``(values, indices)`` with ``values == input.gather(dim, indices)``.

    Ties keep their input order (a stable sort, whichever ``stable`` says: PyTorch allows this).
    d values / d input: the gradient of each value goes back to the element it came from.

    Example:
        >>> import ndgrad
        >>> ndgrad.sort(ndgrad.tensor([3.0, 1.0, 2.0]))
        ndgrad.return_types.sort(
        values=tensor([1., 2., 3.]),
        indices=tensor([1, 2, 0]))
    """
    res = _sort(input, dim=dim, descending=descending, stable=stable)
    return _out(res, out, "sort")


def _out(res: Any, out: Any, who: str) -> Any:
    """Copy a namedtuple result into ``out=(values, indices)`` tensors, as PyTorch."""
    if out is None:
        return res
    if not isinstance(out, (tuple, list)) or len(out) != len(res):
        raise TypeError(f"{who}(): argument 'out' must be a tuple of {len(res)} Tensors")
    if any(r._requires_grad for r in res) or any(o._requires_grad for o in out):
        raise RuntimeError(
            f"{who}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )
    for o, r in zip(out, res):
        copy_into_out(o, r, who)
    return type(res)(*out)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (int64; no gradient)."""
    with no_grad():  # only the indices: no node for the values
        return _sort(input, dim=dim, descending=descending, stable=stable).indices


def msort(input: Tensor) -> Tensor:
    """``sort(input, dim=0).values``."""
    return _sort(input, dim=0).values


def _topk_fwd(
    xp: Any, x: Any, *, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
) -> tuple:
    if x.ndim == 0:
        if k not in (0, 1):
            raise RuntimeError("selected index k out of range")
        return xp.asarray(x, copy=True), xp.zeros((), dtype=xp.int64)
    d = _wrap(dim, x.ndim, "topk")
    n = x.shape[d]
    if not 0 <= k <= n:
        raise RuntimeError(
            f"selected index k out of range; hint: k={k} but dimension {d} has size {n}"
        )
    vals, idx = _sort_fwd(xp, x, dim=d, descending=largest)
    sl = [slice(None)] * x.ndim
    sl[d] = slice(0, k)
    return vals[tuple(sl)], idx[tuple(sl)]


def _topk_ref(x: np.ndarray, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    return _topk_fwd(np, x, k=k, dim=dim, largest=largest, sorted=sorted)


_topk = def_op(
    "_topk",
    api="topk",
    forward=real_only(
        _topk_fwd,
        message(RuntimeError, " topk does not support complex dtypes on CPU", _ORDER_HINT),
    ),
    vjp=_select_vjp,
    jvp=_select_jvp,
    params=(("k", 1), ("dim", -1), ("largest", True), ("sorted", True)),
    save=(),
    outputs=("values", "indices"),
    diff_outputs=(0,),
    save_outputs=(1,),
    method=False,
    export=False,
    result_name="topk",
    backward_name="TopkBackward0",
    samples=lambda rng, dt: [
        Sample((distinct(rng, (6,), dt),), {"k": 3}),
        Sample((distinct(rng, (3, 4), dt),), {"k": 2, "dim": 0, "largest": False}),
        Sample((distinct(rng, (2, 5), dt),), {"k": 5}),
    ],
    ref=_topk_ref,
    torch=lambda x, k, dim=-1, largest=True, sorted=True: __import__("torch").topk(  # noqa: A006 - torch's keyword
        x, k, dim, largest, sorted
    ),
    doc="``topk``: the ``k`` largest (or smallest) values along ``dim`` and their indices.",
)


def topk(
    input: Tensor,
    k: int,
    dim: int = -1,
    largest: bool = True,
    sorted: bool = True,
    *,
    out: Any = None,
) -> Any:
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim``, sorted.

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([1.0, 5.0, 3.0]).topk(2)
        ndgrad.return_types.topk(
        values=tensor([5., 3.]),
        indices=tensor([1, 2]))
    """
    return _out(_topk(input, k=int(k), dim=dim, largest=largest, sorted=sorted), out, "topk")


# --------------------------------------------------------------------------------------------
# kthvalue, median, nanmedian: one element per slice, keepdim.


def _kth_fwd(xp: Any, x: Any, *, k: int, dim: int = -1, keepdim: bool = False) -> tuple:
    if x.ndim == 0:
        if k != 1:
            raise IndexError("kthvalue(): selected number k out of range for dimension 0")
        return xp.asarray(x, copy=True), xp.zeros((), dtype=xp.int64)
    d = _wrap(dim, x.ndim, "kthvalue")
    n = x.shape[d]
    if not 1 <= k <= n:
        raise IndexError(
            f"kthvalue(): selected number k out of range for dimension {d}; hint: k={k} must be "
            f"in [1, {n}]"
        )
    vals, idx = _sort_fwd(xp, x, dim=d)
    sl = [slice(None)] * x.ndim
    sl[d] = slice(k - 1, k)
    v, i = vals[tuple(sl)], idx[tuple(sl)]
    if not keepdim:
        v, i = xp.squeeze(v, axis=d), xp.squeeze(i, axis=d)
    return v, i


_kthvalue = def_op(
    "_kthvalue",
    api="kthvalue",
    forward=real_only(_kth_fwd, kernel("kthvalue_cpu", _ORDER_HINT)),
    vjp=_keep_vjp,
    jvp=_keep_jvp,
    params=(("k", 1), ("dim", -1), ("keepdim", False)),
    save=(),
    outputs=("values", "indices"),
    diff_outputs=(0,),
    save_outputs=(1,),
    method=False,
    export=False,
    result_name="kthvalue",
    backward_name="KthvalueBackward0",
    samples=lambda rng, dt: [
        Sample((distinct(rng, (5,), dt),), {"k": 2}),
        Sample((distinct(rng, (3, 4), dt),), {"k": 3, "dim": 0, "keepdim": True}),
        Sample((distinct(rng, (2, 3, 4), dt),), {"k": 1, "dim": 1}),
    ],
    ref=lambda x, k, dim=-1, keepdim=False: _kth_fwd(np, x, k=k, dim=dim, keepdim=keepdim),
    torch=lambda x, k, dim=-1, keepdim=False: __import__("torch").kthvalue(x, k, dim, keepdim),
    doc="``kthvalue``: the k-th smallest value along ``dim`` and its index.",
)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False, *, out: Any = None):
    """The ``k``-th smallest element along ``dim`` (1-based) and its index.

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([3.0, 1.0, 2.0]).kthvalue(2)
        ndgrad.return_types.kthvalue(
        values=tensor(2.),
        indices=tensor(2))
    """
    return _out(_kthvalue(input, k=int(k), dim=dim, keepdim=keepdim), out, "kthvalue")


def _median_fwd(
    xp: Any, x: Any, *, dim: int = -1, keepdim: bool = False, nan: bool = False
) -> tuple:
    if x.ndim == 0:
        return xp.asarray(x, copy=True), xp.zeros((), dtype=xp.int64)
    d = _wrap(dim, x.ndim, "median")
    n = x.shape[d]
    if n == 0:
        raise IndexError(
            f"median(): Expected reduction dim {d} to have non-zero size; hint: the tensor has "
            f"shape {tuple(x.shape)}"
        )
    vals, idx = _sort_fwd(xp, x, dim=d)  # NaNs sort last
    isnan = xp.isnan(x)
    notnan = xp.astype(xp.logical_not(isnan), xp.int64)
    if nan:  # nanmedian: the lower median of the non-NaN values
        cnt = xp.sum(notnan, axis=d, keepdims=True)
        pos = xp.where(cnt > 0, (cnt - 1) // 2, 0)
    else:  # median: NaN if the slice has one (the first NaN's index, as PyTorch)
        has = xp.any(isnan, axis=d, keepdims=True)
        first_nan = xp.sum(notnan, axis=d, keepdims=True)
        pos = xp.where(has, first_nan, xp.zeros_like(first_nan) + (n - 1) // 2)
    pos = _int64(xp, pos)
    v = xp.take_along_axis(vals, pos, axis=d)
    i = xp.take_along_axis(idx, pos, axis=d)
    if not keepdim:
        v, i = xp.squeeze(v, axis=d), xp.squeeze(i, axis=d)
    return v, i


def _median_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        Sample((distinct(rng, (5,), dt),), {"dim": 0}),
        Sample((distinct(rng, (3, 4), dt),), {"dim": 1, "keepdim": True}),
        Sample((distinct(rng, (2, 3, 4), dt),), {"dim": 0}),
    ]


def _def_median(name: str, nan: bool) -> Any:
    return def_op(
        f"_{name}_dim",
        api=f"{name}(dim)",
        forward=real_only(
            lambda xp, x, *, dim=-1, keepdim=False: _median_fwd(
                xp, x, dim=dim, keepdim=keepdim, nan=nan
            ),
            kernel("median_out", _ORDER_HINT),  # nanmedian's kernel too
        ),
        vjp=_keep_vjp,
        jvp=_keep_jvp,
        params=(("dim", -1), ("keepdim", False)),
        save=(),
        outputs=("values", "indices"),
        diff_outputs=(0,),
        save_outputs=(1,),
        method=False,
        export=False,
        result_name=name,
        backward_name=f"{name.capitalize()}Backward1",
        samples=_median_samples,
        ref=lambda x, dim=-1, keepdim=False: _median_fwd(np, x, dim=dim, keepdim=keepdim, nan=nan),
        torch=lambda x, dim=-1, keepdim=False: getattr(__import__("torch"), name)(x, dim, keepdim),
        doc=f"``{name}(x, dim)``: the lower median along ``dim`` and its index.",
    )


_median_dim = _def_median("median", False)
_nanmedian_dim = _def_median("nanmedian", True)


def _def_median_all(name: str, nan: bool) -> Any:
    def fwd(xp: Any, x: Any) -> Any:
        flat = xp.reshape(x, (-1,))
        if flat.shape[0] == 0:
            return xp.asarray(float("nan"), dtype=x.dtype)
        return _median_fwd(xp, flat, dim=0, nan=nan)[0]

    def index(x: Tensor) -> Tensor:
        return (_nanmedian_dim if nan else _median_dim)(x.detach().reshape(-1), 0, True).indices

    def vjp(g: Tensor, ans: Any, x: Tensor) -> Tensor:
        # the gradient goes to the one element the median is (as PyTorch: not split among ties)
        return _scatter_back(g.reshape(1), x.reshape(-1), 0, index(x)).reshape(x.shape)

    def jvp(tangents: tuple, ans: Any, x: Tensor) -> Tensor:
        return gather(tangents[0].reshape(-1), 0, index(x)).reshape(())

    return def_op(
        f"_{name}_all",
        api=name,
        forward=real_only(fwd, kernel("median_cpu", _ORDER_HINT)),  # nanmedian's kernel too
        vjp=vjp,
        jvp=jvp,
        save=(0,),
        method=False,
        export=False,
        backward_name=f"{name.capitalize()}Backward0",
        samples=lambda rng, dt: [
            Sample((distinct(rng, (5,), dt),)),
            Sample((distinct(rng, (2, 3), dt),)),
        ],
        ref=lambda x: fwd(np, x),
        torch=name,
        doc=f"``{name}(x)``: the lower median of all elements.",
    )


_median_all = _def_median_all("median", False)
_nanmedian_all = _def_median_all("nanmedian", True)


def median(input: Tensor, dim: Any = None, keepdim: bool = False, *, out: Any = None) -> Any:
    """The lower median: of all elements (``dim=None``, a tensor), or along ``dim``
    (``(values, indices)``). A slice with a NaN has median NaN (``nanmedian`` ignores NaNs).

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([[1.0, 4.0, 2.0, 3.0]]).median(1)
        ndgrad.return_types.median(
        values=tensor([2.]),
        indices=tensor([2]))
    """
    if dim is None:
        return _median_all(input)
    return _out(_median_dim(input, dim=dim, keepdim=keepdim), out, "median")


def nanmedian(input: Tensor, dim: Any = None, keepdim: bool = False, *, out: Any = None) -> Any:
    """``median`` that ignores NaNs (NaN only where a slice is all NaN)."""
    if dim is None:
        return _nanmedian_all(input)
    return _out(_nanmedian_dim(input, dim=dim, keepdim=keepdim), out, "nanmedian")


# --------------------------------------------------------------------------------------------
# aminmax, var_mean, std_mean: two reductions in one pass.


def _aminmax_fwd(xp: Any, x: Any, *, dim: Any = None, keepdim: bool = False) -> tuple:
    if dim is None:
        if x.size == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation has "
                "no identity; hint: pass dim= or check the tensor's shape"
            )
        lo, hi = xp.min(x), xp.max(x)
        if keepdim:
            shape = (1,) * x.ndim
            lo, hi = xp.reshape(lo, shape), xp.reshape(hi, shape)
        return lo, hi
    d = _wrap(dim, x.ndim, "aminmax")
    if x.ndim == 0:
        return xp.asarray(x, copy=True), xp.asarray(x, copy=True)
    return xp.min(x, axis=d, keepdims=keepdim), xp.max(x, axis=d, keepdims=keepdim)


def _aminmax_vjp(gs: tuple, ans: tuple, x: Tensor, *, dim: Any = None, keepdim: bool = False):
    """Each output's gradient as amin's and amax's own rules give it (ties split evenly)."""
    dims = () if dim is None else dim
    out = None
    for g, name in zip(gs, ("amin", "amax")):
        if g is None:
            continue
        op = TABLE[name]
        a = op.fn(x.detach(), dims, keepdim)
        r = op.vjp[0](g, a, x, dim=dims, keepdim=keepdim)
        out = r if out is None else out + r
    return out


def _aminmax_jvp(tangents: tuple, ans: tuple, x: Tensor, *, dim: Any = None, keepdim: bool = False):
    dims = () if dim is None else dim
    outs = []
    for name, a in zip(("amin", "amax"), ans):
        op = TABLE[name]
        outs.append(op.jvp(tangents, a, x, dim=dims, keepdim=keepdim))
    return tuple(outs)


aminmax = def_op(
    "aminmax",
    forward=real_only(_aminmax_fwd, kernel("aminmax_cpu", _ORDER_HINT)),
    vjp=_aminmax_vjp,
    jvp=_aminmax_jvp,
    params=(("dim", None), ("keepdim", False)),
    save=(0,),
    outputs=("min", "max"),
    method=True,
    backward_name="AminmaxBackward0",
    samples=lambda rng, dt: [
        Sample((distinct(rng, (2, 3), dt),)),
        Sample((distinct(rng, (2, 3, 4), dt),), {"dim": 1}),
        Sample((distinct(rng, (3, 4), dt),), {"dim": 0, "keepdim": True}),
    ],
    ref=lambda x, dim=None, keepdim=False: _aminmax_fwd(np, x, dim=dim, keepdim=keepdim),
    torch=lambda x, dim=None, keepdim=False: __import__("torch").aminmax(
        x, dim=dim, keepdim=keepdim
    ),
    doc="``aminmax(x, *, dim=None, keepdim=False)``: (min, max) in one pass; gradients as "
    "amin/amax (split evenly among ties).",
)


def _var_mean_fwd(
    xp: Any, x: Any, *, dim: Any = None, correction: Any = 1, keepdim: bool = False, sd: bool
) -> tuple:
    v = _red._var_fwd(xp, x, dim=dim, correction=correction, keepdim=keepdim)
    axes = _red._axes(dim, x.ndim) if dim is not None else None
    m = xp.mean(x, axis=axes, keepdims=keepdim)
    return (xp.sqrt(v) if sd else v), m


def _def_var_mean(name: str, sd: bool) -> Any:
    single = TABLE["std" if sd else "var"]

    def vjp(gs: tuple, ans: tuple, x: Tensor, *, dim: Any = None, correction: Any = 1,
            keepdim: bool = False) -> Any:  # fmt: skip
        out = None
        if gs[0] is not None:
            a0 = None if ans is None else ans[0]
            out = single.vjp[0](gs[0], a0, x, dim=dim, correction=correction, keepdim=keepdim)
        if gs[1] is not None:
            n = _red._count(tuple(x.shape), dim)
            r = _red.expand_back(gs[1], x.shape, dim, keepdim).expand(x.shape) / n
            out = r if out is None else out + r
        return out

    def jvp(tangents: tuple, ans: tuple, x: Tensor, *, dim: Any = None, correction: Any = 1,
            keepdim: bool = False) -> tuple:  # fmt: skip
        t0 = single.jvp(tangents, ans[0], x, dim=dim, correction=correction, keepdim=keepdim)
        return t0, _red.mean(tangents[0], dim if dim is not None else None, keepdim)

    return def_op(
        f"_{name}",
        api=name,
        forward=lambda xp, x, *, dim=None, correction=1, keepdim=False: _var_mean_fwd(
            xp, x, dim=dim, correction=correction, keepdim=keepdim, sd=sd
        ),
        vjp=vjp,
        jvp=jvp,
        params=(("dim", None), ("correction", 1), ("keepdim", False)),
        save=(0,),
        outputs=("std" if sd else "var", "mean"),
        result_name="",
        save_outputs=(0,) if sd else (),
        method=False,
        export=False,
        backward_name=f"{_camel(name)}Backward0",
        samples=lambda rng, dt: [
            Sample((rand(rng, (2, 3), dt),)),
            Sample((rand(rng, (2, 3, 4), dt),), {"dim": 1}),
            Sample((rand(rng, (3, 4), dt),), {"dim": (0, 1), "correction": 0, "keepdim": True}),
        ],
        ref=lambda x, dim=None, correction=1, keepdim=False: (
            (np.std if sd else np.var)(x, axis=dim, ddof=correction, keepdims=keepdim),
            np.mean(x, axis=dim, keepdims=keepdim),
        ),
        torch=lambda x, dim=None, correction=1, keepdim=False: getattr(__import__("torch"), name)(
            x, dim, correction=correction, keepdim=keepdim
        ),
        doc=f"``{name}``: ({'std' if sd else 'var'}, mean) over ``dim`` in one call.",
    )


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


_var_mean = _def_var_mean("var_mean", False)
_std_mean = _def_var_mean("std_mean", True)


def var_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> Any:  # fmt: skip
    """``(var(input, dim), mean(input, dim))`` in one call; same arguments as ``var``."""
    dim, corr, keepdim = _red._correction("var_mean", dim, unbiased, keepdim, correction)
    return _var_mean(input, dim=dim, correction=corr, keepdim=keepdim)


def std_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> Any:  # fmt: skip
    """``(std(input, dim), mean(input, dim))`` in one call; same arguments as ``std``."""
    dim, corr, keepdim = _red._correction("std_mean", dim, unbiased, keepdim, correction)
    return _std_mean(input, dim=dim, correction=corr, keepdim=keepdim)


for _name, _fn in (
    ("sort", sort),
    ("argsort", argsort),
    ("msort", msort),
    ("topk", topk),
    ("kthvalue", kthvalue),
    ("median", median),
    ("nanmedian", nanmedian),
    ("var_mean", var_mean),
    ("std_mean", std_mean),
):
    EXPORTS[_name] = _fn
    if _name not in ("var_mean", "std_mean"):
        attach_method(_name, _fn)
