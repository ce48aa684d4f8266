"""Resampling of ``ndgrad.nn.functional``: pad, interpolate, grid_sample, pixel_shuffle.

``constant_pad_nd`` (``torch.constant_pad_nd``, grad_fn ``ConstantPadNdBackward0``) is a record:
its vjp is the same op with the pads negated (a crop), so second order is free. The other pad
modes gather with one index vector per padded dim (``index_select``); ``interpolate`` gathers
(nearest) or applies one small interpolation matrix per spatial dim (linear modes), in the
``_resample`` record, whose adjoint ``_resample_t`` is its vjp. No loop runs over positions.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any

import numpy as np

from .. import _backend
from .._core.tensor import Tensor
from .registry import EXPORTS, NAMESPACE_ALIASES, Sample, def_composite, def_op, to_tensor
from .samples import rand

__all__ = ["constant_pad_nd", "pad", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle"]


# --------------------------------------------------------------------------------------------
# constant_pad_nd and pad.


def _pairs(pad: tuple, ndim: int) -> list:
    """PyTorch's pad tuple (last dim first) as ``[(before, after)]`` for every dim of x."""
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {ndim}"
        )
    out = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        out[ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return out


def _cpad_fwd(xp: Any, x: Any, *, pad: tuple, value: float = 0.0) -> Any:
    pairs = _pairs(pad, x.ndim)
    shape = tuple(n + a + b for n, (a, b) in zip(x.shape, pairs))
    if any(n < 0 for n in shape):
        raise RuntimeError(
            f"The input size {list(x.shape)}, plus negative padding {list(pad)} resulted in a "
            f"negative output size, which is invalid. Check dimension sizes of your input."
        )
    out = xp.full(shape, value, dtype=x.dtype)
    dst = tuple(
        slice(max(a, 0), max(a, 0) + max(n + min(a, 0) + min(b, 0), 0))
        for n, (a, b) in zip(x.shape, pairs)
    )
    src = tuple(slice(max(-a, 0), n - max(-b, 0)) for n, (a, b) in zip(x.shape, pairs))
    if all(s.stop > s.start for s in dst):
        out[dst] = x[src]
    return out


def _cpad_vjp(g: Tensor, ans: Any, x: Any, *, pad: tuple, value: float = 0.0) -> Tensor:
    return constant_pad_nd(g, tuple(-p for p in pad))


def _cpad_jvp(tangents: tuple, ans: Any, x: Any, *, pad: tuple, value: float = 0.0) -> Tensor:
    return constant_pad_nd(tangents[0], pad)  # the pad value is a constant: tangent zero there


def _cpad_ref(x: np.ndarray, pad: tuple, value: float = 0.0) -> np.ndarray:
    pairs = _pairs(pad, x.ndim)
    crop = tuple(slice(max(-a, 0), n - max(-b, 0)) for n, (a, b) in zip(x.shape, pairs))
    x = x[crop]
    return np.pad(x, [(max(a, 0), max(b, 0)) for a, b in pairs], constant_values=value)


constant_pad_nd = def_op(
    "constant_pad_nd",
    forward=_cpad_fwd,
    vjp=_cpad_vjp,
    jvp=_cpad_jvp,
    params=(("pad", ()), ("value", 0.0)),
    save=None,
    method=False,
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt), (1, 2)), name="last dim"),
        Sample((rand(rng, (1, 2, 3), dt), (1, 0, 2, 1)), {"value": 1.5}, name="value"),
        Sample((rand(rng, (2, 4), dt), (-1, 2, 1, -1)), name="negative"),
    ],
    ref=_cpad_ref,
    complex=True,
    doc="x padded with ``value`` (negative pads crop); pad is (last_before, last_after, ...). "
    "d/dx: g cropped back (the same op with the pads negated).",
)


def _modes_error(n: int, ndim: int) -> NotImplementedError:
    return NotImplementedError(
        f"Padding size {n} is not supported for {ndim}D input tensor.\n"
        "Supported combinations for non-constant padding:\n"
        "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
        "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
        "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
    )


def _gather_index(mode: str, n: int, a: int, b: int) -> np.ndarray:
    j = np.arange(-a, n + b)
    if mode == "reflect":
        j = np.abs(j)
        return np.where(j > n - 1, 2 * (n - 1) - j, j)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    lo, hi = max(-a, 0), n - max(-b, 0)  # circular wraps within the cropped source (PyTorch)
    return lo + np.mod(np.arange(-max(a, 0), hi - lo + max(b, 0)), hi - lo)


def _index_like(x: Tensor, idx: np.ndarray) -> Tensor:
    """An int64 index tensor on the backend of ``x`` (array-api-strict tests included)."""
    return to_tensor(_backend.asarray(_backend.namespace(x._data), idx.astype(np.int64)))


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad ``input``: ``pad`` = (last_before, last_after, 2nd_last_before, ...), as F.pad.

    Modes: 'constant' (``value``, default 0; negative pads crop), 'reflect', 'replicate',
    'circular' (the last 1-3 dims of a batched or unbatched input).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.functional.pad(ndgrad.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
        tensor([[3., 2., 1., 2., 3., 2.]])
    """
    pad = tuple(int(p) for p in pad)
    if isinstance(value, complex):  # PyTorch's F.pad takes a float value only
        raise TypeError(
            "pad(): argument 'value' (position 4) must be float, not complex; hint: "
            "ndgrad.constant_pad_nd(input, pad, value) takes a complex value"
        )
    if mode == "constant":
        return constant_pad_nd(input, pad, 0.0 if value is None else float(value))
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if len(pad) % 2 or k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise _modes_error(len(pad), input.ndim)
    out = input
    for i in range(k):
        d = input.ndim - 1 - i
        a, b = pad[2 * i], pad[2 * i + 1]
        n = input.shape[d]
        if mode == "reflect" and (a >= n or b >= n):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({a}, {b}) at dimension {d} of input "
                f"{list(input.shape)}"
            )
        if mode == "circular" and (a > n or b > n):
            raise RuntimeError(
                "Padding value causes wrapping around more than once; hint: pad at most the "
                "size of the dimension"
            )
        if mode == "replicate" and n == 0:
            raise RuntimeError("input tensor must be non-empty for replicate padding")
        if a == 0 and b == 0:
            continue
        idx = _index_like(input, _gather_index(mode, n, a, b))
        out = out.index_select(d, idx)
    return out


def _pad_samples(rng: np.random.Generator, dt: Any) -> list:
    def s(shape, p, mode="constant", **kw):
        return Sample((rand(rng, shape, dt), p, mode), kw, name=f"{mode} {shape}")

    return [
        s((1, 2, 3), (1, 2), value=0.5),
        s((2, 3), (2, 1), "reflect"),
        s((1, 1, 3, 3), (1, 2, 2, 1), "reflect"),
        s((1, 3, 2), (2, 1, 0, 3), "replicate"),
        s((1, 1, 2, 2, 3), (1, 1, 1, 0, 0, 2), "replicate"),
        s((1, 2, 3), (3, 1), "circular"),
        s((1, 2, 3), (1, -1, 1, 2), "circular"),
    ]


pad = def_composite("nn.functional.pad", pad, samples=_pad_samples, complex=True)


# --------------------------------------------------------------------------------------------
# pixel_shuffle, pixel_unshuffle, channel_shuffle: reshapes and permutes.


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): out[c, h*r+i, w*r+j] = x[c*r*r + i*r + j, h, w]."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    nl = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(nl), nl, nl + 3, nl + 1, nl + 4, nl + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W): the inverse of ``pixel_shuffle``."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(
            "pixel_unshuffle expects height and width to be divisible by downscale_factor, but "
            f"input.size(-2)={h} and input.size(-1)={w} are not divisible by {r}"
        )
    nl = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(nl), nl, nl + 2, nl + 4, nl + 1, nl + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with C = g*k -> channels reordered as (k, g): out[:, i*g + j] = x[:, j*k + i]."""
    g = int(groups)
    if g <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{g}"
        )
    if input.ndim < 3:
        raise RuntimeError(
            f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    n, c, *rest = input.shape
    if c % g:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {g} groups."
        )
    x = input.reshape(n, g, c // g, *rest).transpose(1, 2)
    return x.reshape(n, c, *rest)


pixel_shuffle = def_composite(
    "nn.functional.pixel_shuffle",
    pixel_shuffle,
    samples=lambda rng, dt: [
        Sample((rand(rng, (1, 8, 2, 3), dt), 2)),
        Sample((rand(rng, (9, 1, 2), dt), 3), name="unbatched"),
    ],
    complex=True,
)
pixel_unshuffle = def_composite(
    "nn.functional.pixel_unshuffle",
    pixel_unshuffle,
    samples=lambda rng, dt: [
        Sample((rand(rng, (1, 2, 4, 2), dt), 2)),
        Sample((rand(rng, (2, 1, 3, 3), dt), 3), name="batch"),
    ],
    complex=True,
)
channel_shuffle = def_composite(
    "nn.functional.channel_shuffle",
    channel_shuffle,
    samples=lambda rng, dt: [Sample((rand(rng, (1, 6, 2), dt), 2))],
    complex=True,
)
EXPORTS["pixel_shuffle"] = pixel_shuffle
EXPORTS["pixel_unshuffle"] = pixel_unshuffle
EXPORTS["channel_shuffle"] = channel_shuffle


# --------------------------------------------------------------------------------------------
# Separable linear resampling: y = A_1 x along the first spatial dim, A_2 along the second, ...
# (interpolation, adaptive average pooling). A pair of records, each the other's vjp.


def _along(xp: Any, x: Any, ax: int, a: Any) -> Any:
    """``a`` (m, n) applied along axis ``ax`` of ``x`` (size n there, m after)."""
    y = xp.tensordot(x, a, axes=([ax], [1]))
    return xp.moveaxis(y, -1, ax) if ax != x.ndim - 1 else y


def separable(name: str, backward_name: str, matrix: Any, index: Any = None) -> Any:
    """Records ``name(x, size, opts)`` and its adjoint ``name + '_backward'``.

    ``matrix(n, m, dim, opts)`` gives the (m, n) NumPy matrix of spatial dim ``dim`` (input
    size n, output size m); ``index(n, m, dim, opts)``, when given, says the matrix is one-hot
    and the forward gathers ``x`` at those indices instead (exact, inf and nan stay put).
    """
    cached = functools.lru_cache(maxsize=512)(matrix)

    def mats(xp: Any, dtype: Any, ins: tuple, outs: tuple, opts: tuple) -> list:
        return [
            xp.asarray(cached(n, m, i, opts), dtype=dtype)
            for i, (n, m) in enumerate(zip(ins, outs))
        ]

    def fwd(xp: Any, x: Any, *, size: tuple, opts: tuple = ()) -> Any:
        nsp = len(size)
        lead = x.ndim - nsp
        ins = tuple(x.shape[lead:])
        if index is not None:
            for i, (n, m) in enumerate(zip(ins, size)):
                idx = _backend.asarray(xp, np.asarray(index(n, m, i, opts), dtype=np.int64))
                x = xp.take(x, idx, axis=lead + i)
            return x
        for i, a in enumerate(mats(xp, x.dtype, ins, size, opts)):
            x = _along(xp, x, lead + i, a)
        return x

    def adj(xp: Any, g: Any, *, size: tuple, opts: tuple = ()) -> Any:
        nsp = len(size)
        lead = g.ndim - nsp
        outs = tuple(g.shape[lead:])
        for i, a in enumerate(mats(xp, g.dtype, size, outs, opts)):
            g = _along(xp, g, lead + i, xp.permute_dims(a, (1, 0)))
        return g

    def vjp(g: Tensor, ans: Any, x: Any, *, size: tuple, opts: tuple = ()) -> Tensor:
        return backward(g, size=tuple(x.shape[len(x.shape) - len(size) :]), opts=opts)

    def adj_vjp(g: Tensor, ans: Any, x: Any, *, size: tuple, opts: tuple = ()) -> Tensor:
        return forward(g, size=tuple(x.shape[len(x.shape) - len(size) :]), opts=opts)

    common = {
        "params": (("size", ()), ("opts", ())),
        "save": None,
        "jvp": "linear",
        "method": False,
        "export": False,
    }
    forward = def_op(
        name,
        forward=fwd,
        vjp=vjp,
        backward_name=backward_name,
        **common,
        doc=f"{backward_name[:-9]}: one linear map per spatial dim.",
    )
    backward = def_op(
        f"{name}_backward",
        forward=adj,
        vjp=adj_vjp,
        backward_name=backward_name[:-1] + "Backward0",
        inputs=("grad_output",),
        **common,
        doc=f"The adjoint of {name} (its vjp).",
    )
    return forward


# --------------------------------------------------------------------------------------------
# interpolate: PyTorch's source-index formulas, one matrix (or index vector) per spatial dim.


def _inv_scale(n: int, m: int, scale: Any, dtype: Any = np.float64) -> Any:
    """PyTorch's ``compute_scales_value``: 1/scale_factor when given, else in/out."""
    if scale is not None and scale > 0:
        return dtype(1.0 / scale)
    return dtype(n) / dtype(m)


def _nearest_index(n: int, m: int, dim: int, opts: tuple) -> np.ndarray:
    exact, scales = opts
    j = np.arange(m)
    if m == n and not exact:
        return j
    if m == 2 * n and not exact:
        return j >> 1
    s = _inv_scale(n, m, scales[dim], np.float32)  # PyTorch computes this in float32
    src = np.floor(((j + np.float32(0.5)) if exact else j).astype(np.float32) * s)
    return np.minimum(src.astype(np.int64), n - 1)


def _nearest_matrix(n: int, m: int, dim: int, opts: tuple) -> np.ndarray:
    return (_nearest_index(n, m, dim, opts)[:, None] == np.arange(n)).astype(np.float64)


def _source(n: int, m: int, align: bool, scale: Any, cubic: bool) -> np.ndarray:
    j = np.arange(m, dtype=np.float64)
    if align:
        return j * ((n - 1) / (m - 1) if m > 1 else 0.0)
    src = _inv_scale(n, m, scale) * (j + 0.5) - 0.5
    return src if cubic else np.maximum(src, 0.0)


def _linear_matrix(n: int, m: int, dim: int, opts: tuple) -> np.ndarray:
    align, scales = opts
    src = _source(n, m, align, scales[dim], False)
    i0 = np.floor(src).astype(np.int64)
    i0 = np.minimum(i0, n - 1)
    lam = src - i0
    i1 = np.where(i0 < n - 1, i0 + 1, i0)
    a = np.zeros((m, n))
    np.add.at(a, (np.arange(m), i0), 1.0 - lam)
    np.add.at(a, (np.arange(m), i1), lam)
    return a


def _cubic_matrix(n: int, m: int, dim: int, opts: tuple) -> np.ndarray:
    align, scales = opts
    src = _source(n, m, align, scales[dim], True)
    i = np.floor(src).astype(np.int64)
    t = src - i
    A = -0.75  # noqa: N806 - the cubic convolution constant of Keys (1981), as PyTorch

    def near(x: np.ndarray) -> np.ndarray:
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x: np.ndarray) -> np.ndarray:
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    coeffs = (far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t))
    a = np.zeros((m, n))
    for k, c in enumerate(coeffs):  # four taps, clamped at the borders as PyTorch reads them
        np.add.at(a, (np.arange(m), np.clip(i - 1 + k, 0, n - 1)), c)
    return a


_UPSAMPLE: dict = {}


def _upsample_record(kind: str, nsp: int) -> Any:
    key = (kind, nsp)
    if key not in _UPSAMPLE:
        names = {
            "nearest": "Nearest",
            "nearest-exact": "NearestExact",
            "linear": "Linear",
            "bilinear": "Bilinear",
            "trilinear": "Trilinear",
            "bicubic": "Bicubic",
        }
        bname = f"Upsample{names[kind]}{nsp}DBackward0"
        if kind.startswith("nearest"):
            rec = separable(
                f"_upsample_{kind.replace('-', '_')}{nsp}d", bname, _nearest_matrix, _nearest_index
            )
        else:
            mat = _cubic_matrix if kind == "bicubic" else _linear_matrix
            rec = separable(f"_upsample_{kind}{nsp}d", bname, mat)
        _UPSAMPLE[key] = rec
    return _UPSAMPLE[key]


for _kind, _dims in (
    ("nearest", (1, 2, 3)),
    ("nearest-exact", (1, 2, 3)),
    ("linear", (1,)),
    ("bilinear", (2,)),
    ("trilinear", (3,)),
    ("bicubic", (2,)),
):
    for _d in _dims:
        _upsample_record(_kind, _d)

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_NEEDS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def interpolate(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of ``input`` (N, C, *S) to ``size`` or ``S * scale_factor``.

    Modes: 'nearest', 'nearest-exact', 'linear' (3-D), 'bilinear' / 'bicubic' (4-D),
    'trilinear' (5-D), 'area' (adaptive average pooling), with PyTorch's source-index formulas
    (``align_corners``; ``recompute_scale_factor``). Linear in ``input``.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([[[1.0, 2.0]]])
        >>> ndgrad.nn.functional.interpolate(x, scale_factor=2, mode="linear")
        tensor([[[1.0000, 1.2500, 1.7500, 2.0000]]])
    """
    nsp = input.ndim - 2
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )
    if (
        mode not in _NEEDS
        and mode not in ("nearest", "area", "nearest-exact")
        or nsp
        not in (
            1,
            2,
            3,
        )
    ):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            f"the modes: {_MODES} (got {mode})"
        )
    if mode in _NEEDS and input.ndim != _NEEDS[mode]:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {_NEEDS[mode]}D input"
        )
    if antialias:
        raise NotImplementedError(
            "interpolate: antialias=True is not implemented in ndgrad; hint: leave antialias "
            "False, or smooth with avg_pool2d before downsampling"
        )
    sp = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        out = (int(size),) * nsp if isinstance(size, (int, np.integer)) else tuple(map(int, size))
        if len(out) != nsp:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got input "
                f"with spatial dimensions of {list(sp)} and output size of {tuple(size)}. Please "
                "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, "
                "o2, ...,oK) format."
            )
        scales: tuple = (None,) * nsp
    elif scale_factor is not None:
        sf = (
            (float(scale_factor),) * nsp
            if isinstance(scale_factor, (int, float))
            else tuple(map(float, scale_factor))
        )
        if len(sf) != nsp:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(sp)} and scale_factor of shape "
                f"{tuple(scale_factor)}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                "format and scale_factor in (s1, s2, ...,sK) format."
            )
        out = tuple(int(math.floor(float(n) * f)) for n, f in zip(sp, sf))
        scales = (None,) * nsp if recompute_scale_factor else sf
    else:
        raise ValueError("either size or scale_factor should be defined")
    if any(m <= 0 for m in out):
        raise RuntimeError(
            "Input and output sizes should be greater than 0, but got input "
            f"({', '.join(map(str, sp))}) and output ({', '.join(map(str, out))})"
        )
    if mode == "area":
        return EXPORTS_NN["adaptive_avg_pool"][nsp](input, out)
    if mode.startswith("nearest"):
        return _upsample_record(mode, nsp)(input, size=out, opts=(mode == "nearest-exact", scales))
    align = bool(align_corners)
    if align:
        scales = (None,) * nsp
    return _upsample_record(mode, nsp)(input, size=out, opts=(align, scales))


EXPORTS_NN: dict = {"adaptive_avg_pool": {}}  # pooling.py registers its functions here


def _interp_samples(rng: np.random.Generator, dt: Any) -> list:
    def s(shape, name="", **kw):
        return Sample((rand(rng, shape, dt),), kw, name=name or f"{kw.get('mode')} {shape}")

    return [
        s((1, 2, 3), size=5),
        s((1, 1, 3, 2), scale_factor=2.0, name="nearest x2"),
        s((1, 1, 2, 2, 3), size=(3, 2, 4)),
        s((1, 1, 5), size=3, mode="nearest-exact"),
        s((2, 1, 4), scale_factor=1.5, mode="linear"),
        s((1, 1, 4), size=3, mode="linear", align_corners=True),
        s((1, 2, 3, 2), size=(4, 5), mode="bilinear"),
        s((1, 1, 3, 4), scale_factor=(0.7, 1.5), mode="bilinear", recompute_scale_factor=True),
        s((1, 1, 3, 3), size=(5, 4), mode="bilinear", align_corners=True),
        s((1, 1, 4, 3), size=(5, 5), mode="bicubic"),
        s((1, 1, 3, 3), scale_factor=1.7, mode="bicubic", align_corners=True),
        s((1, 1, 2, 3, 2), size=(3, 3, 3), mode="trilinear"),
        s((1, 1, 5, 4), size=(2, 3), mode="area"),
    ]


interpolate = def_composite("nn.functional.interpolate", interpolate, samples=_interp_samples)


def upsample(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Deprecated alias of ``interpolate`` (PyTorch warns the same)."""
    import warnings

    warnings.warn(
        "nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    import warnings

    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    import warnings

    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


for _f in (upsample, upsample_nearest, upsample_bilinear):
    NAMESPACE_ALIASES.setdefault("nn.functional", {})[_f.__name__] = _f


# --------------------------------------------------------------------------------------------
# affine_grid and grid_sample (4-D and 5-D): composites of ndgrad ops; gathers at the corner
# indices, weights from the grid, so both the input and the grid get gradients.


def _base_coords(n: int, align: bool) -> np.ndarray:
    if n <= 1:
        return np.zeros(max(n, 0))
    c = np.linspace(-1.0, 1.0, n)
    return c if align else c * (n - 1) / n


def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """The sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps ``theta``
    (N, 2, 3) (or (N, 3, 4)) for an output of ``size`` (N, C, H, W) (or (N, C, D, H, W)):
    grid[n, h, w] = theta[n] @ (x_w, y_h, 1), the coordinates spread over [-1, 1]."""
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise NotImplementedError(
            f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {list(size)}."
        )
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    nsp = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (nsp, nsp + 1):
        kind = (
            "2D affine matrices of shape Nx2x3" if nsp == 2 else "3D affine matrices of shape Nx3x4"
        )
        raise ValueError(
            f"Expected a batch of {kind} for size {list(size)}. Got {list(theta.shape)}."
        )
    n, sp = size[0], size[2:]
    if theta.shape[0] != n:
        raise RuntimeError(
            f"affine_grid: theta has batch size {theta.shape[0]} but size asks for {n}"
        )
    align = bool(align_corners)
    axes = [_base_coords(k, align) for k in sp]  # (D,) H, W
    mesh = np.meshgrid(*axes, indexing="ij")
    base = np.stack([*reversed(mesh), np.ones(tuple(sp))], axis=-1)  # (x, y, [z,] 1)
    base_t = theta.new_tensor(base.reshape(1, math.prod(sp), nsp + 1))
    return (base_t @ theta.transpose(1, 2)).reshape(n, *sp, nsp)


def _unnormalize(c: Tensor, n: int, align: bool) -> Tensor:
    return (c + 1) / 2 * (n - 1) if align else ((c + 1) * n - 1) / 2


def _reflect(c: Tensor, low2: int, high2: int) -> Tensor:
    """PyTorch's reflect_coordinates: fold c into [low2/2, high2/2] by reflections."""
    if low2 == high2:
        return c * 0
    lo, span = low2 / 2, (high2 - low2) / 2
    d = (c - lo).abs()
    flips = (d / span).floor()
    extra = d - flips * span
    even = (flips.remainder(2) == 0).detach()
    return EXPORTS["where"](even, extra + lo, span - extra + lo)


def _source_coord(c: Tensor, n: int, padding_mode: str, align: bool) -> Tensor:
    c = _unnormalize(c, n, align)
    if padding_mode == "border":
        c = c.clamp(0, n - 1)
    elif padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (n - 1)) if align else _reflect(c, -1, 2 * n - 1)
        c = c.clamp(0, n - 1)
    return c


def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Sample ``input`` (N, C, H, W) at ``grid`` (N, Ho, Wo, 2) of (x, y) in [-1, 1]
    (5-D: (N, C, D, H, W) at (N, Do, Ho, Wo, 3) of (x, y, z), trilinear).

    Modes 'bilinear' and 'nearest'; padding 'zeros', 'border', 'reflection', as
    torch.nn.functional.grid_sample. Differentiable in input and grid (bilinear): a gather at
    each of the 2**d corners, weighted by the grid's fractional parts.
    """
    if mode not in ("bilinear", "nearest"):
        if mode == "bicubic":
            raise NotImplementedError(
                "grid_sample: mode 'bicubic' is not implemented in ndgrad; hint: use 'bilinear'"
            )
        raise ValueError(
            f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )
    nsp = input.ndim - 2
    if nsp not in (2, 3):
        raise RuntimeError(
            f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, "
            f"but got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if grid.ndim != nsp + 2 or grid.shape[-1] != nsp or grid.shape[0] != input.shape[0]:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {nsp} in last dimension and the batch "
            f"size of input, but got grid with sizes {list(grid.shape)}"
        )
    if align_corners is None:
        import warnings

        warnings.warn(
            "Default grid_sample and affine_grid behavior has changed to align_corners=False "
            "since 1.3.0. Please specify align_corners=True if the old behavior is desired. "
            "See the documentation of grid_sample for details.",
            stacklevel=2,
        )
    align = bool(align_corners)
    n, c, *sizes = input.shape
    outs = tuple(grid.shape[1:-1])
    m = math.prod(outs)
    # grid[..., 0] indexes the last dim (x -> W), grid[..., 1] the one before (y -> H), ...
    src = [_source_coord(grid[..., nsp - 1 - i], sizes[i], padding_mode, align) for i in range(nsp)]
    flat = input.reshape(n, c, math.prod(sizes))
    place = [math.prod(sizes[i + 1 :]) for i in range(nsp)]

    def tap(at: list) -> Tensor:
        """input at the integer coords ``at`` (one per dim), 0 outside: (N, C, *outs)."""
        inside = None
        idx = None
        for a, size, pl in zip(at, sizes, place):
            ok = (a >= 0) & (a <= size - 1)
            inside = ok if inside is None else inside & ok
            part = a.clamp(0, size - 1) * pl
            idx = part if idx is None else idx + part
        idx = idx.detach().long().reshape(n, 1, m).expand(n, c, m)
        vals = flat.gather(2, idx).reshape(n, c, *outs)
        return vals * inside.detach().unsqueeze(1).to(input.dtype)

    if mode == "nearest":
        return tap([a.detach().round() for a in src])
    lo = [a.detach().floor() for a in src]
    out = None
    for corner in itertools.product((0, 1), repeat=nsp):  # 2**nsp corners, not positions
        weight = None
        for bit, a, a0 in zip(corner, src, lo):
            wi = a - a0 if bit else (a0 + 1) - a
            weight = wi if weight is None else weight * wi
        term = tap([a0 + bit for bit, a0 in zip(corner, lo)]) * weight.unsqueeze(1)
        out = term if out is None else out + term
    return out


def _grid_samples(rng: np.random.Generator, dt: Any) -> list:
    def s(shape, go, name="", **kw):
        grid = rand(rng, (shape[0], *go, 2), dt, -1.15, 1.15)
        return Sample((rand(rng, shape, dt), grid), kw, name=name)

    return [
        s((1, 2, 3, 4), (2, 3), align_corners=False, name="zeros"),
        s((2, 1, 3, 3), (2, 2), padding_mode="border", align_corners=True, name="border"),
        s((1, 1, 4, 3), (3, 2), padding_mode="reflection", align_corners=False, name="refl"),
        s((1, 1, 3, 3), (2, 2), padding_mode="reflection", align_corners=True, name="refl ac"),
        s((1, 2, 3, 3), (2, 2), mode="nearest", align_corners=False, name="nearest"),
        Sample(
            (rand(rng, (1, 1, 2, 3, 2), dt), rand(rng, (1, 2, 1, 2, 3), dt, -1.15, 1.15)),
            {"padding_mode": "border", "align_corners": False},
            name="5-D",
        ),
    ]


def _affine_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        Sample((rand(rng, (2, 2, 3), dt), (2, 1, 3, 4)), {"align_corners": False}),
        Sample((rand(rng, (1, 2, 3), dt), (1, 2, 2, 3)), {"align_corners": True}),
        Sample((rand(rng, (1, 3, 4), dt), (1, 1, 2, 3, 2)), {"align_corners": False}, name="3d"),
    ]


grid_sample = def_composite("nn.functional.grid_sample", grid_sample, samples=_grid_samples)
affine_grid = def_composite("nn.functional.affine_grid", affine_grid, samples=_affine_samples)
