"""Norms and cumulative sums: ``norm`` (vector p-norms, Frobenius, inf), ``cumsum``.

Gradients at the non-smooth points (norm at 0, ties of the inf-norm) as PyTorch; See Note
[Ties in max and min] in reduction.py.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._core import dtypes as _dt
from .._core.tensor import Tensor
from .reduction import (
    _TORCH_NAMES,
    _accumulate_dtype,
    _axes,
    _cast,
    _check_nonempty,
    _contract,
    _dtype,
    _eq,
    _is_float,
    _one_dim,
    _require_dim,
    _safe,
    _signed,
    _ties,
    _tname,
    _where,
    expand_back,
    sum,  # noqa: A004 - the reduction op (PyTorch's name), as in reduction.py
)
from .registry import EXPORTS, Sample, attach_method, def_composite, def_op
from .samples import distinct, rand

_inf = math.inf

# --------------------------------------------------------------------------------------------
# norm


def _p_value(p: Any) -> float:
    if p is None or p == "fro":
        return 2.0
    if isinstance(p, str):
        if p == "nuc":
            raise NotImplementedError(
                "norm(p='nuc') (the nuclear norm) is not implemented; hint: sum the singular "
                "values from ndgrad.linalg.svdvals"
            )
        raise RuntimeError(f"norm(): unsupported p={p!r}; hint: use a number, inf or 'fro'")
    return float(p)


def _norm_fwd(
    xp: Any, x: Any, *, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None
) -> Any:
    q = _p_value(p)
    axes = _axes(dim, x.ndim)
    if not _is_float(x):
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{_tname(x)}; hint: convert first, e.g. x.float()"
        )
    if dtype is not None:
        d = _dt.to_dtype(dtype)
        if d.itemsize < _dtype(x).itemsize or not (d.is_floating_point or d.is_complex):
            raise RuntimeError(
                f"linalg.vector_norm: the dtype of the input ({_tname(x)}) should be "
                f"convertible without narrowing to the specified dtype ({_TORCH_NAMES[d.name]})"
            )
        x = _cast(xp, x, d)
    a = xp.abs(x)
    if q == _inf:
        _check_nonempty(x, dim, "linalg.vector_norm")
        return xp.max(a, axis=axes, keepdims=keepdim)
    if q == -_inf:
        _check_nonempty(x, dim, "linalg.vector_norm")
        return xp.min(a, axis=axes, keepdims=keepdim)
    if q == 0:
        return xp.sum(xp.astype(x != 0, a.dtype), axis=axes, keepdims=keepdim)
    if q == 1:
        return xp.sum(a, axis=axes, keepdims=keepdim)
    if q == 2:
        return xp.sqrt(xp.sum(a * a, axis=axes, keepdims=keepdim))
    return xp.sum(a**q, axis=axes, keepdims=keepdim) ** (1.0 / q)


def _norm_partial(ans: Tensor, x: Tensor, p: Any, dim: Any, keepdim: bool) -> Tensor:
    """d ||x||_p / d x_i, as PyTorch's norm_backward (0 wherever the norm is 0)."""
    from . import unary as _un
    from .elementwise import _sgn

    # complex: sgn(x) = x / |x| in place of sign(x): d|x| in PyTorch's convention
    sign = _sgn if x.is_complex() else _un.sign
    q = _p_value(p)
    if q == 0:  # a count: zero gradient
        return x * 0.0
    if q == 1:
        return sign(x)
    n = expand_back(ans, x.shape, dim, keepdim)
    n_zero = _eq(n, 0.0)
    if q == 2:
        return _where(n_zero, 0.0, x / _safe(n, n_zero))
    ax = _un.abs(x)
    if math.isinf(q):  # like amax(|x|): split evenly among ties
        mask = _ties(ax, n)
        count = sum(mask.to(x.dtype), dim, True)
        return sign(x) * _where(mask, 1.0 / count, 0.0)
    if q < 1:
        x_zero = _eq(x, 0.0)
        scaled = _where(x_zero, 0.0, _safe(ax, x_zero) ** (q - 1))
        return sign(x) * scaled * n ** (1 - q)
    scale = _where(n_zero, 0.0, 1.0 / _safe(n, n_zero) ** (q - 1))
    if q < 2:
        return sign(x) * ax ** (q - 1) * scale
    return x * ax ** (q - 2) * scale


def _norm_vjp(
    g: Tensor,
    ans: Tensor,
    x: Tensor,
    *,
    p: Any = "fro",
    dim: Any = None,
    keepdim: bool = False,
    dtype: Any = None,
) -> Tensor:
    return expand_back(g, x.shape, dim, keepdim) * _norm_partial(ans, x, p, dim, keepdim)


def _norm_jvp(
    tangents: tuple,
    ans: Tensor,
    x: Tensor,
    *,
    p: Any = "fro",
    dim: Any = None,
    keepdim: bool = False,
    dtype: Any = None,
) -> Tensor:
    d = _norm_partial(ans, x, p, dim, keepdim)
    if d.is_complex():  # the real norm moves by Re(conj(partial) t)
        return EXPORTS["real"](_contract(EXPORTS["conj"](d), tangents[0], dim, keepdim))
    return _contract(d, tangents[0], dim, keepdim)


def _norm_samples(rng: np.random.Generator, dtype: Any) -> list:
    def d(shape: tuple) -> np.ndarray:  # no zeros, no ties in |x| (for inf and the count p=0)
        return (distinct(rng, shape, dtype) + np.asarray(0.05, dtype)).astype(dtype)

    return [
        Sample((_signed(rng, (4,), dtype),)),
        Sample((_signed(rng, (2, 3), dtype),), {"p": "fro", "dim": 1}),
        Sample((_signed(rng, (2, 3, 4), dtype),), {"p": 2, "dim": (0, 2), "keepdim": True}),
        Sample((_signed(rng, (2, 3), dtype),), {"p": 1}),
        Sample((_signed(rng, (2, 3), dtype),), {"p": 1, "dim": 0}),
        Sample((d((2, 3)),), {"p": _inf}),
        Sample((d((2, 3)),), {"p": _inf, "dim": 1, "keepdim": True}),
        Sample((d((2, 3)),), {"p": -_inf, "dim": 0}),
        Sample((_signed(rng, (2, 3), dtype),), {"p": 3, "dim": -1}),
        Sample((_signed(rng, (2, 3), dtype),), {"p": 1.5}),
        Sample((_signed(rng, (2, 3), dtype),), {"p": 0.5, "dim": 1}),
        Sample((_signed(rng, (2, 3), dtype),), {"p": -1, "dim": 1}),
        Sample((_signed(rng, (2, 3), dtype),), {"p": 0}),
        Sample(
            (_signed(rng, (), dtype),),
        ),
    ]


def _norm_ref(x: np.ndarray, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Any:
    q = _p_value(p)
    a = np.abs(x)
    if math.isinf(q):
        return (np.max if q > 0 else np.min)(a, axis=dim, keepdims=keepdim)
    if q == 0:
        return np.sum(a != 0, axis=dim, keepdims=keepdim).astype(x.dtype)
    return (np.sum(a**q, axis=dim, keepdims=keepdim) ** (1 / q)).astype(x.dtype)


norm = def_op(
    "norm",
    forward=_norm_fwd,
    vjp=_norm_vjp,
    jvp=_norm_jvp,
    params=(("p", "fro"), ("dim", None), ("keepdim", False), ("dtype", None)),
    save="both",
    complex=True,  # real output; the partials use sgn(x) = x / |x| for complex x
    backward_name="LinalgVectorNormBackward0",
    samples=_norm_samples,
    ref=_norm_ref,
    doc="The vector p-norm over ``dim`` (all by default): p = 'fro'/2, 1, inf, -inf, 0 (count of "
    "nonzeros) or any number. The gradient at a zero norm is 0, as PyTorch.",
)

# --------------------------------------------------------------------------------------------
# cumsum


def _cumsum_raw(xp: Any, x: Any, axis: int) -> Any:
    if xp is np:
        return np.cumsum(x, axis=axis)
    f = getattr(xp, "cumulative_sum", None) or xp.cumsum
    return f(x, axis=axis)


def _cumsum_fwd(xp: Any, x: Any, *, dim: Any = None, dtype: Any = None) -> Any:
    _require_dim(dim, "cumsum")
    d = _one_dim(dim, x.ndim, "cumsum")
    x = _accumulate_dtype(xp, x, dtype)
    if d is None:
        return xp.asarray(x, copy=True)
    return _cumsum_raw(xp, x, d)


def _rcumsum_fwd(xp: Any, x: Any, *, dim: Any = None) -> Any:
    d = _one_dim(dim, x.ndim, "cumsum")
    if d is None:
        return xp.asarray(x, copy=True)
    return xp.flip(_cumsum_raw(xp, xp.flip(x, axis=d), d), axis=d)


def _cumsum_samples(rng: np.random.Generator, dtype: Any) -> list:
    return [
        Sample((rand(rng, (4,), dtype),), {"dim": 0}),
        Sample((rand(rng, (2, 3), dtype),), {"dim": 1}),
        Sample((rand(rng, (2, 3, 4), dtype),), {"dim": -2}),
        Sample((rand(rng, (), dtype),), {"dim": 0}),
    ]


def _torch_rcumsum(x: Any, dim: int) -> Any:
    import torch

    if x.ndim == 0:
        return x.clone()
    return torch.flip(torch.cumsum(torch.flip(x, [dim]), dim), [dim])


cumsum = def_op(
    "cumsum",
    forward=_cumsum_fwd,
    vjp=lambda g, ans, x, *, dim=None, dtype=None: _rcumsum(g, dim=dim),
    jvp="linear",
    complex=True,
    params=(("dim", None), ("dtype", None)),
    save=None,
    inplace=True,
    samples=_cumsum_samples,
    ref=lambda x, dim: np.cumsum(x, axis=dim if x.ndim else None).reshape(x.shape),
    doc="Running sums along ``dim``; integers and bools accumulate in int64. The vjp is the "
    "reversed cumulative sum of g.",
)

_rcumsum = def_op(
    "_reverse_cumsum",
    forward=_rcumsum_fwd,
    vjp=lambda g, ans, x, *, dim=None: cumsum(g, dim),
    jvp="linear",
    complex=True,
    params=(("dim", None),),
    save=None,
    method=False,
    export=False,
    samples=_cumsum_samples,
    ref=lambda x, dim: np.flip(np.cumsum(np.flip(x, dim), dim), dim) if x.ndim else x.copy(),
    torch=_torch_rcumsum,
    doc="Sums from each position to the end along ``dim`` (cumsum's vjp, its adjoint).",
)


# ---------------------------------------------------------------------------------- renorm
def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice of ``input`` along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to
    norm ``maxnorm`` (by ``maxnorm / (norm + 1e-7)``, as PyTorch); the others unchanged.

    A composite of ``norm`` and ``where``: the gradient goes through the norm of the scaled
    slices, as PyTorch's renorm backward.

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([[3.0, 4.0], [0.3, 0.4]]).renorm(2, 0, 1.0)
        tensor([[0.6000, 0.8000],
                [0.3000, 0.4000]])
    """
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported; got p={p}")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(
            f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions"
        )
    d = dim % input.ndim
    others = tuple(i for i in range(input.ndim) if i != d)
    n = norm(input, p, others, True)
    factor = _where(n > maxnorm, maxnorm / (n + 1e-7), 1.0)
    return input * factor


def _renorm_(self: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    # computed from a copy, so that the write below does not invalidate what it saved
    return self.copy_(renorm(self.clone(), p, dim, maxnorm))


def _renorm_samples(rng: np.random.Generator, dt: Any) -> list:
    x = rand(rng, (3, 4), dt, 0.2, 2.0)
    x[1] *= 0.1  # a slice under the bound
    return [
        Sample((x, 2, 0, 1.0), name="p=2 rows"),
        Sample((rand(rng, (2, 3, 2), dt), 1, 1, 0.8), name="p=1 dim 1"),
        Sample((rand(rng, (2, 3), dt, 0.5, 1.5), 3.0, -1, 1.2), name="p=3 last dim"),
    ]


def_composite("renorm", renorm, samples=_renorm_samples, method=True, complex=True)
attach_method("renorm_", _renorm_)

__all__ = ["norm", "cumsum", "renorm"]
