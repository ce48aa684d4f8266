"""Pooling of ``ndgrad.nn.functional``: max, average, adaptive and power-average pooling.

Records for the 2-D and 3-D pools (PyTorch's grad_fn names: ``MaxPool2DWithIndicesBackward0``,
``AvgPool3DBackward0``, ``AdaptiveMaxPool2DBackward0``...); the 1-D pools unsqueeze, pool in 2-D
and squeeze, as PyTorch does (grad_fn ``SqueezeBackward1``). Windows come from conv.py's strided
views (no loop over positions): max pooling takes the argmax over the kernel taps, its vjp adds
``g`` back at the indices (``scatter_add``, whose own vjp is a gather: second order is free);
average pooling sums the taps, its vjp spreads ``g / divisor`` over the windows (``_col2im``).
Adaptive average pooling is one averaging matrix per spatial dim (resample.py's ``separable``).

Example:
    >>> import ndgrad
    >>> import ndgrad.nn.functional as F
    >>> x = ndgrad.tensor([[[1.0, 3.0, 2.0, 0.0]]], requires_grad=True)
    >>> F.max_pool1d(x, 2, return_indices=True)
    (tensor([[[3., 2.]]], grad_fn=<SqueezeBackward1>), tensor([[[1, 2]]]))
    >>> F.avg_pool1d(x, 2)
    tensor([[[2., 1.]]], grad_fn=<SqueezeBackward1>)
"""

from __future__ import annotations

import functools
import math
from types import SimpleNamespace
from typing import Any

import numpy as np

from .. import _backend
from .._core.tensor import Tensor
from ._real import complex_name, kernel, real_only
from .conv import ntuple, out_size, pad_raw, unwindows_raw, windows_raw
from .indexing import gather
from .registry import EXPORTS, Sample, def_composite, def_op
from .resample import EXPORTS_NN, separable
from .samples import distinct, rand
from .sorting import _scatter_back

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
]


# --------------------------------------------------------------------------------------------
# Arguments and output sizes.


def _pool_args(
    x: Any, nsp: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any, who: str
) -> tuple:
    k = ntuple(kernel_size, nsp, "kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else stride
    s = ntuple(s, nsp, "stride")
    p = ntuple(padding, nsp, "padding")
    d = ntuple(dilation, nsp, "dilation")
    if any(a <= 0 for a in k):
        raise RuntimeError(
            f"kernel size should be greater than zero, but got kernel_size={list(k)}"
        )
    if any(a == 0 for a in s):
        raise RuntimeError("stride should not be zero")
    if any(a < 0 for a in s):
        raise RuntimeError(f"stride should be greater than zero, but got stride={list(s)}")
    if any(a <= 0 for a in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation={list(d)}")
    for pi, ki, di in zip(p, k, d):
        if pi < 0 or pi > ((ki - 1) * di + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={pi}, "
                f"kernel_size={ki} and dilation={di}"
            )
    if x.ndim not in (nsp + 1, nsp + 2) or 0 in tuple(x.shape[1 if x.ndim == nsp + 2 else 0 :]):
        raise RuntimeError(
            f"non-empty {nsp + 1}D or {nsp + 2}D (batch mode) tensor expected for input; hint: "
            f"got a tensor of shape {list(x.shape)}"
        )
    return k, s, p, d


def _sizes(shape: tuple, k: tuple, s: tuple, p: tuple, d: tuple, ceil: bool) -> tuple:
    nsp = len(k)
    sp = tuple(shape[-nsp:])
    ls = tuple(out_size(*a, ceil) for a in zip(sp, k, s, p, d))
    if any(n <= 0 for n in ls):
        c = shape[-nsp - 1]
        raise RuntimeError(
            f"Given input size: ({'x'.join(map(str, (c, *sp)))}). Calculated output size: "
            f"({'x'.join(map(str, (c, *ls)))}). Output size is too small"
        )
    # the right pad beyond ``p`` that ceil_mode's last window reaches
    extra = tuple(
        max((n - 1) * si + di * (ki - 1) + 1 - (m + 2 * pi), 0)
        for n, m, ki, si, pi, di in zip(ls, sp, k, s, p, d)
    )
    return ls, extra


# --------------------------------------------------------------------------------------------
# Max pooling: (values, indices) records for 2-D and 3-D.


def _max_pool_fwd(
    xp: Any,
    x: Any,
    *,
    kernel_size: tuple,
    stride: tuple,
    padding: tuple,
    dilation: tuple,
    ceil_mode: bool = False,
) -> tuple:
    nsp = len(kernel_size)
    ls, extra = _sizes(tuple(x.shape), kernel_size, stride, padding, dilation, ceil_mode)
    sp = tuple(x.shape[-nsp:])
    xpad = pad_raw(xp, x, padding, -math.inf, extra)
    v = windows_raw(xp, xpad, kernel_size, dilation, (0,) * nsp, stride)
    lead = tuple(x.shape[:-nsp])
    ax = len(lead)
    # PyTorch scans the taps in order and takes a later one when ``val > maxval || isnan(val)``:
    # the first maximum wins ties, the last NaN wins. Here: the max over the taps, then the
    # first tap equal to it (one pass per tap over strided views, no loop over positions).
    taps = [(slice(None),) * ax + t + (...,) for t in np.ndindex(*kernel_size)]
    if len(taps) == 1:  # a view of the input: never alias it
        vals = _backend.backend(xp).copy(v[taps[0]])
    else:
        vals = xp.maximum(v[taps[0]], v[taps[1]])
        for t in taps[2:]:
            if xp is np:  # in place: one fewer large temporary per tap
                np.maximum(vals, v[t], out=vals)
            else:
                vals = xp.maximum(vals, v[t])
    # the tap of each maximum, in the smallest integer type (small temporaries), then the flat
    # spatial index: sum_i (l_i s_i - p_i + t_i d_i) * (row-major place of dim i), i.e. a
    # per-tap offset plus a per-window base
    tdt = xp.int8 if len(taps) < 128 else xp.int32
    if len(taps) == 1:
        tap = xp.zeros(vals.shape, dtype=tdt)
    else:  # the first tap equal to the max wins: tap = ne_0 * (1 + ne_1 * (1 + ...)) with
        # ne_i = (tap i != max), in small integers (cheaper than one ``where`` per tap)
        tap = xp.astype(v[taps[-2]] != vals, tdt)
        for i in range(len(taps) - 3, -1, -1):
            ne = xp.astype(v[taps[i]] != vals, tdt)
            if xp is np:  # in place: no new temporaries
                tap += 1
                tap *= ne
            else:
                tap = (tap + 1) * ne
    nan = xp.isnan(vals)
    if bool(xp.any(nan)):
        for i, t in enumerate(taps):
            tap = xp.where(nan & xp.isnan(v[t]), xp.asarray(i, dtype=tdt), tap)
    place = [math.prod(sp[i + 1 :]) for i in range(nsp)]
    offs = np.array(
        [sum(ti * d * m for ti, d, m in zip(t, dilation, place)) for t in np.ndindex(*kernel_size)],
        dtype=np.int64,
    )
    base = np.zeros(ls, dtype=np.int64)
    for i in range(nsp):
        li = (np.arange(ls[i]) * stride[i] - padding[i]) * place[i]
        base = base + li.reshape((ls[i],) + (1,) * (nsp - 1 - i))
    flat = xp.reshape(xp.take(_backend.asarray(xp, offs), xp.reshape(tap, (-1,))), tap.shape)
    return vals, flat + _backend.asarray(xp, base)


def _max_pool_vjp(gs: tuple, ans: tuple, x: Any, **kw: Any) -> Tensor | None:
    """g added back at the flat spatial indices of the maxima (a scatter_add; a plain scatter
    where the windows cannot overlap, which is faster and the same)."""
    g, idx = gs[0], ans[1]
    if g is None:
        return None
    k = kw["kernel_size"]
    nsp = len(k)
    lead = len(x.shape) - nsp
    sp = tuple(x.shape[lead:])
    g, idx = g.flatten(lead), idx.flatten(lead)
    apart = "stride" in kw and all(
        s >= d * (ki - 1) + 1 for s, d, ki in zip(kw["stride"], kw["dilation"], k)
    )
    if apart:  # (adaptive windows may overlap: they pass no stride)
        zeros = g.new_zeros(*g.shape[:lead], math.prod(sp))
        return zeros.scatter(lead, idx, g).reshape(tuple(x.shape))
    flat = SimpleNamespace(shape=tuple(x.shape[:lead]) + (math.prod(sp),))
    return _scatter_back(g, flat, lead, idx).reshape(tuple(x.shape))


def _max_pool_jvp(tangents: tuple, ans: tuple, x: Any, **kw: Any) -> tuple:
    t, idx = tangents[0], ans[1]
    nsp = len(kw["kernel_size"])
    lead = t.ndim - nsp
    out = gather(t.flatten(lead), lead, idx.flatten(lead)).reshape(tuple(idx.shape))
    return out, None


def _max_pool_ref(x: np.ndarray, kernel_size, stride, padding, dilation, ceil_mode=False):
    """Loops over kernel taps in NumPy (independent of the strided view)."""
    nsp = len(kernel_size)
    ls, extra = _sizes(x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    pads = [(0, 0)] * (x.ndim - nsp) + [(p, p + e) for p, e in zip(padding, extra)]
    xpad = np.pad(x, pads, constant_values=-np.inf)
    best = np.full(x.shape[:-nsp] + ls, -np.inf)
    arg = np.zeros(best.shape, np.int64)
    grids = np.meshgrid(*[np.arange(n) for n in ls], indexing="ij")
    for k in np.ndindex(*kernel_size):
        key = tuple(
            slice(ki * di, ki * di + (n - 1) * si + 1, si)
            for ki, di, si, n in zip(k, dilation, stride, ls)
        )
        val = xpad[(Ellipsis, *key)]
        pos = sum(
            (g * si - pi + ki * di) * math.prod(x.shape[x.ndim - nsp + i + 1 :])
            for i, (g, si, pi, ki, di) in enumerate(zip(grids, stride, padding, k, dilation))
        )
        better = (val > best) | np.isnan(val)
        best = np.where(better, val, best)
        arg = np.where(better, pos, arg)
    return best.astype(x.dtype), arg


# (values, indices) records whose rules read only the indices (See _max_pool_vjp)
_SELECTION: dict = {
    "save": (),
    "outputs": ("output", "indices"),
    "diff_outputs": (0,),
    "save_outputs": (1,),
    "result_name": "",
    "method": False,
    "export": False,
}


# No complex numbers in max pooling: See Note [Complex numbers have no order] in ops/_real.py.
_ORDER_HINT = "complex numbers have no order: pool their .abs() or .real"
_COMPLEX_HINT = "pool the .real and .imag parts separately"


def _def_max_pool(nsp: int) -> Any:
    def samples(rng: np.random.Generator, dt: Any) -> list:
        def s(shape, k, s=None, p=0, d=1, ceil=False, name=""):
            kw = {
                "kernel_size": ntuple(k, nsp),
                "stride": ntuple(k if s is None else s, nsp),
                "padding": ntuple(p, nsp),
                "dilation": ntuple(d, nsp),
                "ceil_mode": ceil,
            }
            return Sample((distinct(rng, shape, dt),), kw, name=name)

        if nsp == 2:
            return [
                s((1, 2, 4, 4), 2, name="plain"),
                s((2, 5, 4), (3, 2), (2, 1), (1, 0), name="unbatched pad"),
                s((1, 1, 5, 5), 2, 2, 1, 2, True, name="ceil dilation"),
            ]
        return [s((1, 1, 3, 4, 4), 2, 2, (1, 0, 1), ceil=True, name="ceil pad")]

    return def_op(
        f"_max_pool{nsp}d_with_indices",
        forward=real_only(_max_pool_fwd, kernel(f"max_pool{nsp}d", _ORDER_HINT)),
        vjp=_max_pool_vjp,
        jvp=_max_pool_jvp,
        params=(
            ("kernel_size", ()),
            ("stride", ()),
            ("padding", ()),
            ("dilation", ()),
            ("ceil_mode", False),
        ),
        **_SELECTION,
        api=f"nn.functional.max_pool{nsp}d",
        backward_name=f"MaxPool{nsp}DWithIndicesBackward0",
        samples=samples,
        ref=_max_pool_ref,
        torch=lambda x, **kw: getattr(
            __import__("torch").nn.functional, f"max_pool{nsp}d_with_indices"
        )(x, return_indices=True, **kw),
        doc=f"{nsp}-D max pooling: (values, flat spatial indices of the maxima). The vjp adds g "
        "at the indices (the first maximum of a window wins ties, as PyTorch).",
    )


_max_pool_records = {2: _def_max_pool(2), 3: _def_max_pool(3)}


def _max_pool(nsp: int) -> Any:
    who = f"max_pool{nsp}d"

    def max_pool(
        input: Tensor,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        ceil_mode: bool = False,
        return_indices: bool = False,
    ) -> Any:
        k, s, p, d = _pool_args(input, nsp, kernel_size, stride, padding, dilation, who)
        if nsp == 1 and not return_indices and isinstance(input, Tensor) and input.is_complex():
            raise kernel("max_pool1d_impl", _ORDER_HINT)(complex_name((input._data,)), {})
        if nsp == 1:  # PyTorch pools (N, C, 1, L) in 2-D and squeezes
            out, idx = _max_pool_records[2](
                input.unsqueeze(-2), (1, *k), (1, *s), (0, *p), (1, *d), bool(ceil_mode)
            )
            out, idx = out.squeeze(-2), idx.squeeze(-2)
        else:
            out, idx = _max_pool_records[nsp](input, k, s, p, d, bool(ceil_mode))
        return (out, idx) if return_indices else out

    max_pool.__name__ = max_pool.__qualname__ = who
    max_pool.__doc__ = (
        f"{nsp}-D max pooling over windows of ``kernel_size`` (``stride`` defaults to the "
        "kernel), with -inf ``padding``, ``dilation`` and ``ceil_mode``; ``return_indices`` also "
        "gives the flat spatial index of each maximum, as torch.nn.functional." + who + "."
    )
    return max_pool


# --------------------------------------------------------------------------------------------
# Average pooling.


def _divisor(
    sp: tuple, ls: tuple, k: tuple, s: tuple, p: tuple, include_pad: bool, override: Any
) -> np.ndarray:
    """PyTorch's divisor of each window: its size within input+pad, or within the input."""
    if override is not None:
        return np.full(ls, float(override))
    out = np.ones(ls)
    for i, (n, nl, ki, si, pi) in enumerate(zip(sp, ls, k, s, p)):
        start = np.arange(nl) * si - pi
        end = np.minimum(start + ki, n + pi)
        size = end - start
        if not include_pad:
            size = np.minimum(end, n) - np.maximum(start, 0)
        out = out * size.reshape((1,) * i + (nl,) + (1,) * (len(ls) - 1 - i))
    return out


def _avg_fwd(
    xp: Any, x: Any, *, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
) -> Any:
    nsp = len(kernel_size)
    one = (1,) * nsp
    ls, extra = _sizes(tuple(x.shape), kernel_size, stride, padding, one, ceil_mode)
    xpad = pad_raw(xp, x, padding, 0.0, extra)
    v = windows_raw(xp, xpad, kernel_size, one, (0,) * nsp, stride)
    lead = x.ndim - nsp
    total = xp.sum(v, axis=tuple(range(lead, lead + nsp)))
    div = _divisor(
        tuple(x.shape[lead:]), ls, kernel_size, stride, padding, count_include_pad, divisor_override
    )
    return total / xp.asarray(div, dtype=x.dtype)


def _avg_vjp(g: Tensor, ans: Any, x: Any, **kw: Any) -> Tensor:
    return _avg_backward_records[len(kw["kernel_size"])](g, size=tuple(x.shape), **kw)


def _avg_bwd_fwd(
    xp: Any,
    g: Any,
    *,
    size: tuple,
    kernel_size,
    stride,
    padding,
    ceil_mode,
    count_include_pad,
    divisor_override,
) -> Any:
    """The adjoint of average pooling: g / divisor spread over each window, summed."""
    k, s, p = kernel_size, stride, padding
    nsp = len(k)
    one = (1,) * nsp
    lead = len(size) - nsp
    sp = tuple(size[lead:])
    ls, extra = _sizes(size, k, s, p, one, ceil_mode)
    div = _divisor(sp, ls, k, s, p, count_include_pad, divisor_override)
    gd = g / xp.asarray(div, dtype=g.dtype)
    lshape = tuple(g.shape[:lead])
    cols = xp.broadcast_to(xp.reshape(gd, (*lshape, *one, *ls)), (*lshape, *k, *ls))
    canvas = tuple(n + e for n, e in zip(sp, extra))
    out = unwindows_raw(xp, cols, canvas, k, one, p, s)
    if any(extra):
        out = out[(Ellipsis, *(slice(0, n) for n in sp))]
    return out


def _avg_bwd_vjp(gg: Tensor, ans: Any, g: Any, *, size: tuple, **kw: Any) -> Tensor:
    return _avg_records[len(kw["kernel_size"])](gg, **kw)


def _avg_ref(
    x: np.ndarray, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
):
    nsp = len(kernel_size)
    one = (1,) * nsp
    ls, extra = _sizes(x.shape, kernel_size, stride, padding, one, ceil_mode)
    pads = [(0, 0)] * (x.ndim - nsp) + [(p, p + e) for p, e in zip(padding, extra)]
    xpad = np.pad(x, pads)
    total = np.zeros(x.shape[:-nsp] + ls)
    for k in np.ndindex(*kernel_size):
        key = tuple(slice(ki, ki + (n - 1) * si + 1, si) for ki, si, n in zip(k, stride, ls))
        total = total + xpad[(Ellipsis, *key)]
    div = _divisor(
        x.shape[-nsp:], ls, kernel_size, stride, padding, count_include_pad, divisor_override
    )
    return (total / div).astype(x.dtype)


_AVG_PARAMS = (
    ("kernel_size", ()),
    ("stride", ()),
    ("padding", ()),
    ("ceil_mode", False),
    ("count_include_pad", True),
    ("divisor_override", None),
)


def _def_avg_pool(nsp: int) -> Any:
    def samples(rng: np.random.Generator, dt: Any) -> list:
        def s(shape, k, s=None, p=0, ceil=False, inc=True, div=None, name=""):
            kw = {
                "kernel_size": ntuple(k, nsp),
                "stride": ntuple(k if s is None else s, nsp),
                "padding": ntuple(p, nsp),
                "ceil_mode": ceil,
                "count_include_pad": inc,
                "divisor_override": div,
            }
            return Sample((rand(rng, shape, dt),), kw, name=name)

        if nsp == 2:
            return [
                s((1, 2, 4, 4), 2, name="plain"),
                s((2, 5, 4), (3, 2), (2, 1), (1, 1), inc=False, name="unbatched pad exclude"),
                s((1, 1, 5, 5), 2, 2, 1, True, name="ceil"),
                s((1, 1, 4, 3), 3, 2, 1, True, False, name="ceil exclude"),
                s((1, 1, 3, 3), 2, 1, div=3, name="divisor"),
            ]
        return [s((1, 1, 3, 4, 4), 2, 2, (1, 0, 1), True, name="ceil pad")]

    return def_op(
        f"_avg_pool{nsp}d",
        forward=real_only(  # PyTorch's kernels have no complex loops
            _avg_fwd,
            kernel("avg_pool2d" if nsp == 2 else "avg_pool3d_out_frame", _COMPLEX_HINT),
        ),
        vjp=_avg_vjp,
        jvp="linear",
        params=_AVG_PARAMS,
        save=None,
        method=False,
        export=False,
        api=f"nn.functional.avg_pool{nsp}d",
        backward_name=f"AvgPool{nsp}DBackward0",
        samples=samples,
        ref=_avg_ref,
        torch=lambda x, **kw: getattr(__import__("torch").nn.functional, f"avg_pool{nsp}d")(
            x, **kw
        ),
        doc=f"{nsp}-D average pooling; the vjp spreads g / divisor over each window.",
    )


_avg_records = {2: _def_avg_pool(2), 3: _def_avg_pool(3)}


def _def_avg_backward(nsp: int) -> Any:
    return def_op(
        f"_avg_pool{nsp}d_backward",
        forward=_avg_bwd_fwd,
        vjp=_avg_bwd_vjp,
        jvp="linear",
        inputs=("grad_output",),
        params=(("size", ()), *_AVG_PARAMS),
        save=None,
        method=False,
        export=False,
        backward_name=f"AvgPool{nsp}DBackwardBackward0",
        doc=f"The vjp of {nsp}-D average pooling (itself linear: its vjp is the pooling).",
    )


_avg_backward_records = {2: _def_avg_backward(2), 3: _def_avg_backward(3)}


def _avg_pool(nsp: int) -> Any:
    who = f"avg_pool{nsp}d"

    def avg_pool(
        input: Tensor,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> Tensor:
        k, s, p, _ = _pool_args(input, nsp, kernel_size, stride, padding, 1, who)
        if divisor_override is not None and divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        kw = {
            "ceil_mode": bool(ceil_mode),
            "count_include_pad": bool(count_include_pad),
            "divisor_override": divisor_override,
        }
        if nsp == 1:
            out = _avg_records[2](input.unsqueeze(-2), (1, *k), (1, *s), (0, *p), **kw)
            return out.squeeze(-2)
        return _avg_records[nsp](input, k, s, p, **kw)

    avg_pool.__name__ = avg_pool.__qualname__ = who
    avg_pool.__doc__ = (
        f"{nsp}-D average pooling (zero ``padding``, ``ceil_mode``, ``count_include_pad``, "
        f"``divisor_override``), as torch.nn.functional.{who}."
    )
    return avg_pool


# --------------------------------------------------------------------------------------------
# Adaptive pooling: window i of n -> m spans [floor(i*n/m), ceil((i+1)*n/m)).


@functools.lru_cache(maxsize=256)
def _adaptive_bounds(n: int, m: int) -> tuple:
    i = np.arange(m)
    start = (i * n) // m
    end = -((-(i + 1) * n) // m)
    return start, end


def _avg_matrix(n: int, m: int, dim: int = 0, opts: tuple = ()) -> np.ndarray:
    start, end = _adaptive_bounds(n, m)
    j = np.arange(n)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return inside / (end - start)[:, None]


def _adaptive_size(x: Tensor, output_size: Any, nsp: int, who: str) -> tuple:
    if x.ndim not in (nsp + 1, nsp + 2):
        raise RuntimeError(
            f"{who}(): Expected {nsp + 1}D or {nsp + 2}D tensor, but got {list(x.shape)}"
        )
    if isinstance(output_size, int):
        output_size = (output_size,) * nsp
    out = tuple(
        x.shape[x.ndim - nsp + i] if o is None else int(o) for i, o in enumerate(output_size)
    )
    if len(out) != nsp:
        raise RuntimeError(f"{who}: output_size must be {nsp}")
    if any(n == 0 for n in x.shape[1:]):
        raise RuntimeError(
            f"{who}(): Expected input to have non-zero size for non-batch dimensions, but input "
            f"has sizes {list(x.shape)} with dimension {list(x.shape).index(0)} being empty"
        )
    return out


_adaptive_avg = {
    n: separable(f"_adaptive_avg_pool{n}d", f"AdaptiveAvgPool{n}DBackward0", _avg_matrix)
    for n in (2, 3)
}


def _adaptive_avg_pool(nsp: int) -> Any:
    who = f"adaptive_avg_pool{nsp}d"

    def adaptive_avg_pool(input: Tensor, output_size: Any) -> Tensor:
        size = _adaptive_size(input, output_size, nsp, who)
        if nsp == 1:
            return _adaptive_avg[2](input.unsqueeze(-2), size=(1, *size)).squeeze(-2)
        return _adaptive_avg[nsp](input, size=size)

    adaptive_avg_pool.__name__ = adaptive_avg_pool.__qualname__ = who
    adaptive_avg_pool.__doc__ = (
        f"{nsp}-D adaptive average pooling to ``output_size`` (None keeps a dim): output i "
        "averages input [floor(i*n/m), ceil((i+1)*n/m)). One averaging matrix per dim."
    )
    return adaptive_avg_pool


def _adaptive_max_fwd(xp: Any, x: Any, *, output_size: tuple) -> tuple:
    nsp = len(output_size)
    lead = x.ndim - nsp
    sp = tuple(x.shape[lead:])
    v = x
    poss = []
    for i, (n, m) in enumerate(zip(sp, output_size)):
        start, end = _adaptive_bounds(n, m)
        kmax = int((end - start).max())
        # window taps, clamped to the window's last element (a repeat never changes the max)
        idx = np.minimum(start[:, None] + np.arange(kmax), end[:, None] - 1)  # (m, kmax)
        poss.append(idx)
        ax = lead + 2 * i
        v = xp.take(v, _backend.asarray(xp, idx.reshape(-1)), axis=ax)
        v = xp.reshape(v, tuple(v.shape[:ax]) + (m, kmax) + tuple(v.shape[ax + 1 :]))
    # (.., m1, k1, m2, k2, ..) -> (.., m1, m2, .., k1 * k2 * ..)
    perm = tuple(range(lead)) + tuple(lead + 2 * i for i in range(nsp))
    v = xp.permute_dims(v, perm + tuple(lead + 2 * i + 1 for i in range(nsp)))
    ks = tuple(p.shape[1] for p in poss)
    v = xp.reshape(v, tuple(v.shape[: lead + nsp]) + (math.prod(ks),))
    kidx = xp.argmax(v, axis=-1, keepdims=True)
    vals = xp.squeeze(xp.take_along_axis(v, kidx, axis=-1), axis=-1)
    kidx = xp.squeeze(kidx, axis=-1)
    flat = xp.zeros(kidx.shape, dtype=xp.int64)
    rest = kidx
    for i in reversed(range(nsp)):
        ki = rest % ks[i]
        rest = rest // ks[i]
        shape = (1,) * (lead + i) + (output_size[i],) + (1,) * (nsp - 1 - i)
        table = _backend.asarray(xp, poss[i].astype(np.int64))  # (m, kmax)
        li = xp.reshape(xp.arange(output_size[i], dtype=xp.int64), shape)
        pos = xp.reshape(
            xp.take(xp.reshape(table, (-1,)), xp.reshape(li * ks[i] + ki, (-1,))), ki.shape
        )
        flat = flat + pos * math.prod(sp[i + 1 :])
    return vals, flat


def _adaptive_max_vjp(gs: tuple, ans: tuple, x: Any, *, output_size: tuple) -> Any:
    return _max_pool_vjp(gs, ans, x, kernel_size=output_size)


def _adaptive_max_jvp(tangents: tuple, ans: tuple, x: Any, *, output_size: tuple) -> tuple:
    return _max_pool_jvp(tangents, ans, x, kernel_size=output_size)


def _adaptive_max_ref(x: np.ndarray, output_size: tuple) -> tuple:
    nsp = len(output_size)
    sp = x.shape[-nsp:]
    bounds = [_adaptive_bounds(n, m) for n, m in zip(sp, output_size)]
    vals = np.zeros(x.shape[:-nsp] + tuple(output_size), x.dtype)
    idx = np.zeros(vals.shape, np.int64)
    for o in np.ndindex(*output_size):  # the reference may loop: it is the slow, obvious one
        win = tuple(slice(b[0][i], b[1][i]) for b, i in zip(bounds, o))
        block = x[(Ellipsis, *win)].reshape(x.shape[:-nsp] + (-1,))
        a = np.argmax(block, axis=-1)
        vals[(Ellipsis, *o)] = np.take_along_axis(block, a[..., None], -1)[..., 0]
        wshape = tuple(s.stop - s.start for s in win)
        loc = np.unravel_index(a, wshape)
        idx[(Ellipsis, *o)] = np.ravel_multi_index(
            tuple(li + s.start for li, s in zip(loc, win)), sp
        )
    return vals, idx


def _def_adaptive_max(nsp: int) -> Any:
    def samples(rng: np.random.Generator, dt: Any) -> list:
        if nsp == 2:
            return [
                Sample((distinct(rng, (1, 2, 5, 4), dt),), {"output_size": (3, 2)}),
                Sample((distinct(rng, (1, 3, 5), dt),), {"output_size": (2, 4)}, name="unbatched"),
            ]
        return [Sample((distinct(rng, (1, 1, 3, 4, 3), dt),), {"output_size": (2, 3, 2)})]

    return def_op(
        f"_adaptive_max_pool{nsp}d",
        forward=real_only(
            _adaptive_max_fwd,
            kernel("adaptive_max_pool2d" if nsp == 2 else "adaptive_max_pool3d_cpu", _ORDER_HINT),
        ),
        vjp=_adaptive_max_vjp,
        jvp=_adaptive_max_jvp,
        params=(("output_size", ()),),
        **_SELECTION,
        api=f"nn.functional.adaptive_max_pool{nsp}d",
        backward_name=f"AdaptiveMaxPool{nsp}DBackward0",
        samples=samples,
        ref=_adaptive_max_ref,
        torch=lambda x, output_size: getattr(
            __import__("torch").nn.functional, f"adaptive_max_pool{nsp}d"
        )(x, output_size, return_indices=True),
        doc=f"{nsp}-D adaptive max pooling: (values, flat spatial indices).",
    )


_adaptive_max_records = {2: _def_adaptive_max(2), 3: _def_adaptive_max(3)}


def _adaptive_max_pool(nsp: int) -> Any:
    who = f"adaptive_max_pool{nsp}d"

    def adaptive_max_pool(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
        size = _adaptive_size(input, output_size, nsp, who)
        if nsp == 1:
            out, idx = _adaptive_max_records[2](input.unsqueeze(-2), output_size=(1, *size))
            out, idx = out.squeeze(-2), idx.squeeze(-2)
        else:
            out, idx = _adaptive_max_records[nsp](input, output_size=size)
        return (out, idx) if return_indices else out

    adaptive_max_pool.__name__ = adaptive_max_pool.__qualname__ = who
    adaptive_max_pool.__doc__ = (
        f"{nsp}-D adaptive max pooling to ``output_size``; ``return_indices`` also gives the "
        "flat spatial index of each maximum, as torch.nn.functional." + who + "."
    )
    return adaptive_max_pool


# --------------------------------------------------------------------------------------------
# Power-average pooling: (sum over the window of x**p) ** (1/p), as PyTorch composes it.


def _lp_pool(nsp: int) -> Any:
    who = f"lp_pool{nsp}d"

    def lp_pool(
        input: Tensor,
        norm_type: float,
        kernel_size: Any,
        stride: Any = None,
        ceil_mode: bool = False,
    ) -> Tensor:
        k = ntuple(kernel_size, nsp, "kernel_size")
        avg = globals()[f"avg_pool{nsp}d"]  # PyTorch's formula: avg_pool(x**p) * prod(k)
        out = avg(input.pow(norm_type), k, stride, 0, ceil_mode)
        return (out.sign() * out.abs().clamp(min=0)).mul(math.prod(k)).pow(1.0 / norm_type)

    lp_pool.__name__ = lp_pool.__qualname__ = who
    lp_pool.__doc__ = (
        f"{nsp}-D power-average pooling: (sum of x**p over each window) ** (1/p), as "
        f"torch.nn.functional.{who} (an average pool of x**p, times the window size)."
    )
    return lp_pool


# --------------------------------------------------------------------------------------------
# Samples of the public functions and their registration.


def _kw_sample(shape: tuple, *args: Any, tie_free: bool = True, name: str = "", **kw: Any):
    def make(rng: np.random.Generator, dt: Any) -> Sample:
        x = distinct(rng, shape, dt) if tie_free else rand(rng, shape, dt)
        return Sample((x, *args), kw, name=name or str(shape))

    return make


def _samples(*makers: Any) -> Any:
    return lambda rng, dt: [m(rng, dt) for m in makers]


_SAMPLES = {
    "max_pool1d": _samples(
        _kw_sample((2, 2, 5), 2, name="batched"),
        _kw_sample((2, 7), 3, 2, 1, 2, True, name="unbatched ceil"),
    ),
    "max_pool2d": _samples(
        _kw_sample((1, 2, 4, 4), 2),
        _kw_sample((2, 5, 5), (2, 3), stride=(2, 1), padding=1, ceil_mode=True),
    ),
    "max_pool3d": _samples(_kw_sample((1, 1, 3, 4, 4), 2, stride=(1, 2, 2), padding=(1, 0, 1))),
    "avg_pool1d": _samples(
        _kw_sample((2, 2, 5), 2, tie_free=False),
        _kw_sample((2, 6), 3, 2, 1, True, False, tie_free=False, name="unbatched exclude"),
    ),
    "avg_pool2d": _samples(
        _kw_sample((1, 2, 4, 4), 2, tie_free=False),
        _kw_sample((2, 5, 4), 3, 2, 1, True, tie_free=False, name="ceil unbatched"),
        _kw_sample((1, 1, 3, 3), 2, 1, divisor_override=2, tie_free=False, name="divisor"),
    ),
    "avg_pool3d": _samples(
        _kw_sample((1, 1, 3, 4, 3), 2, padding=(1, 1, 0), count_include_pad=False, tie_free=False),
    ),
    "adaptive_avg_pool1d": _samples(_kw_sample((2, 2, 5), 3, tie_free=False)),
    "adaptive_avg_pool2d": _samples(
        _kw_sample((1, 2, 5, 4), (3, 2), tie_free=False),
        _kw_sample((2, 3, 3), (None, 2), tie_free=False, name="None unbatched"),
    ),
    "adaptive_avg_pool3d": _samples(_kw_sample((1, 1, 3, 4, 2), (2, 3, 1), tie_free=False)),
    "adaptive_max_pool1d": _samples(_kw_sample((2, 2, 5), 3)),
    "adaptive_max_pool2d": _samples(_kw_sample((1, 2, 5, 4), (3, 2))),
    "adaptive_max_pool3d": _samples(_kw_sample((1, 1, 3, 4, 2), 2)),
}


def _lp_samples(nsp: int) -> Any:
    def gen(rng: np.random.Generator, dt: Any) -> list:
        shape = {1: (1, 2, 6), 2: (1, 2, 4, 4), 3: (1, 1, 2, 4, 3)}[nsp]
        ksize = 3 if nsp < 3 else (2, 3, 2)
        x = rand(rng, shape, dt, 0.5, 2.0)
        return [
            Sample((x, 2.0, 2), name="p=2"),
            Sample((rand(rng, shape, dt, 0.5, 2.0), 3, ksize, 2, True), name="p=3 ceil"),
        ]

    return gen


def _register(name: str, fn: Any, samples: Any, **kw: Any) -> Any:
    fn = def_composite(f"nn.functional.{name}", fn, samples=samples, **kw)
    globals()[name] = fn
    return fn


for _n in (1, 2, 3):
    _register(f"max_pool{_n}d", _max_pool(_n), _SAMPLES[f"max_pool{_n}d"])
    _register(f"avg_pool{_n}d", _avg_pool(_n), _SAMPLES[f"avg_pool{_n}d"])
    _register(
        f"adaptive_avg_pool{_n}d", _adaptive_avg_pool(_n), _SAMPLES[f"adaptive_avg_pool{_n}d"]
    )
    _register(
        f"adaptive_max_pool{_n}d", _adaptive_max_pool(_n), _SAMPLES[f"adaptive_max_pool{_n}d"]
    )
for _n in (1, 2, 3):
    EXPORTS_NN["adaptive_avg_pool"][_n] = globals()[f"adaptive_avg_pool{_n}d"]
for _n in (1, 2, 3):
    _register(f"lp_pool{_n}d", _lp_pool(_n), _lp_samples(_n))


def _with_indices(fn: Any) -> Any:
    """F.max_pool2d_with_indices and kin: the pool with ``return_indices=True``."""

    def pool(*args: Any, **kwargs: Any) -> tuple:
        kwargs["return_indices"] = True
        return fn(*args, **kwargs)

    pool.__name__ = pool.__qualname__ = fn.__name__ + "_with_indices"
    pool.__doc__ = f"``{fn.__name__}(..., return_indices=True)``: (output, indices)."
    return pool


for _n in (1, 2, 3):
    for _kind in ("max_pool", "adaptive_max_pool"):
        _name = f"{_kind}{_n}d"
        _register(
            _name + "_with_indices",
            _with_indices(globals()[_name]),
            _SAMPLES[_name],
            outputs=("output", "indices"),
            diff_outputs=(0,),
        )

max_pool1d: Any
max_pool2d: Any
max_pool3d: Any
avg_pool1d: Any
avg_pool2d: Any
avg_pool3d: Any
adaptive_avg_pool1d: Any
adaptive_avg_pool2d: Any
adaptive_avg_pool3d: Any
adaptive_max_pool1d: Any
adaptive_max_pool2d: Any
adaptive_max_pool3d: Any
lp_pool1d: Any
lp_pool2d: Any
lp_pool3d: Any


# PyTorch's top-level twins: torch.max_pool2d, torch.avg_pool1d, ... (torch.adaptive_max_pool1d
# always returns (values, indices))
for _name in ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "adaptive_avg_pool1d",
              "max_pool1d_with_indices"):  # fmt: skip
    EXPORTS[_name] = globals()[_name]
EXPORTS["adaptive_max_pool1d"] = globals()["adaptive_max_pool1d_with_indices"]

# --------------------------------------------------------------------------------------------
# max_unpool: the values written back at the flat indices of max pooling, zeros elsewhere.


def _max_unpool(nsp: int) -> Any:
    who = f"max_unpool{nsp}d"

    def max_unpool(
        input: Tensor,
        indices: Tensor,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        output_size: Any = None,
    ) -> Tensor:
        k = ntuple(kernel_size, nsp, "kernel_size")
        s = k if stride is None else ntuple(stride, nsp, "stride")
        p = ntuple(padding, nsp, "padding")
        sp = tuple(input.shape[input.ndim - nsp :])
        default = tuple((n - 1) * si - 2 * pi + ki for n, si, pi, ki in zip(sp, s, p, k))
        if output_size is None:
            size = default
        else:
            size = tuple(int(a) for a in output_size)
            if len(size) == nsp + 2:
                size = size[2:]
            if len(size) != nsp:
                raise ValueError(
                    f"output_size should be a sequence containing {nsp} or {nsp + 2} elements, "
                    f"but it has a length of '{len(size)}'"
                )
            for d, (a, b, si) in enumerate(zip(size, default, s)):
                if not b - si < a < b + si:
                    raise ValueError(
                        f'invalid output_size "{tuple(size)}" (dim {d} must be between '
                        f"{b - si} and {b + si})"
                    )
        if tuple(indices.shape) != tuple(input.shape):
            raise RuntimeError(
                f"Expected shape of indices to be same as that of the input tensor "
                f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}"
            )
        lead = input.ndim - nsp
        flat = input.flatten(lead) if nsp > 1 else input
        idx = indices.flatten(lead) if nsp > 1 else indices
        zeros = input.new_zeros(*input.shape[:lead], math.prod(size))
        out = zeros.scatter(lead, idx, flat)
        return out.reshape(*input.shape[:lead], *size)

    max_unpool.__name__ = max_unpool.__qualname__ = who
    max_unpool.__doc__ = (
        f"The partial inverse of max_pool{nsp}d: ``input`` written at ``indices`` (flat spatial "
        "positions) of a zero tensor of ``output_size`` (default: the pooled size inverted)."
    )
    return max_unpool


def _unpool_samples(nsp: int) -> Any:
    def gen(rng: np.random.Generator, dt: Any) -> list:
        shape = {1: (1, 2, 6), 2: (2, 4, 4), 3: (1, 1, 2, 4, 4)}[nsp]  # 2-D: unbatched
        k = ntuple(2, nsp)
        x = distinct(rng, shape, dt)
        out, idx = _max_pool_ref(x, k, k, (0,) * nsp, (1,) * nsp)
        big = tuple(n + 1 for n in shape[-nsp:])
        return [
            Sample((rand(rng, out.shape, dt), idx, 2), name="plain"),
            Sample((rand(rng, out.shape, dt), idx, 2), {"output_size": big}, name="output_size"),
        ]

    return gen


for _n in (1, 2, 3):
    _register(f"max_unpool{_n}d", _max_unpool(_n), _unpool_samples(_n))

max_unpool1d: Any
max_unpool2d: Any
max_unpool3d: Any
