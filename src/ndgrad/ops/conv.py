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
At stride 1 the transposed convolution (the input's gradient) adds whole flattened rows per tap
(Note [Wide rows]).
Argument parsing, PyTorch's errors, the NumPy reference and the samples live in conv_checks.py.

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
from .conv_checks import (
    _conv1d_samples,
    _conv2d_samples,
    _conv3d_samples,
    _conv_check,
    _conv_ref,
    _conv_samples,
    _conv_t1d_samples,
    _conv_t2d_samples,
    _conv_t3d_samples,
    _conv_torch,
    _fold_samples,
    _unfold_samples,
    ntuple,
    out_size,
)
from .elementwise import _cj
from .registry import EXPORTS, def_composite, def_op

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
# Raw windows (backend arrays): the forward code of the records below.

# Note [Scratch arrays]
# The convolution's large work arrays (columns, products, canvases) are fresh NumPy arrays each
# call. Reusing them across calls would save page faults (measured: ~2000 per LeNet step, a few
# ms), but deciding that an array is free again would rest on CPython's reference counts, which
# CPython documents as unstable (STYLE.md, habit 14): an array may be reused only where the code
# itself can prove that nothing else holds it. ``scratch`` is the one place to add such reuse.


def scratch(tag: str, shape: tuple, dtype: Any) -> np.ndarray:
    """An uninitialised NumPy array ``shape`` for the work ``tag``. See Note [Scratch arrays]."""
    return np.empty(shape, dtype=dtype)


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
        out = scratch("cols", (c, *kernel, n, *ls), x.dtype)
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


# Note [Wide rows]
# At stride 1 on NumPy, the transposed convolution (the input's gradient of a convolution) works
# on a "wide" grid: its input (L_1, .., L_n) is placed, zero filled, on (L_1, S_2, .., S_n) over
# the output sizes S, i.e. every row as long as the output's. On that grid, kernel tap t lands
# at flat output position p + off_t (off_t = sum_i t_i d_i place_i), so col2im is one
# contiguous slice add per tap: long inner loops instead of one per row (measured: 2x faster
# for LeNet's second layer). The zero columns add zeros (zeros times a non-finite weight would
# give NaN: that case takes the plain path). The same trick for the forward's im2col measured
# slower: its wide output, cut to L, leaves strided views that slow the ops after it.


def _wide_plan(sp: tuple, kernel: tuple, dilation: tuple) -> tuple:
    """(output sizes L, wide positions P, tap offsets) for a stride-1 window over sizes ``sp``."""
    ls = tuple(n - d * (k - 1) for n, k, d in zip(sp, kernel, dilation))
    place = [math.prod(sp[i + 1 :]) for i in range(len(sp))]
    offs = [sum(ti * d * m for ti, d, m in zip(t, dilation, place)) for t in np.ndindex(*kernel)]
    return ls, ls[0] * place[0], offs


def wide_uncols(cols: np.ndarray, sp: tuple, kernel: tuple, dilation: tuple) -> np.ndarray:
    """Wide-grid columns (C, prod(K), N, P) summed onto the canvas (C, N, *sp) (col2im at
    stride 1, no padding). See Note [Wide rows]."""
    c, n, p = cols.shape[0], cols.shape[2], cols.shape[3]
    _, _, offs = _wide_plan(sp, kernel, dilation)
    total = math.prod(sp)
    canvas = scratch("canvas", (c, n, max(p + offs[-1], total)), cols.dtype)
    canvas.fill(0)
    for i, o in enumerate(offs):
        canvas[:, :, o : o + p] += cols[:, i]
    return np.reshape(canvas[:, :, :total], (c, n, *sp))


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
    complex=True,
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
    complex=True,
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
    wide = xp is np and all(s == 1 for s in stride) and x.size > 0
    if (
        transposed
        and wide
        and not any(output_padding)
        and np.isfinite(w).all()
        and all(
            m + d * (k - 1) - 2 * q > 0
            for m, d, k, q in zip(x.shape[2:], dilation, kernel, padding)
        )
    ):  # See Note [Wide rows]
        og = w.shape[1]
        ls = tuple(x.shape[2:])
        sp = tuple(m + d * (k - 1) for m, d, k in zip(ls, dilation, kernel))
        xw = scratch("wide", (c, n, ls[0], *sp[1:]), x.dtype)
        xw.fill(0)
        xw[(Ellipsis, *(slice(m) for m in ls[1:]))] = x.transpose(1, 0, *range(2, 2 + nsp))
        wm = np.reshape(w, (groups, c // groups, og * kp)).transpose(0, 2, 1)
        xw = np.reshape(xw, (groups, c // groups, -1))
        cols = scratch("tcols", (groups, og * kp, xw.shape[2]), x.dtype)
        if groups == 1:  # a 2-D product, NumPy's fastest BLAS path
            np.matmul(wm[0], xw[0], out=cols[0])
        else:
            np.matmul(wm, xw, out=cols)
        cols = np.reshape(cols, (groups * og, kp, n, -1))
        out = wide_uncols(cols, sp, kernel, dilation)
        if any(padding):
            out = out[(Ellipsis, *(slice(q, m - q) for q, m in zip(padding, sp)))]
        out = out.transpose(1, 0, *range(2, 2 + nsp))
        keep = False
    elif not transposed:
        o = w.shape[0]
        cols = windows_copy(xp, x, kernel, dilation, padding, stride, gemm=True)
        ls = tuple(cols.shape[2 + nsp :])
        cols = xp.reshape(cols, (groups, (c // groups) * kp, n * math.prod(ls)))
        wm = xp.reshape(w, (groups, o // groups, (c // groups) * kp))
        if xp is np and groups == 1:  # a 2-D product, NumPy's fastest BLAS path
            out = np.matmul(wm[0], cols[0], out=scratch("out", (o, cols.shape[2]), x.dtype))
        else:
            out = xp.matmul(wm, cols)
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
    w = _cj(w)  # complex: the adjoint uses conj(w) (See Note [Complex gradients])
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
    # transposed: gw[c, o, k] = sum_{n, l} x[n, c, l] * windows(g)[o, k, n, l], per group;
    # complex: x conjugated (See Note [Complex gradients])
    x = _cj(x)
    a, b = (g, x) if not kw["transposed"] else (x, g)
    saved = ans[1] if ans is not None else None
    if saved is not None and saved.numel() and not is_grad_enabled():  # See Note [Saved columns]
        cols = _cj(saved)
    else:
        cols = _im2col(b, gemm=True, **win)
        # sizes spelled out, not -1: an empty batch has no elements to infer them from
        ck = cols.shape[0] * math.prod(kernel) // groups
        cols = cols.reshape(groups, ck, math.prod(cols.shape[1 + nsp :]))
    am = a.permute(*perm)
    rest = a.shape[0] * math.prod(a.shape[2:])
    if groups == 1:  # 2-D products run on BLAS with the transpose as a flag (no copy)
        return (am.reshape(a.shape[1], rest) @ cols[0].t()).reshape(w.shape)
    am = am.reshape(groups, a.shape[1] // groups, rest)
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


def _conv_forward(xp: Any, x: Any, w: Any, b: Any, **kw: Any) -> Any:
    _conv_check(x, w, b, kw)
    return _conv_fwd(xp, x, w, b, **kw)


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
    complex=True,
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


for _n, _make, _samples in (
    (1, _convnd, _conv1d_samples),
    (2, _convnd, _conv2d_samples),
    (3, _convnd, _conv3d_samples),
    (1, _conv_transposend, _conv_t1d_samples),
    (2, _conv_transposend, _conv_t2d_samples),
    (3, _conv_transposend, _conv_t3d_samples),
):
    _f = _make(_n)
    _pub = def_composite(f"nn.functional.{_f.__name__}", _f, samples=_samples, complex=True)
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


unfold = def_composite("nn.functional.unfold", unfold, samples=_unfold_samples, complex=True)
fold = def_composite("nn.functional.fold", fold, samples=_fold_samples, complex=True)
