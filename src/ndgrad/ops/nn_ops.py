"""Ops of neural networks: logsumexp, softmax, log_softmax, reductions along ``dim``.

They are own records (not composites of exp/sum/log) for stability: the forward subtracts the max,
which a composite would have to differentiate through, and the rules save only one tensor and read
it in one fused formula. The helpers for ``dim`` and dtypes are reduction.py's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._core import dtypes as _dt
from .._core.tensor import Tensor
from ._real import complex_name, kernel
from .elementwise import _cj
from .reduction import (
    _axes,
    _cast,
    _contract,
    _dtype,
    _is_float,
    _one_dim,
    _require_dim,
    _tname,
    expand_back,
    sum,  # noqa: A004 - the reduction op (PyTorch's name), as in reduction.py
)
from .registry import Sample, def_op
from .samples import rand


def _lse_fwd(xp: Any, x: Any, *, dim: Any = None, keepdim: bool = False) -> Any:
    _require_dim(dim, "logsumexp")
    axes = _axes(dim, x.ndim)
    if any(x.shape[d] == 0 for d in axes or ()):  # empty sums: log(0) = -inf
        return xp.log(xp.sum(xp.exp(x), axis=axes, keepdims=keepdim))
    # complex: the largest real part is subtracted (a real shift), as PyTorch does
    cplx = xp.isdtype(x.dtype, "complex floating")
    m = xp.max(xp.real(x) if cplx else x, axis=axes, keepdims=True)
    m = xp.where(xp.isinf(m), xp.zeros_like(m), m)  # as PyTorch: all -inf (or an inf) slices
    if cplx:
        m = xp.astype(m, x.dtype)
    out = xp.log(xp.sum(xp.exp(x - m), axis=axes, keepdims=True)) + m
    if not keepdim and axes:
        out = xp.squeeze(out, axis=axes)
    return out


def _lse_partial(ans: Tensor, x: Tensor, dim: Any, keepdim: bool) -> Tensor:
    return (x - expand_back(ans, x.shape, dim, keepdim)).exp()  # softmax along dim


def _lse_vjp(
    g: Tensor, ans: Tensor, x: Tensor, *, dim: Any = None, keepdim: bool = False
) -> Tensor:
    # complex: g * conj(softmax) (See Note [Complex gradients] in elementwise.py)
    return expand_back(g, x.shape, dim, keepdim) * _cj(_lse_partial(ans, x, dim, keepdim))


def _lse_jvp(
    tangents: tuple, ans: Tensor, x: Tensor, *, dim: Any = None, keepdim: bool = False
) -> Tensor:
    return _contract(_lse_partial(ans, x, dim, keepdim), tangents[0], dim, keepdim)


def _lse_ref(x: np.ndarray, dim: Any, keepdim: bool = False) -> np.ndarray:
    axis = dim if x.ndim else None
    m = np.max(x, axis=axis, keepdims=True)
    return np.log(np.sum(np.exp(x - m), axis=axis, keepdims=keepdim)) + (
        m if keepdim else np.squeeze(m, axis=axis)
    )


logsumexp = def_op(
    "logsumexp",
    forward=_lse_fwd,
    vjp=_lse_vjp,
    jvp=_lse_jvp,
    params=(("dim", None), ("keepdim", False)),
    save="both",
    promote="float",
    complex=True,
    samples=lambda rng, dt: [
        Sample((rand(rng, (4,), dt),), {"dim": 0}),
        Sample((rand(rng, (2, 3), dt),), {"dim": 1}),
        Sample((rand(rng, (2, 3, 4), dt),), {"dim": (0, 2), "keepdim": True}),
        Sample((rand(rng, (2, 3), dt, 500.0, 502.0),), {"dim": -1}, name="large"),
        Sample((rand(rng, (), dt),), {"dim": 0}),
    ],
    ref=_lse_ref,
    doc="log(sum(exp(x), dim)), computed stably (the max is subtracted first). d/dx = "
    "softmax(x, dim).",
)


def _softmax_input(xp: Any, x: Any, dim: Any, dtype: Any, op: str) -> tuple:
    _require_dim(dim, op)
    d = _one_dim(dim, x.ndim, op)
    if dtype is not None:
        x = _cast(xp, x, dtype)
    if not _is_float(x):
        raise NotImplementedError(
            f"\"{op}_lastdim_kernel_impl\" not implemented for '{_tname(x)}'; hint: convert "
            "first, e.g. x.float(), or pass dtype=ndgrad.float32"
        )
    cname = complex_name((x,))
    if cname is not None:  # it subtracts the max: See Note [Complex numbers have no order]
        last = d is None or d == x.ndim - 1
        raise kernel(
            f"{op}_{'lastdim_' if last else ''}kernel_impl",
            "complex numbers have no order: take the softmax of .real or .abs()",
        )(cname, {})
    return x, d


def _half(x: Any) -> bool:
    return _dtype(x) is _dt.float16


# float16 is computed in float32 and rounded once, as PyTorch's CPU kernels do (forward and
# backward): accumulating the sums in half loses digits PyTorch keeps.
def _softmax_fwd(xp: Any, x: Any, *, dim: Any = None, dtype: Any = None) -> Any:
    x, d = _softmax_input(xp, x, dim, dtype, "softmax")
    if _half(x):
        return _cast(xp, _softmax_fwd(xp, _cast(xp, x, _dt.float32), dim=dim), _dt.float16)
    if math.prod(x.shape) == 0:  # no max to subtract: the empty result, as PyTorch
        return xp.exp(x)
    e = xp.exp(x - xp.max(x, axis=d, keepdims=True))
    return e / xp.sum(e, axis=d, keepdims=True)


def _log_softmax_fwd(xp: Any, x: Any, *, dim: Any = None, dtype: Any = None) -> Any:
    x, d = _softmax_input(xp, x, dim, dtype, "log_softmax")
    if math.prod(x.shape) == 0:
        return xp.exp(x)
    half = _half(x)
    if half:
        x = _cast(xp, x, _dt.float32)
    s = x - xp.max(x, axis=d, keepdims=True)
    lse = xp.log(xp.sum(xp.exp(s), axis=d, keepdims=True))
    if half:  # PyTorch rounds log(sum) to half before the subtraction (float32 otherwise)
        return _cast(xp, s - _cast(xp, _cast(xp, lse, _dt.float16), _dt.float32), _dt.float16)
    return s - lse


def _in_float32(rule: Any) -> Any:
    """``rule`` evaluated in float32 when ``g`` is float16, its result rounded back once."""

    def wrapped(g: Tensor, ans: Tensor, x: Any, **params: Any) -> Tensor:
        if g.dtype is not _dt.float16:
            return rule(g, ans, x, **params)
        return rule(g.to(_dt.float32), ans.to(_dt.float32), x, **params).to(_dt.float16)

    return wrapped


def _softmax_vjp(g: Tensor, ans: Tensor, x: Any, *, dim: Any = None, dtype: Any = None) -> Tensor:
    # y = softmax(x): J^T g = y * (g - <g, y>)
    return ans * (g - sum(g * ans, dim, True))


def _softmax_jvp(
    tangents: tuple, ans: Tensor, x: Any, *, dim: Any = None, dtype: Any = None
) -> Tensor:
    return _softmax_vjp(tangents[0], ans, x, dim=dim)  # J is symmetric


def _log_softmax_vjp(
    g: Tensor, ans: Tensor, x: Any, *, dim: Any = None, dtype: Any = None
) -> Tensor:
    # y = log_softmax(x): J^T g = g - exp(y) * sum(g)
    return g - ans.exp() * sum(g, dim, True)


def _log_softmax_jvp(
    tangents: tuple, ans: Tensor, x: Any, *, dim: Any = None, dtype: Any = None
) -> Tensor:
    x_t = tangents[0]
    return x_t - sum(ans.exp() * x_t, dim, True)


def _softmax_samples(rng: np.random.Generator, dtype: Any) -> list:
    return [
        Sample((rand(rng, (4,), dtype),), {"dim": 0}),
        Sample((rand(rng, (2, 3), dtype),), {"dim": 1}),
        Sample((rand(rng, (2, 3, 4), dtype),), {"dim": 0}),
        Sample((rand(rng, (2, 3), dtype, 500.0, 502.0),), {"dim": -1}, name="large"),
        Sample((rand(rng, (), dtype),), {"dim": 0}),
    ]


def _softmax_ref(x: np.ndarray, dim: int) -> np.ndarray:
    axis = dim if x.ndim else None
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


softmax = def_op(
    "softmax",
    forward=_softmax_fwd,
    vjp=_in_float32(_softmax_vjp),
    jvp=_softmax_jvp,
    params=(("dim", None), ("dtype", None)),
    save="ans",
    samples=_softmax_samples,
    ref=_softmax_ref,
    doc="exp(x) / sum(exp(x), dim), stable (the max is subtracted). With y the output, the vjp "
    "is y * (g - sum(g * y, dim)).",
)

log_softmax = def_op(
    "log_softmax",
    forward=_log_softmax_fwd,
    vjp=_in_float32(_log_softmax_vjp),
    jvp=_log_softmax_jvp,
    params=(("dim", None), ("dtype", None)),
    save="ans",
    samples=_softmax_samples,
    ref=lambda x, dim: np.log(_softmax_ref(x, dim)),
    doc="x - logsumexp(x, dim), stable. With y the output, the vjp is g - exp(y) * sum(g, dim).",
)


__all__ = ["log_softmax", "logsumexp", "softmax"]
