"""Convolutions of ``ndgrad.nn.functional``: conv1d/2d/3d, transposed, unfold and fold.

Everything rests on two linear records, each the other's vjp:

* ``_im2col(x)``: the sliding windows of ``x`` (N, C, *S), zero padded, as an array of layout
  (N, C, *K, *L) (``gemm=True``: (C, *K, N, *L), ready for one matrix product per group);
* ``_col2im(cols)``: its adjoint, the windows summed back onto the (cropped) image.

``convolution`` (``torch.convolution``, grad_fn ``ConvolutionBackward0``) is a record of its own
for speed: its forward is one im2col and one batched matmul (``G`` products of
``(O/G, C/G*K) @ (C/G*K, N*L)``). Its rules are ndgrad ops: the gradient w.r.t. the input is the
transposed convolution (``convolution(..., transposed=not transposed)``), the one w.r.t. the weight
is a matmul of ``_im2col`` windows with the incoming gradient, so higher order comes free.

Windows are built without a loop over positions: on NumPy a strided view (``as_strided``); on
other backends a stack of ``K`` strided slices per spatial dim (a loop over kernel taps only).
``_col2im`` adds the ``K`` tap slices back per dim (again a loop over taps, never positions).

Example:
    >>> import ndgrad
    >>> import ndgrad.nn.functional as F
    >>> x = ndgrad.ones(1, 1, 4, 4, requires_grad=True)
    >>> y = F.conv2d(x, ndgrad.ones(2, 1, 3, 3), padding=1)
    >>> y.shape, y.grad_fn.name()
    (ndgrad.Size([1, 2, 4, 4]), 'ConvolutionBackward0')
    >>> y.sum().backward()
    >>> x.grad[0, 0, 0]
    tensor([ 8., 12., 12.,  8.])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._core.grad_mode import is_grad_enabled
from .._core.tensor import Tensor
from .registry import EXPORTS, Sample, def_composite, def_op
from .samples import rand

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "convolution",
    "fold",
    "unfold",
]


# --------------------------------------------------------------------------------------------
# Arguments.


def ntuple(v: Any, n: int, name: str = "argument") -> tuple:
    """``v`` (an int or a sequence of ``n`` ints) as a tuple of ``n`` ints."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),) * n
    t = tuple(int(a) for a in v)
    if len(t) == 1 and n > 1:
        return t * n
    if len(t) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values")
    return t


def out_size(size: int, k: int, s: int, p: int, d: int, ceil: bool = False) -> int:
    """Number of windows of ``k`` taps (dilation ``d``) at stride ``s`` over ``size + 2p``."""
    span = size + 2 * p - d * (k - 1) - 1
    if span < 0:
        return 0
    n = (span + (s - 1 if ceil else 0)) // s + 1
    if ceil and (n - 1) * s >= size + p:  # the last window must start inside the input or pad
        n -= 1
    return n


# --------------------------------------------------------------------------------------------
# Raw windows (backend arrays): the forward code of the records below.


def pad_raw(xp: Any, x: Any, padding: tuple, value: float = 0.0, extra: tuple = ()) -> Any:
    """``x`` with ``padding[i]`` elements of ``value`` on both sides of its i-th spatial dim
    (and ``extra[i]`` more on the right: the reach of ceil_mode's last window)."""
    nsp = len(padding)
    extra = extra or (0,) * nsp
    if not any(padding) and not any(extra):
        return x
    lead = x.ndim - nsp
    sp = tuple(x.shape[lead:])
    shape = tuple(x.shape[:lead]) + tuple(n + 2 * p + e for n, p, e in zip(sp, padding, extra))
    out = xp.full(shape, value, dtype=x.dtype)
    key = (slice(None),) * lead + tuple(slice(p, p + n) for n, p in zip(sp, padding))
    out[key] = x
    return out


def windows_raw(
    xp: Any,
    x: Any,
    kernel: tuple,
    dilation: tuple,
    padding: tuple,
    stride: tuple,
    value: float = 0.0,
    gemm: bool = False,
) -> Any:
    """The windows of ``x`` (N, C, *S): (N, C, *K, *L), or (C, *K, N, *L) for ``gemm``.

    On NumPy a strided view (read-only use: callers copy or reduce it); elsewhere a copy.
    """
    nsp = len(kernel)
    if any(padding):
        x = pad_raw(xp, x, padding, value)
    lead = x.ndim - nsp
    sizes = [
        out_size(n, k, s, 0, d) for n, k, s, d in zip(x.shape[lead:], kernel, stride, dilation)
    ]
    if xp is np:
        st = x.strides
        sp = st[lead:]
        shape = tuple(x.shape[:lead]) + tuple(kernel) + tuple(sizes)
        strides = (
            tuple(st[:lead])
            + tuple(a * d for a, d in zip(sp, dilation))
            + tuple(a * s for a, s in zip(sp, stride))
        )
        v = np.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)
    else:
        v = x
        for i in range(nsp):  # (.., S_i, ..) -> (.., K_i, L_i, ..): one slice per kernel tap
            ax = lead + 2 * i
            k, d, s, n = kernel[i], dilation[i], stride[i], sizes[i]
            pre = (slice(None),) * ax
            v = xp.stack(
                [v[pre + (slice(t * d, t * d + (n - 1) * s + 1, s), ...)] for t in range(k)],
                axis=ax,
            )
        perm = tuple(range(lead)) + tuple(lead + 2 * i for i in range(nsp))
        v = xp.permute_dims(v, perm + tuple(lead + 2 * i + 1 for i in range(nsp)))
    if gemm:  # (N, C, K.., L..) -> (C, K.., N, L..)
        ax = list(range(v.ndim))
        v = xp.permute_dims(v, (*ax[1 : 2 + nsp], 0, *ax[2 + nsp :]))
    return v


def _tap_slices(t: tuple, ls: tuple, dilation: tuple, stride: tuple) -> tuple:
    """The positions kernel tap ``t`` reads in each spatial dim: t*d, t*d + s, ..."""
    return tuple(
        slice(ti * d, ti * d + (n - 1) * s + 1, s) for ti, n, d, s in zip(t, ls, dilation, stride)
    )


def windows_copy(
    xp: Any, x: Any, kernel: tuple, dilation: tuple, padding: tuple, stride: tuple, gemm: bool
) -> Any:
    """``windows_raw`` as a fresh contiguous array: on NumPy one slice copy per kernel tap
    (contiguous writes; faster than copying the strided view), elsewhere the stacked slices."""
    if xp is not np:
        v = windows_raw(xp, x, kernel, dilation, padding, stride, gemm=gemm)
        return xp.asarray(v, copy=True)
    nsp = len(kernel)
    if any(padding):
        x = pad_raw(xp, x, padding)
    ls = tuple(out_size(n, k, s, 0, d) for n, k, s, d in zip(x.shape[2:], kernel, stride, dilation))
    n, c = x.shape[0], x.shape[1]
    if gemm:  # (C, K.., N, L..): each tap is a (C, N, L..) block
        out = np.empty((c, *kernel, n, *ls), dtype=x.dtype)
        src = x.transpose(1, 0, *range(2, 2 + nsp))
        for t in np.ndindex(*kernel):
            out[(slice(None), *t)] = src[
                (slice(None), slice(None), *_tap_slices(t, ls, dilation, stride))
            ]
    else:
        out = np.empty((n, c, *kernel, *ls), dtype=x.dtype)
        for t in np.ndindex(*kernel):
            out[(slice(None), slice(None), *t)] = x[
                (Ellipsis, *_tap_slices(t, ls, dilation, stride))
            ]
    return out


def unwindows_raw(
    xp: Any,
    cols: Any,
    size: tuple,
    kernel: tuple,
    dilation: tuple,
    padding: tuple,
    stride: tuple,
    gemm: bool = False,
) -> Any:
    """The adjoint of ``windows_raw``: windows (N, C, *K, *L) (``gemm``: (C, *K, N, *L))
    summed onto (N, C, *size); one strided add per kernel tap (the taps' windows overlap)."""
    nsp = len(kernel)
    lead = cols.ndim - 2 * nsp
    ls = tuple(cols.shape[cols.ndim - nsp :])
    if gemm:  # a canvas (C, N, S..) matching the (C, K.., N, L..) layout, permuted at the end
        c, n = cols.shape[0], cols.shape[1 + nsp]
        canvas = (c, n)
    else:
        canvas = tuple(cols.shape[:lead])
    full = tuple(m + 2 * p for m, p in zip(size, padding))
    out = xp.zeros(canvas + full, dtype=cols.dtype)
    pre = (slice(None),) * (1 if gemm else lead)
    for t in np.ndindex(*kernel):
        key = (slice(None),) * len(canvas) + _tap_slices(t, ls, dilation, stride)
        out[key] += cols[(*pre, *t, ...)]
    if any(padding):
        out = out[(Ellipsis, *(slice(p, p + m) for p, m in zip(padding, size)))]
    if gemm:
        out = xp.permute_dims(out, (1, 0, *range(2, 2 + nsp)))
    return out


# --------------------------------------------------------------------------------------------
# The window records: _im2col and its adjoint _col2im.


def _flat_cols(xp: Any, v: Any, nsp: int, gemm: bool) -> Any:
    """(N, C, K.., L..) -> (N, C*prod(K), prod(L)) as F.unfold lays it out."""
    n, c = v.shape[0], v.shape[1]
    k = math.prod(v.shape[2 : 2 + nsp])
    return xp.reshape(v, (n, c * k, math.prod(v.shape[2 + nsp :])))


def _im2col_fwd(
    xp: Any,
    x: Any,
    *,
    kernel_size: tuple,
    dilation: tuple,
    padding: tuple,
    stride: tuple,
    gemm: bool = False,
    flat: bool = False,
) -> Any:
    v = windows_copy(xp, x, kernel_size, dilation, padding, stride, gemm)
    if flat:
        v = _flat_cols(xp, v, len(kernel_size), gemm)
    return v


def _col2im_fwd(
    xp: Any,
    cols: Any,
    *,
    output_size: tuple,
    kernel_size: tuple,
    dilation: tuple,
    padding: tuple,
    stride: tuple,
    gemm: bool = False,
    flat: bool = False,
) -> Any:
    if flat:
        nsp = len(kernel_size)
        ls = tuple(
            out_size(n, k, s, p, d)
            for n, k, s, p, d in zip(output_size, kernel_size, stride, padding, dilation)
        )
        n = cols.shape[0]
        c = cols.shape[1] // math.prod(kernel_size)
        cols = xp.reshape(cols, (n, c, *kernel_size, *ls))
        del nsp
    return unwindows_raw(xp, cols, output_size, kernel_size, dilation, padding, stride, gemm)


_WIN_PARAMS = (
    ("kernel_size", ()),
    ("dilation", ()),
    ("padding", ()),
    ("stride", ()),
    ("gemm", False),
    ("flat", False),
)


def _im2col_vjp(g: Tensor, ans: Any, x: Any, **kw: Any) -> Tensor:
    nsp = len(kw["kernel_size"])
    return _col2im(g, output_size=tuple(x.shape[-nsp:]), **kw)


def _col2im_vjp(g: Tensor, ans: Any, cols: Any, *, output_size: tuple, **kw: Any) -> Tensor:
    return _im2col(g, **kw)


_im2col = def_op(
    "_im2col",
    forward=_im2col_fwd,
    vjp=_im2col_vjp,
    jvp="linear",
    params=_WIN_PARAMS,
    save=None,
    method=False,
    export=False,
    backward_name="Im2ColBackward0",
    doc="The sliding windows of x (N, C, *S) as (N, C, *K, *L); linear, its vjp is _col2im.",
)

_col2im = def_op(
    "_col2im",
    forward=_col2im_fwd,
    vjp=_col2im_vjp,
    jvp="linear",
    params=(("output_size", ()), *_WIN_PARAMS),
    save=None,
    method=False,
    export=False,
    backward_name="Col2ImBackward0",
    doc="Windows (N, C, *K, *L) summed back onto (N, C, *output_size); the adjoint of _im2col.",
)


# --------------------------------------------------------------------------------------------
# The convolution record.


def _conv_fwd(
    xp: Any,
    x: Any,
    w: Any,
    b: Any,
    *,
    stride: tuple,
    padding: tuple,
    dilation: tuple,
    transposed: bool,
    output_padding: tuple,
    groups: int,
) -> Any:
    nsp = x.ndim - 2
    n, c = x.shape[0], x.shape[1]
    kernel = tuple(w.shape[2:])
    kp = math.prod(kernel)
    if not transposed:
        o = w.shape[0]
        cols = windows_copy(xp, x, kernel, dilation, padding, stride, gemm=True)
        ls = tuple(cols.shape[2 + nsp :])
        cols = xp.reshape(cols, (groups, (c // groups) * kp, n * math.prod(ls)))
        wm = xp.reshape(w, (groups, o // groups, (c // groups) * kp))
        # one group: a 2-D product, NumPy's fastest BLAS path
        out = xp.matmul(wm[0, ...], cols[0, ...]) if groups == 1 else xp.matmul(wm, cols)
        out = xp.permute_dims(xp.reshape(out, (o, n, *ls)), (1, 0, *range(2, 2 + nsp)))
        keep = math.prod(cols.shape) <= _KEEP_COLUMNS and xp is np
    else:
        og = w.shape[1]
        ls = tuple(x.shape[2:])
        size = tuple(
            (li - 1) * s - 2 * p + d * (k - 1) + op + 1
            for li, s, p, d, k, op in zip(ls, stride, padding, dilation, kernel, output_padding)
        )
        wm = xp.reshape(w, (groups, c // groups, og * kp))
        xm = xp.reshape(xp.permute_dims(x, (1, 0, *range(2, 2 + nsp))), (groups, c // groups, -1))
        cols = xp.matmul(xp.permute_dims(wm, (0, 2, 1)), xm)  # (G, Og*K, N*L)
        cols = xp.reshape(cols, (groups * og, *kernel, n, *ls))
        out = unwindows_raw(xp, cols, size, kernel, dilation, padding, stride, gemm=True)
        keep = False
    if b is not None:  # ``out`` is a fresh array: NumPy adds in place
        bb = xp.reshape(b, (-1,) + (1,) * nsp)
        if xp is np:
            out += bb
        else:
            out = out + bb
    return out, (cols if keep else xp.zeros((0,), dtype=x.dtype))


# Note [Saved columns]
# The weight's gradient of a convolution is a product of the incoming gradient with the windows
# of the input (im2col), which the forward has just built: the record returns them as a second,
# non-differentiable output that its rule reads, so backward does not rebuild them (PyTorch's
# own slow_conv2d keeps its "finput" columns the same way). Only up to _KEEP_COLUMNS elements
# (memory), and on NumPy; elsewhere, and under create_graph (the rule must then be
# differentiable in the input), the rule rebuilds them with the _im2col record.
_KEEP_COLUMNS = 1 << 22  # elements: 16 MB of float32


def _leftover(size: tuple, ls: tuple, kernel: tuple, stride: tuple, padding: tuple, dil: tuple):
    """output_padding that makes the transposed convolution of ``ls`` windows ``size`` long."""
    return tuple(
        n + 2 * p - ((li - 1) * s + d * (k - 1) + 1)
        for n, li, k, s, p, d in zip(size, ls, kernel, stride, padding, dil)
    )


def _conv_vjp_input(gs: tuple, ans: Any, x: Any, w: Tensor, b: Any, **kw: Any) -> Any:
    g = gs[0]
    if g is None:
        return None
    stride, padding, dilation = kw["stride"], kw["padding"], kw["dilation"]
    groups = kw["groups"]
    if kw["transposed"]:  # the adjoint of a transposed convolution is the convolution
        return convolution(g, w, None, stride, padding, dilation, False, (0,) * len(stride), groups)
    # the rows past the last window (when the stride skips them) get zeros: output_padding
    # (always < stride) extends the transposed convolution to the input's size
    op = _leftover(
        tuple(x.shape[2:]), tuple(g.shape[2:]), tuple(w.shape[2:]), stride, padding, dilation
    )
    return convolution(g, w, None, stride, padding, dilation, True, op, groups)


def _conv_vjp_weight(gs: tuple, ans: Any, x: Any, w: Any, b: Any, **kw: Any) -> Any:
    g = gs[0]
    if g is None:
        return None
    stride, padding, dilation = kw["stride"], kw["padding"], kw["dilation"]
    groups = kw["groups"]
    kernel = tuple(w.shape[2:])
    nsp = len(kernel)
    win = {"kernel_size": kernel, "dilation": dilation, "padding": padding, "stride": stride}
    perm = (1, 0, *range(2, 2 + nsp))
    # not transposed: gw[o, c, k] = sum_{n, l} g[n, o, l] * windows(x)[c, k, n, l], per group;
    # transposed: gw[c, o, k] = sum_{n, l} x[n, c, l] * windows(g)[o, k, n, l], per group
    a, b = (g, x) if not kw["transposed"] else (x, g)
    saved = ans[1] if ans is not None else None
    if saved is not None and saved.numel() and not is_grad_enabled():  # See Note [Saved columns]
        cols = saved
    else:
        cols = _im2col(b, gemm=True, **win)
        cols = cols.reshape(groups, -1, math.prod(cols.shape[1 + nsp :]))
    am = a.permute(*perm)
    if groups == 1:  # 2-D products run on BLAS with the transpose as a flag (no copy)
        return (am.reshape(a.shape[1], -1) @ cols[0].t()).reshape(w.shape)
    am = am.reshape(groups, a.shape[1] // groups, -1)
    return (am @ cols.transpose(1, 2)).reshape(w.shape)


def _conv_vjp_bias(gs: tuple, ans: Any, x: Any, w: Any, b: Any, **kw: Any) -> Any:
    g = gs[0]
    return None if g is None else g.sum((0, *range(2, g.ndim)))


def _conv_jvp(tangents: tuple, ans: Any, x: Tensor, w: Tensor, b: Any, **kw: Any) -> Any:
    x_t, w_t, b_t = tangents
    args = (kw["stride"], kw["padding"], kw["dilation"], kw["transposed"])
    rest = (kw["output_padding"], kw["groups"])
    out = None
    if x_t is not None:
        out = convolution(x_t, w, None, *args, *rest)
    if w_t is not None:
        t = convolution(x, w_t, None, *args, *rest)
        out = t if out is None else out + t
    if b_t is not None:
        t = b_t.reshape((-1,) + (1,) * (x.ndim - 2))
        out = t if out is None else out + t
    return out, None


def _conv_check(x: Any, w: Any, b: Any, kw: dict, who: str = "convolution") -> None:
    """PyTorch's errors for mismatched shapes (the raw arrays, before any work)."""
    nsp = w.ndim - 2
    stride, padding, dilation = kw["stride"], kw["padding"], kw["dilation"]
    groups, transposed = kw["groups"], kw["transposed"]
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if x.dtype != w.dtype or (b is not None and b.dtype != w.dtype):
        raise RuntimeError(
            f"expected scalar type {_scalar(x)} but found {_scalar(w)}; hint: convert the "
            "input and the weight to one dtype (x.float() or w.double())"
        )
    wshape = list(w.shape)
    if not transposed:
        if w.shape[0] % groups:
            raise RuntimeError(
                f"Given groups={groups}, expected weight to be divisible by {groups} at "
                f"dimension 0, but got weight of size [{wshape}] instead"
            )
        if x.shape[1] != w.shape[1] * groups:
            raise RuntimeError(
                f"Given groups={groups}, weight of size {wshape}, expected input"
                f"{list(x.shape)} to have {w.shape[1] * groups} channels, but got "
                f"{x.shape[1]} channels instead"
            )
        ins = tuple(n + 2 * p for n, p in zip(x.shape[2:], padding))
        ks = tuple(d * (k - 1) + 1 for k, d in zip(w.shape[2:], dilation))
        if any(k > n for k, n in zip(ks, ins)):
            raise RuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, ins))}). "
                f"Kernel size: ({' x '.join(map(str, ks))}). Kernel size can't be greater than "
                "actual input size"
            )
        outc = w.shape[0]
    else:
        if x.shape[1] != w.shape[0]:
            raise RuntimeError(
                f"Given transposed=1, weight of size {wshape}, expected input{list(x.shape)} "
                f"to have {w.shape[0]} channels, but got {x.shape[1]} channels instead"
            )
        if w.shape[0] % groups:
            raise RuntimeError(
                f"Given groups={groups}, expected weight to be divisible by {groups} at "
                f"dimension 0, but got weight of size [{wshape}] instead"
            )
        op = kw["output_padding"]
        if any(a >= s and a >= d for a, s, d in zip(op, stride, dilation)):
            raise RuntimeError(
                "output padding must be smaller than either stride or dilation, but got "
                f"output_padding {list(op)}, stride {list(stride)}, dilation {list(dilation)}"
            )
        outc = w.shape[1] * groups
    if b is not None and (b.ndim != 1 or b.shape[0] != outc):
        raise RuntimeError(
            f"Given weight of size {wshape}, expected bias to be 1-dimensional with {outc} "
            f"elements, but got bias of size {list(b.shape)} instead"
        )
    del nsp, who


def _scalar(a: Any) -> str:
    name = str(getattr(a.dtype, "name", a.dtype)).replace("float64", "Double")
    return {"float32": "Float", "float16": "Half"}.get(name, name)


def _conv_forward(xp: Any, x: Any, w: Any, b: Any, **kw: Any) -> Any:
    _conv_check(x, w, b, kw)
    return _conv_fwd(xp, x, w, b, **kw)


def _conv_ref(x, w, b, stride, padding, dilation, transposed, output_padding, groups):
    """Direct loops over kernel taps in NumPy (independent of the windows above)."""
    nsp = x.ndim - 2
    kernel = w.shape[2:]
    if transposed:
        # conv_transpose = adjoint: out[n, o, s*l + d*k - p] += x[n, c, l] * w[c, o, k]
        ls = x.shape[2:]
        size = [
            (li - 1) * s - 2 * p + d * (k - 1) + op + 1
            for li, s, p, d, k, op in zip(ls, stride, padding, dilation, kernel, output_padding)
        ]
        cg, og = x.shape[1] // groups, w.shape[1]
        full = [n + 2 * p + max(s, d) * 2 for n, p, s, d in zip(size, padding, stride, dilation)]
        out = np.zeros((x.shape[0], og * groups, *full))
        for k in np.ndindex(*kernel):
            for gi in range(groups):
                xs = x[:, gi * cg : (gi + 1) * cg]
                ws = w[(slice(gi * cg, (gi + 1) * cg), slice(None), *k)]
                contrib = np.einsum("nc...,co->no...", xs, ws)
                key = tuple(
                    slice(ki * d, ki * d + (li - 1) * s + 1, s)
                    for ki, d, s, li in zip(k, dilation, stride, ls)
                )
                out[(slice(None), slice(gi * og, (gi + 1) * og), *key)] += contrib
        key = tuple(slice(p, p + n) for p, n in zip(padding, size))
        out = out[(slice(None), slice(None), *key)]
    else:
        xpad = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
        ls = [
            out_size(n, k, s, p, d)
            for n, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation)
        ]
        og, cg = w.shape[0] // groups, w.shape[1]
        out = np.zeros((x.shape[0], w.shape[0], *ls))
        for k in np.ndindex(*kernel):
            key = tuple(
                slice(ki * d, ki * d + (li - 1) * s + 1, s)
                for ki, d, s, li in zip(k, dilation, stride, ls)
            )
            for gi in range(groups):
                xs = xpad[(slice(None), slice(gi * cg, (gi + 1) * cg), *key)]
                ws = w[(slice(gi * og, (gi + 1) * og), slice(None), *k)]
                out[:, gi * og : (gi + 1) * og] += np.einsum("nc...,oc->no...", xs, ws)
    if b is not None:
        out = out + b.reshape((-1,) + (1,) * nsp)
    return out.astype(x.dtype)


def _conv_samples(rng: np.random.Generator, dt: Any) -> list:
    def s(x, w, b, stride=1, padding=0, dilation=1, tr=False, op=0, groups=1, name=""):
        nsp = len(x) - 2
        return Sample(
            (
                rand(rng, x, dt),
                rand(rng, w, dt),
                None if b is None else rand(rng, (b,), dt),
                ntuple(stride, nsp),
                ntuple(padding, nsp),
                ntuple(dilation, nsp),
                tr,
                ntuple(op, nsp),
                groups,
            ),
            name=name,
        )

    return [
        s((2, 2, 4, 4), (3, 2, 2, 2), 3, name="2d"),
        s((1, 2, 5), (2, 1, 3), None, 2, 1, 1, groups=2, name="1d stride groups"),
        s((1, 1, 5, 4), (2, 1, 2, 2), 2, (2, 1), (1, 0), (1, 2), name="2d stride pad dil"),
        s((1, 2, 3, 3), (2, 1, 2, 2), 1, 2, 1, 1, True, 1, name="transposed"),
        s((1, 1, 3, 3, 3), (1, 1, 2, 2, 2), None, name="3d"),
    ]


def _conv_torch(*args: Any, **kw: Any) -> Any:
    import torch

    return torch.convolution(*args, **kw)


_convolution = def_op(
    "_convolution",
    forward=_conv_forward,
    vjp=(_conv_vjp_input, _conv_vjp_weight, _conv_vjp_bias),
    jvp=_conv_jvp,
    inputs=("input", "weight", "bias"),
    params=(
        ("stride", (1,)),
        ("padding", (0,)),
        ("dilation", (1,)),
        ("transposed", False),
        ("output_padding", (0,)),
        ("groups", 1),
    ),
    save_for=((1,), (0,), ()),
    outputs=("output", "columns"),
    diff_outputs=(0,),
    save_outputs=(1,),
    result_name="",
    method=False,
    export=False,
    backward_name="ConvolutionBackward0",
    doc="The convolution record: (output, the saved im2col columns). See Note [Saved columns].",
)


def convolution(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
    dilation: Any,
    transposed: bool,
    output_padding: Any,
    groups: int,
) -> Tensor:
    """torch.convolution: the N-d (transposed) convolution behind conv1d/2d/3d.

    With y = conv(x, w): d/dx = conv_transpose(g, w), d/dw = sum over windows of x times g.
    grad_fn ConvolutionBackward0.
    """
    nsp = weight.ndim - 2
    return _convolution(
        input,
        weight,
        bias,
        ntuple(stride, nsp, "stride"),
        ntuple(padding, nsp, "padding"),
        ntuple(dilation, nsp, "dilation"),
        bool(transposed),
        ntuple(output_padding, nsp, "output_padding"),
        int(groups),
    )[0]


convolution = def_composite(
    "convolution", convolution, samples=_conv_samples, ref=_conv_ref, torch=_conv_torch
)


# --------------------------------------------------------------------------------------------
# conv1d/2d/3d and the transposed ones.


def _batched(input: Tensor, nsp: int, who: str) -> tuple[Tensor, bool]:
    if input.ndim == nsp + 1:
        return input.unsqueeze(0), True
    if input.ndim != nsp + 2:
        raise RuntimeError(
            f"Expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input to {who}, but got "
            f"input of size: {list(input.shape)}"
        )
    return input, False


def _convnd(nsp: int) -> Any:
    who = f"conv{nsp}d"

    def conv(
        input: Tensor,
        weight: Tensor,
        bias: Tensor | None = None,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
    ) -> Tensor:
        x, unbatched = _batched(input, nsp, who)
        stride = ntuple(stride, nsp, "stride")
        dilation = ntuple(dilation, nsp, "dilation")
        if isinstance(padding, str):
            if padding == "valid":
                padding = (0,) * nsp
            elif padding == "same":
                if any(s != 1 for s in stride):
                    raise RuntimeError("padding='same' is not supported for strided convolutions")
                total = [d * (k - 1) for d, k in zip(dilation, weight.shape[2:])]
                padding = tuple(t // 2 for t in total)
                extra = [t - 2 * (t // 2) for t in total]
                if any(extra):  # even kernels: PyTorch pads the extra one on the right
                    pads: list = []
                    for e in reversed(extra):
                        pads += [0, e]
                    x = EXPORTS["constant_pad_nd"](x, tuple(pads))
            else:
                raise RuntimeError(f"Invalid padding string: '{padding}'")
        else:
            padding = ntuple(padding, nsp, "padding")
        out = convolution(x, weight, bias, stride, padding, dilation, False, (0,) * nsp, groups)
        return out.squeeze(0) if unbatched else out

    conv.__name__ = conv.__qualname__ = who
    conv.__doc__ = (
        f"{nsp}-D convolution (cross-correlation) of ``input`` (N, C, *S) or (C, *S) with "
        f"``weight`` (O, C/groups, *K), as torch.nn.functional.{who}; ``padding`` may be an int, "
        "a tuple, 'valid' or 'same'. grad_fn ConvolutionBackward0."
    )
    return conv


def _conv_transposend(nsp: int) -> Any:
    who = f"conv_transpose{nsp}d"

    def conv_t(
        input: Tensor,
        weight: Tensor,
        bias: Tensor | None = None,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        dilation: Any = 1,
    ) -> Tensor:
        x, unbatched = _batched(input, nsp, who)
        out = convolution(
            x,
            weight,
            bias,
            ntuple(stride, nsp, "stride"),
            ntuple(padding, nsp, "padding"),
            ntuple(dilation, nsp, "dilation"),
            True,
            ntuple(output_padding, nsp, "output_padding"),
            groups,
        )
        return out.squeeze(0) if unbatched else out

    conv_t.__name__ = conv_t.__qualname__ = who
    conv_t.__doc__ = (
        f"{nsp}-D transposed convolution of ``input`` (N, C, *S) with ``weight`` "
        f"(C, O/groups, *K), as torch.nn.functional.{who}: the adjoint of conv{nsp}d w.r.t. its "
        "input. grad_fn ConvolutionBackward0."
    )
    return conv_t


def _s(*args: Any, name: str = "", **kw: Any) -> Sample:
    return Sample(tuple(args), kw, name=name)


def _conv1d_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 2, 5), dt), rand(rng, (3, 2, 2), dt), rand(rng, (3,), dt), name="bias"),
        _s(
            rand(rng, (2, 5), dt),
            rand(rng, (2, 1, 2), dt),
            None,
            padding="same",
            groups=2,
            name="unbatched same even",
        ),
        _s(rand(rng, (1, 1, 6), dt), rand(rng, (1, 1, 2), dt), stride=2, dilation=2, padding=1),
    ]


def _conv2d_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(
            rand(rng, (1, 2, 4, 4), dt),
            rand(rng, (2, 2, 2, 2), dt),
            rand(rng, (2,), dt),
            stride=2,
            padding=1,
            name="stride pad",
        ),
        _s(
            rand(rng, (1, 2, 4, 3), dt),
            rand(rng, (2, 1, 2, 2), dt),
            padding="same",
            groups=2,
            dilation=(1, 2),
            name="same groups",
        ),
        _s(
            rand(rng, (2, 3, 3), dt), rand(rng, (1, 2, 3, 3), dt), padding="valid", name="unbatched"
        ),
    ]


def _conv3d_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (1, 1, 3, 3, 3), dt), rand(rng, (2, 1, 2, 2, 2), dt), rand(rng, (2,), dt)),
        _s(
            rand(rng, (2, 3, 3, 3), dt),
            rand(rng, (1, 2, 2, 1, 2), dt),
            padding=(1, 0, 0),
            stride=(2, 1, 1),
            name="unbatched",
        ),
    ]


def _conv_t1d_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(
            rand(rng, (2, 2, 3), dt),
            rand(rng, (2, 3, 2), dt),
            rand(rng, (3,), dt),
            stride=2,
            output_padding=1,
        ),
        _s(
            rand(rng, (2, 3), dt),
            rand(rng, (2, 1, 3), dt),
            None,
            1,
            1,
            0,
            2,
            2,
            name="unbatched groups dilation",
        ),
    ]


def _conv_t2d_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(
            rand(rng, (1, 2, 3, 2), dt),
            rand(rng, (2, 2, 2, 2), dt),
            rand(rng, (4,), dt),
            stride=(2, 1),
            padding=(1, 0),
            groups=2,
            name="stride pad groups",
        ),
        _s(
            rand(rng, (1, 1, 2, 2), dt),
            rand(rng, (1, 1, 2, 2), dt),
            stride=3,
            output_padding=1,
            dilation=2,
            name="output_padding",
        ),
    ]


def _conv_t3d_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(
            rand(rng, (1, 1, 2, 2, 2), dt),
            rand(rng, (1, 2, 2, 2, 2), dt),
            rand(rng, (2,), dt),
            stride=(1, 2, 1),
        ),
    ]


for _n, _make, _samples in (
    (1, _convnd, _conv1d_samples),
    (2, _convnd, _conv2d_samples),
    (3, _convnd, _conv3d_samples),
    (1, _conv_transposend, _conv_t1d_samples),
    (2, _conv_transposend, _conv_t2d_samples),
    (3, _conv_transposend, _conv_t3d_samples),
):
    _f = _make(_n)
    _pub = def_composite(f"nn.functional.{_f.__name__}", _f, samples=_samples)
    EXPORTS[_f.__name__] = _pub  # torch.conv2d, torch.conv_transpose2d, ...
    globals()[_f.__name__] = _pub

conv1d: Any
conv2d: Any
conv3d: Any
conv_transpose1d: Any
conv_transpose2d: Any
conv_transpose3d: Any


# --------------------------------------------------------------------------------------------
# unfold (im2col) and fold (col2im): F.unfold / F.fold, 4-D (or 3-D unbatched) only.


def _win_args(kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> dict:
    return {
        "kernel_size": ntuple(kernel_size, 2, "kernel_size"),
        "dilation": ntuple(dilation, 2, "dilation"),
        "padding": ntuple(padding, 2, "padding"),
        "stride": ntuple(stride, 2, "stride"),
    }


def unfold(
    input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """The sliding blocks of ``input`` (N, C, H, W) as columns (N, C*kh*kw, L) (im2col).

    Linear; its vjp is ``fold``. grad_fn Im2ColBackward0.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.arange(16.0).reshape(1, 1, 4, 4)
        >>> ndgrad.nn.functional.unfold(x, 2, stride=2)[0, :, 0]
        tensor([0., 1., 4., 5.])
    """
    if input.ndim not in (3, 4):
        raise RuntimeError(
            "Input Error: Only 3D or 4D input Tensors are supported (got "
            f"{input.ndim}D); hint: F.unfold takes (N, C, H, W) or (C, H, W)"
        )
    kw = _win_args(kernel_size, dilation, padding, stride)
    x, unbatched = (input.unsqueeze(0), True) if input.ndim == 3 else (input, False)
    ins = [n + 2 * p for n, p in zip(x.shape[2:], kw["padding"])]
    ks = [d * (k - 1) + 1 for k, d in zip(kw["kernel_size"], kw["dilation"])]
    if any(k > n for k, n in zip(ks, ins)):
        raise RuntimeError(
            f"Given input with spatial size ({x.shape[2]}, {x.shape[3]}), kernel_size="
            f"{kw['kernel_size']}, dilation={kw['dilation']}, padding={kw['padding']}, "
            "calculated shape of the array of sliding blocks is non-positive; hint: use a "
            "smaller kernel or more padding"
        )
    out = _im2col(x, flat=True, **kw)
    return out.squeeze(0) if unbatched else out


def fold(
    input: Tensor,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """Columns (N, C*kh*kw, L) summed back onto an image (N, C, *output_size) (col2im).

    The adjoint of ``unfold``: overlapping blocks add up. grad_fn Col2ImBackward0.
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(
            "Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
            f"(got {input.ndim}D)"
        )
    kw = _win_args(kernel_size, dilation, padding, stride)
    size = ntuple(output_size, 2, "output_size")
    x, unbatched = (input.unsqueeze(0), True) if input.ndim == 2 else (input, False)
    kp = math.prod(kw["kernel_size"])
    if x.shape[1] % kp:
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size="
            f"{kw['kernel_size']}"
        )
    ls = [
        out_size(n, k, s, p, d)
        for n, k, s, p, d in zip(
            size, kw["kernel_size"], kw["stride"], kw["padding"], kw["dilation"]
        )
    ]
    if x.shape[2] != math.prod(ls):
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={kw['kernel_size']}, dilation="
            f"{kw['dilation']}, padding={kw['padding']}, stride={kw['stride']}, expected size of "
            f"input's dimension 2 to match the calculated number of sliding blocks {ls[0]} * "
            f"{ls[1]} = {math.prod(ls)}, but got input.size(2)={x.shape[2]}."
        )
    out = _col2im(x, output_size=size, flat=True, **kw)
    return out.squeeze(0) if unbatched else out


def _unfold_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 2, 3, 4), dt), 2, name="plain"),
        _s(
            rand(rng, (1, 4, 4), dt),
            (2, 3),
            dilation=(1, 1),
            padding=1,
            stride=(2, 1),
            name="unbatched pad stride",
        ),
        _s(rand(rng, (1, 1, 5, 5), dt), 2, dilation=2, stride=2, name="dilation"),
    ]


def _fold_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 4, 6), dt), (3, 4), 2, name="overlap"),
        _s(rand(rng, (6, 4), dt), (3, 3), (2, 3), padding=1, stride=2, name="unbatched"),
    ]


unfold = def_composite("nn.functional.unfold", unfold, samples=_unfold_samples)
fold = def_composite("nn.functional.fold", fold, samples=_fold_samples)
