"""Writes at indices, out of place and in place: index_add / index_copy / index_fill, scatter,
scatter_reduce (masked_scatter, put, index_put and fill_diagonal_ are in masked.py).

Each op is one record (forward, rules, samples, PyTorch twin) and a public function with
PyTorch's signature and checks; the in-place method (``x.index_add_(...)``) runs the same record
through ``registry.apply_inplace`` (version bump, leaf checks, history, writes through views).
Forward functions compute on NumPy; other backends take a host round trip (the array API has no
scatter), as ``views.assign`` does.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.factories import ones_like, zeros_like
from .._core.tensor import Tensor
from .elementwise import where
from .indexing import _gather_key, _prefix_key
from .registry import (
    EXPORTS,
    TABLE,
    Sample,
    _check_inplace,
    apply,
    apply_inplace,
    attach_method,
    def_composite,
    def_op,
    to_tensor,
)
from .samples import rand
from .shape import wrap_dim
from .views import index_backward, take_key

_PY_SCALARS = (bool, int, float, complex)


def _on_host(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run forward ``fn(np, *arrays, **params)`` on NumPy, whatever the backend of the inputs."""

    @functools.wraps(fn)
    def forward(xp: Any, *arrays: Any, **params: Any) -> Any:
        if xp is np:
            return fn(np, *arrays, **params)
        host = [
            a if a is None or isinstance(a, _PY_SCALARS) else _backend.to_numpy(a) for a in arrays
        ]
        return _backend.asarray(xp, np.array(fn(np, *host, **params)))

    return forward


def _dim_key(index: Any, dim: int, ndim: int) -> tuple:
    """The key of positions ``index`` (a vector) along ``dim``: ``x[key]`` is index_select."""
    ia = np.asarray(_backend.to_numpy(index._data if isinstance(index, Tensor) else index))
    return (*(slice(None),) * (dim % ndim), ia.reshape(-1).astype(np.int64, copy=False), Ellipsis)


def _scalar(value: Any, dtype: Any) -> Any:
    if isinstance(value, _PY_SCALARS):
        return np.asarray(value).astype(dtype)
    return np.asarray(value).astype(dtype)


def _conj_number(a: Any) -> Any:
    """``conj(a)`` of a Python number: the factor of a complex rule (Note [Complex gradients])."""
    return a.conjugate() if isinstance(a, complex) else a


def _index_select(g: Tensor, index: Any, dim: int) -> Tensor:
    return take_key(g, _dim_key(index, dim, g.ndim))


# --------------------------------------------------------------------------------------------
# index_add / index_copy / index_fill: along one dim, at the positions of a vector.


@_on_host
def _index_add_fwd(xp: Any, x: Any, index: Any, src: Any, *, dim: int, alpha: Any = 1) -> Any:
    out = x.copy()
    np.add.at(out, _dim_key(index, dim, x.ndim), src if alpha == 1 else alpha * src)
    return out


_index_add = def_op(
    "index_add",
    forward=_index_add_fwd,
    vjp=(
        lambda g, ans, x, index, src, *, dim, alpha=1: g,
        None,
        lambda g, ans, x, index, src, *, dim, alpha=1: (  # conj(alpha): complex alpha
            _index_select(g, index, dim) * _conj_number(alpha)
            if alpha != 1
            else _index_select(g, index, dim)
        ),
    ),
    jvp="linear",
    inputs=("input", "index", "source"),
    params=(("dim", 0), ("alpha", 1)),
    save=(1,),
    method=False,
    export=False,
    backward_name="IndexAddBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (4, 3), dt), np.array([0, 2, 0]), rand(rng, (3, 3), dt)), {"dim": 0}),
        Sample(
            (rand(rng, (2, 4), dt), np.array([3, 1]), rand(rng, (2, 2), dt)),
            {"dim": 1, "alpha": 2.5},
            name="alpha",
        ),
    ],
    ref=lambda x, index, src, dim, alpha=1: _index_add_fwd(np, x, index, src, dim=dim, alpha=alpha),
    torch=lambda x, index, src, dim, alpha=1: __import__("torch").index_add(
        x, dim, index, src, alpha=alpha
    ),
    complex=True,
    doc="``input`` with ``alpha * source`` added at positions ``index`` along ``dim`` (repeats "
    "add up). d/dinput = g, d/dsource = alpha * g[index].",
)


@_on_host
def _index_copy_fwd(xp: Any, x: Any, index: Any, src: Any, *, dim: int) -> Any:
    out = x.copy()
    out[_dim_key(index, dim, x.ndim)] = src
    return out


@_on_host
def _index_fill_fwd(xp: Any, x: Any, index: Any, value: Any, *, dim: int) -> Any:
    out = x.copy()
    out[_dim_key(index, dim, x.ndim)] = _scalar(value, x.dtype)
    return out


_index_fill = def_op(
    "index_fill",
    forward=_index_fill_fwd,
    vjp=(
        lambda g, ans, x, index, value, *, dim: _index_fill(g, index, 0.0, dim=dim),
        None,
        lambda g, ans, x, index, value, *, dim: _index_select(g, index, dim).sum(),
    ),
    jvp="linear",
    inputs=("input", "index", "value"),
    params=(("dim", 0),),
    save=(1,),
    method=False,
    export=False,
    backward_name="IndexFillBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (4, 3), dt), np.array([0, 2]), 0.5), {"dim": 0}),
        Sample((rand(rng, (2, 4), dt), np.array([3, 1]), rand(rng, (), dt)), {"dim": 1}),
    ],
    ref=lambda x, index, value, dim: _index_fill_fwd(np, x, index, value, dim=dim),
    torch=lambda x, index, value, dim: x.index_fill(dim, index, value),
    complex=True,
    doc="``input`` with ``value`` (a number or 0-d tensor) at positions ``index`` along ``dim``."
    " d/dinput = g off those positions, d/dvalue = the sum of g on them.",
)

_index_copy = def_op(
    "index_copy",
    forward=_index_copy_fwd,
    vjp=(
        lambda g, ans, x, index, src, *, dim: _index_fill(g, index, 0.0, dim=dim),
        None,
        lambda g, ans, x, index, src, *, dim: _index_select(g, index, dim),
    ),
    jvp="linear",
    inputs=("input", "index", "source"),
    params=(("dim", 0),),
    save=(1,),
    method=False,
    export=False,
    backward_name="IndexCopyBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (4, 3), dt), np.array([3, 0]), rand(rng, (2, 3), dt)), {"dim": 0}),
        Sample((rand(rng, (2, 4), dt), np.array([1, 2, 0]), rand(rng, (2, 3), dt)), {"dim": -1}),
    ],
    ref=lambda x, index, src, dim: _index_copy_fwd(np, x, index, src, dim=dim),
    torch=lambda x, index, src, dim: __import__("torch").index_copy(x, dim, index, src),
    complex=True,
    doc="``input`` with the slices of ``source`` copied to positions ``index`` along ``dim``. "
    "d/dinput = g off those positions, d/dsource = g[index].",
)


def _vector_index(index: Any, who: str) -> Tensor:
    index = to_tensor(index)
    if index.dtype not in (_dt.int64, _dt.int32):
        raise RuntimeError(
            f"{who}(): Expected dtype int32/int64 for index but got: "
            f"{_torch_name(index.dtype)}; hint: convert it with .long()"
        )
    if index.ndim > 1:
        raise IndexError(f"{who}(): Index is supposed to be a vector")
    return index


def _torch_name(d: Any) -> str:
    from .views import _torch_name as name

    return name(d)


def _check_positions(index: Tensor, size: int, dim: int, error: type = RuntimeError) -> None:
    if index.numel():
        ia = _backend.to_numpy(index._data)
        hi, lo = int(ia.max()), int(ia.min())
        if hi >= size or lo < -size:
            raise error(
                f"index {hi if hi >= size else lo} is out of bounds for dimension {dim} with "
                f"size {size}"
            )


def _check_same_dtype(self: Tensor, src: Tensor, who: str, what: str = "source") -> None:
    if src.dtype is not self.dtype:
        raise RuntimeError(
            f"{who}(): self ({_torch_name(self.dtype)}) and {what} ({_torch_name(src.dtype)}) "
            f"must have the same scalar type; hint: convert it first, e.g. {what}.to({self.dtype})"
        )


def _index_args(input: Tensor, dim: int, index: Any, source: Any, who: str) -> tuple:
    if input.ndim == 0:
        raise RuntimeError(f"{who}(): not supported on a 0-d tensor; hint: reshape it to 1-d")
    d = wrap_dim(dim, input.ndim)
    index = _vector_index(index, who)
    _check_positions(
        index, input.shape[d], d, IndexError if who.startswith("index_f") else RuntimeError
    )
    if source is not None:
        source = to_tensor(source)
        _check_same_dtype(input, source, who)
        n = index.numel()
        if source.ndim and source.shape[d if source.ndim == input.ndim else 0] != n:
            raise IndexError(
                f"{who}(): Number of indices ({n}) should be equal to source.size(dim) "
                f"({source.shape[d if source.ndim == input.ndim else 0]})"
            )
    return d, index, source


def index_add(input: Tensor, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
    """``input`` with ``alpha * source`` added at positions ``index`` along ``dim``.

    Example:
        >>> import ndgrad
        >>> ndgrad.zeros(3, 2).index_add(0, ndgrad.tensor([1, 1]), ndgrad.ones(2, 2), alpha=2)
        tensor([[0., 0.],
                [4., 4.],
                [0., 0.]])
    """
    d, index, source = _index_args(input, dim, index, source, "index_add_")
    return apply(_ADD, (input, index, source), {"dim": d, "alpha": alpha})


def _index_add_(self: Tensor, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
    d, index, source = _index_args(self, dim, index, source, "index_add_")
    return apply_inplace(_ADD, self, (index, source), {"dim": d, "alpha": alpha})


def index_copy(input: Tensor, dim: int, index: Any, source: Any) -> Tensor:
    """``input`` with the slices of ``source`` copied to positions ``index`` along ``dim``."""
    d, index, source = _index_args(input, dim, index, source, "index_copy_")
    return apply(_COPY, (input, index, source), {"dim": d})


def _index_copy_(self: Tensor, dim: int, index: Any, source: Any) -> Tensor:
    d, index, source = _index_args(self, dim, index, source, "index_copy_")
    return apply_inplace(_COPY, self, (index, source), {"dim": d})


def _fill_value(value: Any, who: str) -> Any:
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"{who} only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        return value
    if not isinstance(value, _PY_SCALARS):
        raise TypeError(
            f"{who}(): argument 'value' must be Number or Tensor, not {type(value).__name__}"
        )
    return value


def index_fill(input: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    """``input`` with ``value`` (a number or 0-d tensor) at positions ``index`` along ``dim``."""
    d, index, _ = _index_args(input, dim, index, None, "index_fill_")
    return apply(_FILL, (input, index, _fill_value(value, "index_fill_")), {"dim": d})


def _index_fill_(self: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    d, index, _ = _index_args(self, dim, index, None, "index_fill_")
    return apply_inplace(_FILL, self, (index, _fill_value(value, "index_fill_")), {"dim": d})


_ADD, _COPY, _FILL = TABLE["index_add"], TABLE["index_copy"], TABLE["index_fill"]

# --------------------------------------------------------------------------------------------
# scatter and scatter_reduce: ``out[index[i][j]][j] = src[i][j]`` (dim 0).


def _src_part(src: Any, index: Any) -> Any:
    """The part of ``src`` that ``index`` reads (src may be larger than index)."""
    return src[_prefix_key(tuple(index.shape))]


@_on_host
def _scatter_fwd(xp: Any, x: Any, index: Any, src: Any, *, dim: int) -> Any:
    out = x.copy()
    if x.ndim == 0:
        return np.asarray(src, dtype=x.dtype).reshape(()).copy()
    v = _scalar(src, x.dtype) if isinstance(src, _PY_SCALARS) else _src_part(src, index)
    out[_gather_key(index, dim, x.ndim)] = v
    return out


def _pad_to(r: Tensor, src: Any, index: Any) -> Tensor:
    """A gradient of ``src``'s part that ``index`` reads, padded with zeros to ``src``'s shape."""
    if tuple(src.shape) != tuple(index.shape):
        return index_backward(r, shape=tuple(src.shape), idx=_prefix_key(tuple(index.shape)))
    return r


def _gather(g: Tensor, index: Any, dim: int) -> Tensor:
    return TABLE["gather"].fn(g, index, dim=dim)


_scatter = def_op(
    "scatter",
    forward=_scatter_fwd,
    vjp=(
        lambda g, ans, x, index, src, *, dim: _scatter_value(g, index, 0.0, dim=dim),
        None,
        lambda g, ans, x, index, src, *, dim: _pad_to(_gather(g, index, dim), src, index),
    ),
    jvp="linear",
    inputs=("input", "index", "src"),
    params=(("dim", 0),),
    save=(1,),
    method=False,
    export=False,
    backward_name="ScatterBackward0",
    samples=lambda rng, dt: [
        Sample(
            (rand(rng, (3, 4), dt), np.array([[0, 2, 1, 1], [2, 0, 0, 2]]), rand(rng, (2, 4), dt)),
            {"dim": 0},
        ),
        Sample(
            (rand(rng, (3, 4), dt), np.array([[3, 0], [1, 2], [2, 1]]), rand(rng, (3, 2), dt)),
            {"dim": -1},
        ),
        # not here: a src larger than index, where PyTorch 2.13's backward fails
        # ("ScatterBackward0 returned an invalid gradient at index 1"); ndgrad pads the gradient
        # with zeros (tests/test_inplace_family.py)
    ],
    ref=lambda x, index, src, dim: _scatter_fwd(np, x, index, src, dim=dim),
    torch=lambda x, index, src, dim: __import__("torch").scatter(x, dim, index, src),
    complex=True,
    doc="``input`` with ``src[i][j]`` written at ``[index[i][j]][j]`` (dim 0). d/dinput = g off "
    "the written positions, d/dsrc = g gathered at ``index``.",
)

_scatter_value = def_op(
    "_scatter_value",
    api="scatter(value)",
    forward=_scatter_fwd,
    vjp=(lambda g, ans, x, index, value, *, dim: _scatter_value(g, index, 0.0, dim=dim),),
    jvp=lambda ts, ans, x, index, value, *, dim: _scatter_value(ts[0], index, 0.0, dim=dim),
    inputs=("input", "index", "value"),
    params=(("dim", 0),),
    save=(1,),
    method=False,
    export=False,
    backward_name="ScatterBackward1",
    samples=lambda rng, dt: [
        Sample((rand(rng, (3, 4), dt), np.array([[0, 2, 1, 1], [2, 0, 0, 2]]), 0.5), {"dim": 0}),
    ],
    ref=lambda x, index, value, dim: _scatter_fwd(np, x, index, value, dim=dim),
    torch=lambda x, index, value, dim: __import__("torch").scatter(x, dim, index, value),
    complex=True,
    doc="``input`` with the number ``value`` written at the positions ``index`` selects.",
)

_IDENTITY = {"sum": 0.0, "mean": 0.0, "prod": 1.0, "amax": -np.inf, "amin": np.inf}
_UFUNC = {
    "sum": np.add,
    "mean": np.add,
    "prod": np.multiply,
    "amax": np.maximum,
    "amin": np.minimum,
}


@_on_host
def _scatter_reduce_fwd(
    xp: Any, x: Any, index: Any, src: Any, *, dim: int, reduce: str, include_self: bool = True
) -> Any:
    scalar = x.ndim == 0
    if scalar:
        x, index, src = x.reshape(1), index.reshape(-1), src.reshape(-1)
    out = x.copy()
    key = _gather_key(index, dim, x.ndim)
    part = _src_part(src, index)
    if not include_self:
        ident = _IDENTITY[reduce]
        if out.dtype.kind in "iub" and not np.isfinite(ident):
            info = np.iinfo(out.dtype)
            ident = info.min if ident < 0 else info.max
        out[key] = ident
    _UFUNC[reduce].at(out, key, part)
    if reduce == "mean":
        count = np.full(x.shape, 1 if include_self else 0, dtype=np.int64)
        np.add.at(count, key, 1)
        count = np.maximum(count, 1)
        if out.dtype.kind in "iub":
            out = np.floor_divide(out, count).astype(x.dtype)
        else:
            out = (out / count).astype(x.dtype)
    return out.reshape(()) if scalar else out


def _scatter_reduce_grads(
    g: Tensor,
    ans: Tensor,
    x: Tensor,
    index: Tensor,
    src: Tensor,
    dim: int,
    reduce: str,
    include_self: bool,
) -> tuple:
    """(d/dinput, d/dsrc) of scatter_reduce, as PyTorch's scatter_reduce_backward."""
    srcp = (
        src
        if tuple(src.shape) == tuple(index.shape)
        else take_key(src, _prefix_key(tuple(index.shape)))
    )
    sr = _scatter_reduce

    def gather(t: Tensor) -> Tensor:
        return _gather(t, index, dim)

    if reduce == "sum":
        gs, gsrc = g, gather(g)
    elif reduce == "mean":
        n = ones_like(g) if include_self else zeros_like(g)
        n = TABLE["scatter_add"].fn(n, index, ones_like(srcp), dim=dim)
        n = where(n == 0, 1.0, n)
        gs, gsrc = g / n, gather(g) / gather(n)
    elif reduce == "prod":
        # the exclusive products at zeros of input or src are computed explicitly, as PyTorch
        masked_self = where(x == 0, 1.0, x)
        masked_self_result = sr(
            masked_self, index, srcp, dim=dim, reduce=reduce, include_self=include_self
        )
        gs = g * masked_self_result / masked_self
        src_zero = srcp == 0
        num_zeros = gather(
            TABLE["scatter_add"].fn(zeros_like(x), index, src_zero.to(x.dtype), dim=dim)
        )
        single_zero = src_zero & (num_zeros == 1)
        masked_src = where(single_zero, 1.0, srcp)
        masked_src_result = sr(
            x, index, masked_src, dim=dim, reduce=reduce, include_self=include_self
        )
        gsrc = where(
            single_zero,
            gather(g * masked_src_result),
            gather(g * ans) / where(src_zero, 1.0, srcp),
        )
    else:  # amax, amin: ties share the gradient evenly
        value = gather(ans)
        self_is = (x == ans).to(x.dtype)
        src_is = (srcp == value).to(x.dtype)
        dist = g / TABLE["scatter_add"].fn(self_is, index, src_is, dim=dim)
        gs, gsrc = self_is * dist, src_is * gather(dist)
    if not include_self:
        gs = _scatter_value(gs, index, 0.0, dim=dim)
    return gs, _pad_to(gsrc, src, index)


def _scatter_reduce_jvp(tangents: tuple, ans: Tensor, x: Tensor, index: Tensor, src: Tensor, **p):
    """Each element of ``input`` and of ``src`` reaches exactly one output element, so the
    Jacobian's entries are the vjp of a gradient of ones: ``J u = d_x * x_t + scatter_add(d_src *
    src_t)`` (every reduction, ties and zeros of prod as the vjp treats them)."""
    x_t, _, src_t = tangents
    ds, dsrc = _scatter_reduce_grads(ones_like(ans), ans, x, index, src, **p)
    out = None
    if x_t is not None:
        out = ds * x_t
    if src_t is not None:
        part = _crop(dsrc, index) * _crop(src_t, index)
        part = TABLE["scatter_add"].fn(zeros_like(ans), index, part, dim=p["dim"])
        out = part if out is None else out + part
    return out


def _crop(t: Tensor, index: Any) -> Tensor:
    """The part of ``t`` (shaped as ``src``) that ``index`` reads."""
    if tuple(t.shape) == tuple(index.shape):
        return t
    return take_key(t, _prefix_key(tuple(index.shape)))


_scatter_reduce = def_op(
    "scatter_reduce",
    forward=_scatter_reduce_fwd,
    vjp=(
        lambda g, ans, x, index, src, **p: _scatter_reduce_grads(g, ans, x, index, src, **p)[0],
        None,
        lambda g, ans, x, index, src, **p: _scatter_reduce_grads(g, ans, x, index, src, **p)[1],
    ),
    jvp=_scatter_reduce_jvp,
    inputs=("input", "index", "src"),
    params=(("dim", 0), ("reduce", "sum"), ("include_self", True)),
    save="both",
    method=False,
    export=False,
    backward_name="ScatterReduceBackward0",
    samples=lambda rng, dt: [
        Sample(
            (rand(rng, (3, 4), dt), np.array([[0, 2, 2, 1], [0, 0, 0, 2]]), rand(rng, (2, 4), dt)),
            {"dim": 0, "reduce": reduce, "include_self": inc},
            name=f"{reduce} include_self={inc}",
        )
        for reduce in ("sum", "mean", "prod", "amax", "amin")
        for inc in (True, False)
    ],
    ref=lambda x, index, src, **p: _scatter_reduce_fwd(np, x, index, src, **p),
    torch=lambda x, index, src, dim, reduce, include_self: __import__("torch").scatter_reduce(
        x, dim, index, src, reduce, include_self=include_self
    ),
    doc="``input`` with ``src`` reduced into the positions ``index`` selects (``reduce``: sum, "
    "prod, mean, amax, amin; ``include_self``: whether input's values take part). Gradients as "
    "PyTorch's: ties of amax/amin share evenly, prod handles zeros exactly.",
)


def _scatter_args(input: Tensor, dim: int, index: Any, src: Any, who: str) -> tuple:
    from .indexing import _check_gather_index, _int_index

    index = _int_index(index, who)
    d = _check_gather_index(input, dim, index, who)
    if isinstance(src, Tensor):
        if src.dtype is not input.dtype:
            raise RuntimeError(
                f"{who}(): Expected self.dtype to be equal to src.dtype; hint: convert src "
                f"first, e.g. src.to({input.dtype})"
            )
        if src.ndim != index.ndim and not (src.ndim <= 1 and index.ndim <= 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
        for i, (a, b) in enumerate(zip(index.shape, src.shape)):
            if a > b:
                raise RuntimeError(
                    f"Expected index {list(index.shape)} to be no larger than src "
                    f"{list(src.shape)} in dimension {i}"
                )
    elif not isinstance(src, _PY_SCALARS):
        raise TypeError(
            f"{who}() expected a Tensor src or a number value, got {type(src).__name__}"
        )
    return d, index


_REDUCE_LEGACY = {"add": "sum", "multiply": "prod"}


def _scatter_op(
    input: Tensor, dim: int, index: Any, src: Any, reduce: str | None, who: str, inplace: bool
) -> Tensor:
    if reduce is not None:
        if reduce not in _REDUCE_LEGACY:
            raise RuntimeError(
                f"{who}(): Expected reduce argument to be either add or multiply; got {reduce!r}"
            )
        warnings.warn(
            "The reduce argument of torch.scatter with Tensor src is deprecated and will be "
            "removed in a future PyTorch release. Use torch.scatter_reduce instead for more "
            "reduction options.",
            UserWarning,
            stacklevel=3,
        )
        d, index = _scatter_args(input, dim, index, src, who)
        if not isinstance(src, Tensor):
            src = to_tensor(np.full(tuple(index.shape), src, dtype=input._data.dtype))
        params = {"dim": d, "reduce": _REDUCE_LEGACY[reduce], "include_self": True}
        op = TABLE["scatter_reduce"]
    else:
        d, index = _scatter_args(input, dim, index, src, who)
        params = {"dim": d}
        op = _SCATTER if isinstance(src, Tensor) else _SCATTER_VALUE
    if inplace:
        _check_inplace(input, "scatter_()")
        return apply_inplace(op, input, (index, src), params)
    return apply(op, (input, index, src), params)


def scatter(
    input: Tensor,
    dim: int,
    index: Any,
    src: Any = None,
    value: Any = None,
    *,
    reduce: str | None = None,
) -> Tensor:
    """``input`` with ``src[i][j]`` (or the number ``value``) written at ``[index[i][j]][j]``
    (dim 0; likewise along other dims). ``reduce`` ('add', 'multiply') is PyTorch's deprecated
    form of :func:`scatter_reduce` (it warns, as PyTorch does, and is differentiable here).

    Example:
        >>> import ndgrad
        >>> ndgrad.zeros(2, 3).scatter(1, ndgrad.tensor([[2], [0]]), ndgrad.ones(2, 1))
        tensor([[0., 0., 1.],
                [1., 0., 0.]])
    """
    return _scatter_op(input, dim, index, value if src is None else src, reduce, "scatter", False)


def _scatter_(
    self: Tensor,
    dim: int,
    index: Any,
    src: Any = None,
    value: Any = None,
    *,
    reduce: str | None = None,
) -> Tensor:
    return _scatter_op(self, dim, index, value if src is None else src, reduce, "scatter_", True)


def _reduce_args(input: Tensor, dim: int, index: Any, src: Any, reduce: str, who: str) -> tuple:
    if reduce not in _IDENTITY:
        raise RuntimeError(
            f"{who}(): reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    if not isinstance(src, Tensor):
        raise TypeError(f"{who}(): argument 'src' must be Tensor, not {type(src).__name__}")
    return _scatter_args(input, dim, index, src, who)


def scatter_reduce(
    input: Tensor, dim: int, index: Any, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """``input`` with ``src`` reduced (sum, prod, mean, amax, amin) into the positions
    ``index`` selects along ``dim``; ``include_self=False`` leaves input's values out there.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([1.0, 2.0])
        >>> x.scatter_reduce(0, ndgrad.tensor([0, 0, 1]), ndgrad.tensor([5.0, 3.0, 1.0]), "amax")
        tensor([5., 2.])
    """
    d, index = _reduce_args(input, dim, index, src, reduce, "scatter_reduce")
    params = {"dim": d, "reduce": reduce, "include_self": bool(include_self)}
    return apply(TABLE["scatter_reduce"], (input, index, src), params)


def _scatter_reduce_(
    self: Tensor, dim: int, index: Any, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    d, index = _reduce_args(self, dim, index, src, reduce, "scatter_reduce_")
    params = {"dim": d, "reduce": reduce, "include_self": bool(include_self)}
    return apply_inplace(TABLE["scatter_reduce"], self, (index, src), params)


_SCATTER, _SCATTER_VALUE = TABLE["scatter"], TABLE["_scatter_value"]


def index_reduce(
    input: Tensor, dim: int, index: Any, source: Any, reduce: str, *, include_self: bool = True
) -> Tensor:
    """``input`` with the slices of ``source`` reduced (prod, mean, amax, amin) into the
    positions ``index`` selects along ``dim``.

    A scatter_reduce whose index repeats ``index`` across the other dims, so its gradients are
    scatter_reduce's (PyTorch's index_reduce backward uses the same formulas).

    Example:
        >>> import ndgrad
        >>> x = ndgrad.ones(3, 2)
        >>> x.index_reduce(0, ndgrad.tensor([0, 0]), ndgrad.full((2, 2), 3.0), "prod")
        tensor([[9., 9.],
                [1., 1.],
                [1., 1.]])
    """
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}.; hint: sum is index_add"
        )
    d, index, source = _index_args(input, dim, index, source, "index_reduce_")
    shape = [1] * source.ndim
    shape[d] = -1
    full = index.reshape(shape).expand(source.shape)
    return scatter_reduce(input, d, full, source, reduce, include_self=include_self)


def _index_reduce_(
    self: Tensor, dim: int, index: Any, source: Any, reduce: str, *, include_self: bool = True
) -> Tensor:
    # computed from a copy, so that the write below does not invalidate what it saved
    return self.copy_(
        index_reduce(self.clone(), dim, index, source, reduce, include_self=include_self)
    )


def _index_reduce_samples(rng: np.random.Generator, dt: Any) -> list:
    idx = np.array([0, 2, 0])
    return [
        Sample(
            (rand(rng, (3, 2), dt, 0.5, 2.0), 0, idx, rand(rng, (3, 2), dt, 0.5, 2.0), reduce),
            {"include_self": inc},
            grad=(0, 3),
            name=f"{reduce} include_self={inc}",
        )
        for reduce in ("prod", "mean")
        for inc in (True, False)
    ] + [
        Sample(
            (rand(rng, (2, 3), dt), 1, np.array([1, 1]), rand(rng, (2, 2), dt), "amax"),
            grad=(0, 3),
            name="amax dim 1",
        ),
        Sample(
            (rand(rng, (2, 3), dt), -1, np.array([2, 0]), rand(rng, (2, 2), dt), "amin"),
            {"include_self": False},
            grad=(0, 3),
            name="amin dim -1",
        ),
    ]


def_composite(
    "index_reduce",
    index_reduce,
    samples=_index_reduce_samples,
    torch=lambda x, dim, index, src, reduce, **kw: x.index_reduce(dim, index, src, reduce, **kw),
)

# --------------------------------------------------------------------------------------------
# Public names and Tensor methods.

_FUNCS = {
    "index_add": index_add,
    "index_copy": index_copy,
    "index_fill": index_fill,
    "scatter": scatter,
    "scatter_reduce": scatter_reduce,
}
EXPORTS.update(_FUNCS)
attach_method("index_reduce", index_reduce)
attach_method("index_reduce_", _index_reduce_)
for _n, _f in _FUNCS.items():
    attach_method(_n, _f)
for _n, _f in (
    ("index_add_", _index_add_),
    ("index_copy_", _index_copy_),
    ("index_fill_", _index_fill_),
    ("scatter_", _scatter_),
    ("scatter_reduce_", _scatter_reduce_),
):
    attach_method(_n, _f)

__all__ = sorted(_FUNCS)
