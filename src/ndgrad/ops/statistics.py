"""NaN-aware reductions and quantiles: nansum, nanmean, quantile, nanquantile.

All four are composites: their gradients are those of ``where``, ``sum``, ``sort`` and
``gather``, which is what PyTorch's rules compute too (a NaN gets no gradient in ``nansum``;
a quantile's gradient goes to the one or two order statistics it interpolates, with the
interpolation weights).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.tensor import Tensor
from .elementwise import where
from .registry import Sample, def_composite
from .samples import distinct, rand

_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _dims(dim: Any) -> Any:
    return tuple(dim) if isinstance(dim, (list, tuple)) else dim


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The sum, treating NaN as zero. d/dx_i = 1 where x_i is not NaN, else 0.

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([1.0, float("nan"), 2.0]).nansum()
        tensor(3.)
    """
    x = where(input.isnan(), 0.0, input) if input.dtype.is_floating_point else input
    if dim is None:
        return x.sum(dtype=dtype) if not keepdim else x.sum(tuple(range(x.ndim)), True, dtype=dtype)
    return x.sum(_dims(dim), keepdim, dtype=dtype)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The mean of the values that are not NaN (NaN where all are).

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([1.0, float("nan"), 2.0]).nanmean()
        tensor(1.5000)
    """
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{input.dtype}; hint: convert it first, e.g. x.float()"
        )
    kept = (~input.isnan()).long()
    if dim is None:
        count = kept.sum(tuple(range(input.ndim)), True) if keepdim else kept.sum()
    else:
        count = kept.sum(_dims(dim), keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


def _quantile(
    name: str, input: Tensor, q: Any, dim: Any, keepdim: bool, interpolation: str, ignore_nan: bool
) -> Tensor:
    if interpolation not in _MODES:
        raise RuntimeError(
            f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest. "
            f"Got {interpolation}; hint: pass interpolation='linear' (the default)"
        )
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            f"{name}() input tensor must be either float or double dtype; hint: convert it "
            "first, e.g. x.double()"
        )
    qt = q if isinstance(q, Tensor) else input.new_tensor(np.asarray(q, dtype=np.float64))
    if qt.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    qv = qt.detach().numpy()
    if qv.size and (np.any(qv < 0) or np.any(qv > 1)):
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    scalar_q = qt.ndim == 0
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else dim % max(input.ndim, 1)
    x = x.movedim(d, -1) if x.ndim else x.reshape(1)
    xs = x.sort(-1).values  # NaN sorts last, as in PyTorch
    n = xs.shape[-1]
    nan = x.isnan()
    # the values that count, per slice
    k = (~nan).long().sum(-1, keepdim=True) if ignore_nan else input.new_tensor(n)
    qq = qt.detach().to(input.dtype).reshape((-1,) + (1,) * xs.ndim)  # (Q, 1, ..., 1)
    ranks = qq * (k - 1).to(input.dtype)  # (Q, ..., 1)
    lo = ranks.floor()
    hi = ranks.ceil()
    if interpolation == "nearest":
        lo = hi = ranks.round()  # round half to even, as PyTorch
    elif interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    big = xs.expand((qq.shape[0],) + tuple(xs.shape))
    last = max(n - 1, 0)
    v_lo = big.gather(-1, lo.clamp(0, last).long().expand(big.shape[:-1] + (1,)))
    v_hi = big.gather(-1, hi.clamp(0, last).long().expand(big.shape[:-1] + (1,)))
    if interpolation == "midpoint":
        out = (v_lo + v_hi) / 2
    elif interpolation == "linear":
        out = v_lo + (v_hi - v_lo) * (ranks - lo)
    else:
        out = v_lo
    bad = (k == 0) if ignore_nan else nan.any(-1, keepdim=True)
    out = where(bad.expand(out.shape), float("nan"), out).squeeze(-1)  # (Q, ...)
    if keepdim:
        if dim is None:
            out = out.reshape((out.shape[0],) + (1,) * input.ndim)
        else:
            out = out.unsqueeze(d + 1)
    return out[0] if scalar_q else out


def quantile(
    input: Tensor,
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """The q-th quantiles of ``input`` (flattened, or along ``dim``); NaN if a slice has NaN.

    With ``linear`` interpolation, the quantile at rank ``r = q (n - 1)`` of the sorted values
    ``v`` is ``v[floor r] + (r - floor r) (v[ceil r] - v[floor r])``; its gradient goes to those
    two order statistics with weights ``1 - (r - floor r)`` and ``r - floor r``.

    Example:
        >>> import ndgrad
        >>> ndgrad.quantile(ndgrad.tensor([1.0, 2.0, 3.0, 4.0]), 0.5)
        tensor(2.5000)
    """
    return _quantile("quantile", input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(
    input: Tensor,
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """:func:`quantile` of the values that are not NaN (NaN where a slice has none).

    Example:
        >>> import ndgrad
        >>> ndgrad.nanquantile(ndgrad.tensor([1.0, float("nan"), 3.0]), 0.5)
        tensor(2.)
    """
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, ignore_nan=True)


# ------------------------------------------------------------------------------------ samples
def _with_nan(rng: np.random.Generator, shape: tuple, dtype: Any) -> np.ndarray:
    v = distinct(rng, shape, dtype)
    v.reshape(-1)[::3] = np.nan
    return v


def _nan_samples(rng: np.random.Generator, dtype: Any) -> list:
    return [
        Sample((_with_nan(rng, (6,), dtype),), name="1-D"),
        Sample((_with_nan(rng, (2, 3), dtype),), {"dim": 1}, name="dim"),
        Sample((_with_nan(rng, (2, 3), dtype),), {"dim": (0, 1), "keepdim": True}, name="dims"),
        Sample((rand(rng, (3, 2), dtype),), {"dim": 0, "keepdim": True}, name="no NaN"),
    ]


def _quantile_samples(with_nan: bool) -> Any:
    def gen(rng: np.random.Generator, dtype: Any) -> list:
        def x(shape: tuple) -> np.ndarray:
            v = distinct(rng, shape, dtype)
            if with_nan:
                v.reshape(-1)[1] = np.nan
            return v

        return [
            Sample((x((7,)), 0.3), name="scalar q"),
            Sample((x((2, 5)), 0.6), {"dim": 1}, name="dim"),
            Sample((x((2, 5)), np.array([0.1, 0.5, 0.95], dtype)), {"dim": 1}, name="q tensor"),
            Sample((x((4, 3)), 0.4), {"dim": 0, "keepdim": True}, name="keepdim"),
            Sample((x((2, 3)), 0.7), {"keepdim": True}, name="flattened, keepdim"),
            *[
                Sample((x((2, 5)), 0.35), {"dim": -1, "interpolation": m}, name=m)
                for m in ("lower", "higher", "midpoint", "nearest")
            ],
        ]

    return gen


def _qref(fn: Any) -> Any:
    def ref(x: np.ndarray, q: Any, dim: Any = None, keepdim: bool = False, interpolation="linear"):
        return fn(x, q, axis=dim, keepdims=keepdim, method=interpolation)

    return ref


def _grad_first(gen: Any) -> Any:
    def wrapped(rng: np.random.Generator, dtype: Any) -> list:
        out = gen(rng, dtype)
        for s in out:
            s.grad = (0,)
        return out

    return wrapped


for _name, _fn, _samples, _ref in (
    ("nansum", nansum, _nan_samples, lambda x, dim=None, keepdim=False: np.nansum(
        x, axis=_dims(dim), keepdims=keepdim)),
    ("nanmean", nanmean, _nan_samples, lambda x, dim=None, keepdim=False: np.nanmean(
        x, axis=_dims(dim), keepdims=keepdim)),
    ("quantile", quantile, _grad_first(_quantile_samples(False)), _qref(np.quantile)),
    ("nanquantile", nanquantile, _grad_first(_quantile_samples(True)), _qref(np.nanquantile)),
):  # fmt: skip
    def_composite(_name, _fn, samples=_samples, ref=_ref, method=True)


# ------------------------------------------------------------------ fmax, fmin, ldexp
def _no_complex(name: str, *tensors: Tensor) -> None:
    """PyTorch's fmax/fmin refuse complex tensors: See Note [Complex numbers have no order] in
    ops/_real.py."""
    if any(t.is_complex() for t in tensors):
        raise RuntimeError(
            f"{name} not implemented for complex tensors.; hint: complex numbers have no order: "
            "compare their .abs() or .real"
        )


def fmax(input: Tensor, other: Any) -> Tensor:
    """The elementwise maximum, ignoring NaN (NaN only where both are NaN).

    The gradient goes to ``input`` where ``input >= other`` or ``other`` is NaN, else to
    ``other``: ties give it all to ``input``, as PyTorch (``maximum`` splits ties instead).

    Example:
        >>> import ndgrad
        >>> ndgrad.fmax(ndgrad.tensor([1.0, float("nan")]), ndgrad.tensor([float("nan"), 2.0]))
        tensor([1., 2.])
    """
    other = other if isinstance(other, Tensor) else input.new_tensor(other)
    _no_complex("fmax", input, other)
    return where((input >= other) | other.isnan(), input, other)


def fmin(input: Tensor, other: Any) -> Tensor:
    """The elementwise minimum, ignoring NaN; ties give the gradient to ``input``."""
    other = other if isinstance(other, Tensor) else input.new_tensor(other)
    _no_complex("fmin", input, other)
    return where((input <= other) | other.isnan(), input, other)


def ldexp(input: Tensor, other: Any) -> Tensor:
    """``input * 2 ** other``. d/d input = 2^other; d/d other = input 2^other ln 2.

    Example:
        >>> import ndgrad
        >>> ndgrad.ldexp(ndgrad.tensor([1.0, 3.0]), ndgrad.tensor([2, 1]))
        tensor([4., 6.])
    """
    other = other if isinstance(other, Tensor) else input.new_tensor(other)
    return input * (2.0 ** other.to(input.dtype if input.dtype.is_floating_point else other.dtype))


def _pair(rng: np.random.Generator, dtype: Any) -> list:
    v = distinct(rng, (12,), dtype)
    a, b = v[:6].reshape(2, 3), v[6:].reshape(2, 3)
    an, bn = a.copy(), b.copy()
    an[0, 0] = np.nan
    bn[1, 2] = np.nan
    return [
        Sample((a, b), name="distinct"),
        Sample((a, b[0]), name="broadcast"),
        Sample((an, bn), name="one NaN each"),
    ]


def _ldexp_samples(rng: np.random.Generator, dtype: Any) -> list:
    return [
        # Non-negative: PyTorch 2.13's gradient for a negative integer exponent is 0 (it takes
        # 2 ** e in integers); ndgrad's is 2.0 ** e, the derivative.
        Sample((rand(rng, (2, 3), dtype), np.array([1, 0, 3])), name="int exponent"),
        Sample((rand(rng, (3,), dtype), rand(rng, (3,), dtype)), name="float exponent"),
    ]


def_composite("fmax", fmax, samples=_pair, ref=np.fmax, method=True)
def_composite("fmin", fmin, samples=_pair, ref=np.fmin, method=True)
def_composite(
    "ldexp",
    ldexp,
    samples=_ldexp_samples,
    ref=lambda x, e: x * 2.0**e,
    method=True,
    complex=True,
)
