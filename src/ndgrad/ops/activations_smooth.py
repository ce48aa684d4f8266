"""Smooth and gated activations of ``ndgrad.nn.functional`` (gelu, silu, mish, softplus,
logsigmoid, the shrinks, hard sigmoids, glu, softmin, gumbel_softmax) and the public names of
the whole family; the piecewise-linear ones are in activations.py."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import _backend
from .._core import random as _r
from .._core.tensor import Tensor
from . import pointwise  # noqa: F401 - before unary, whose aliases name trunc (pointwise's)
from .activations import (
    _F,
    _INV_SQRT_2PI,
    _ONE_SIXTH_F32,
    _SQRT_2_OVER_PI,
    _SQRT_HALF,
    _act,
    _away,
    _public,
    _run,
    _sel,
    _with,
    celu_,
    elu_,
    hardtanh,
    leaky_relu_,
    prelu,
    relu_,
    rrelu_,
    selu_,
    threshold_,
)
from .elementwise import _zeros_like, exp, tanh
from .join import cat
from .nn_ops import softmax
from .registry import (
    EXPORTS,
    NAMESPACE_ALIASES,
    TABLE,
    Sample,
    apply,
    attach_method,
    def_composite,
    to_tensor,
)
from .samples import rand
from .shape import narrow, wrap_dim
from .unary import erf, sigmoid

__all__ = [
    "gelu",
    "glu",
    "gumbel_softmax",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "logsigmoid",
    "mish",
    "silu",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanhshrink",
]

# ---------------------------------------------------------------- gelu / silu / mish


def _gelu_fwd(xp: Any, x: Any, *, approximate: str = "none") -> Any:
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + xp.tanh(inner))
    return 0.5 * x * (1 + _backend.extra(xp, "erf")(x * _SQRT_HALF))


def _gelu_vjp(g: Tensor, ans: Any, x: Tensor, *, approximate: str = "none") -> Tensor:
    if approximate == "tanh":
        t = tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
        dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner)
    # d/dx x Phi(x) = Phi(x) + x phi(x)
    return g * (0.5 * (1 + erf(x * _SQRT_HALF)) + x * exp(-0.5 * x * x) * _INV_SQRT_2PI)


def _gelu_ref(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3)))
    erf_np = np.vectorize(math.erf)
    return (0.5 * x * (1 + erf_np(x * _SQRT_HALF))).astype(x.dtype)


_GELU = _act(
    "gelu",
    _gelu_fwd,
    _gelu_vjp,
    kernel="GeluKernelImpl",
    params=(("approximate", "none"),),
    backward_name="GeluBackward0",
    samples=_with(_away(low=-3.0, high=3.0), ({"approximate": "tanh"}, (), -3, 3)),
    ref=_gelu_ref,
    doc="x Phi(x) with Phi the normal CDF (via erf); approximate='tanh' uses PyTorch's tanh "
    "form. d/dx = Phi(x) + x phi(x).",
)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` (Phi: the standard normal CDF, through erf), or the tanh approximation.

    Example:
        >>> import ndgrad
        >>> round(ndgrad.nn.functional.gelu(ndgrad.tensor([1.0])).item(), 4)
        0.8413
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return apply(_GELU, (input,), {"approximate": approximate})


_public(_GELU, gelu)


def _silu_fwd(xp: Any, x: Any) -> Any:
    e = xp.exp(-xp.abs(x))
    return x * xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _silu_vjp(g: Tensor, ans: Any, x: Tensor) -> Tensor:
    s = sigmoid(x)
    return g * s * (1 + x * (1 - s))


_SILU = _act(
    "silu",
    _silu_fwd,
    _silu_vjp,
    kernel="silu_cpu",
    complex_kernel=None,  # PyTorch computes silu of complex numbers
    backward_name="SiluBackward0",
    samples=_away(low=-4.0, high=4.0),
    ref=lambda x: x / (1 + np.exp(-x)),
    doc="x sigmoid(x). d/dx = s (1 + x (1 - s)) with s = sigmoid(x).",
)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``. d/dx = s (1 + x (1 - s))."""
    return _run(_SILU, input, inplace, {})


_public(_SILU, silu)


def _softplus_np(xp: Any, x: Any) -> Any:
    """log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)."""
    return xp.maximum(x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))


def _mish_fwd(xp: Any, x: Any) -> Any:
    return x * xp.tanh(_softplus_np(xp, x))


def _mish_vjp(g: Tensor, ans: Any, x: Tensor) -> Tensor:
    t = tanh(softplus(x))
    return g * (t + x * sigmoid(x) * (1 - t * t))


_MISH = _act(
    "mish",
    _mish_fwd,
    _mish_vjp,
    kernel="mish_cpu",
    backward_name="MishBackward0",
    samples=_away(low=-3.0, high=3.0),
    ref=lambda x: x * np.tanh(np.log1p(np.exp(x))),
    doc="x tanh(softplus(x)). d/dx = t + x sigmoid(x) (1 - t^2) with t = tanh(softplus(x)).",
)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    return _run(_MISH, input, inplace, {})


_public(_MISH, mish)


# ---------------------------------------------------------------- softplus / logsigmoid


def _softplus_fwd(xp: Any, x: Any, *, beta: float = 1.0, threshold: float = 20.0) -> Any:
    # PyTorch: x where beta x > threshold; below it, the stable form (PyTorch's log1p(exp(bx)))
    # so that large negative x gives 0 and nothing overflows at +-1000.
    bx = x * beta
    return xp.where(bx > threshold, x, _softplus_np(xp, bx) / beta)


def _softplus_vjp(g: Tensor, ans: Any, x: Tensor, *, beta: float, threshold: float) -> Tensor:
    bx = x * beta
    return _sel(bx > threshold, g, g * sigmoid(bx))


_SOFTPLUS = _act(
    "softplus",
    _softplus_fwd,
    _softplus_vjp,
    kernel="softplus_cpu",
    params=(("beta", 1.0), ("threshold", 20.0)),
    backward_name="SoftplusBackward0",
    samples=_with(
        _away(low=-3.0, high=3.0),
        ({"beta": 2.0}, (), -3, 3),
        ({"beta": 0.5, "threshold": 0.5}, (1.0,), -3, 3),
    ),
    ref=lambda x, beta=1.0, threshold=20.0: np.where(
        x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta
    ),
    doc="log(1 + e^(beta x)) / beta, and x where beta x > threshold; stable at any x. "
    "d/dx = sigmoid(beta x) (1 above the threshold).",
)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, reverting to ``x`` where ``beta x > threshold``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.functional.softplus(ndgrad.tensor([-1000.0, 1000.0])).tolist()
        [0.0, 1000.0]
    """
    return apply(_SOFTPLUS, (input,), {"beta": beta, "threshold": threshold})


_public(_SOFTPLUS, softplus)


def _logsigmoid_fwd(xp: Any, x: Any) -> Any:
    return xp.minimum(x, xp.zeros_like(x)) - xp.log1p(xp.exp(-xp.abs(x)))


_LOGSIGMOID = _act(
    "logsigmoid",
    _logsigmoid_fwd,
    lambda g, ans, x: g * sigmoid(-x),
    kernel="log_sigmoid_cpu",
    backward_name="LogSigmoidBackward0",
    samples=_away(low=-4.0, high=4.0),
    ref=lambda x: -np.log1p(np.exp(-x)),
    doc="log(sigmoid(x)) = min(x, 0) - log1p(e^-|x|), finite at any x. d/dx = sigmoid(-x).",
)


# ---------------------------------------------------------------- shrinks / hard sigmoids


logsigmoid = _LOGSIGMOID.fn


def _softshrink_fwd(xp: Any, x: Any, *, lambd: float = 0.5) -> Any:
    z = xp.zeros_like(x)
    return xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, z))


_SOFTSHRINK = _act(
    "softshrink",
    _softshrink_fwd,
    # PyTorch's softshrink_backward: 0 for -lambd <= x <= lambd (the bounds included).
    lambda g, ans, x, *, lambd: _sel((x > lambd) | (x < -lambd), g, 0.0),
    kernel="softshrink_cpu",
    complex_kernel="softshrink_check",
    params=(("lambd", 0.5),),
    backward_name="SoftshrinkBackward0",
    samples=_with(_away(-0.5, 0.5), ({"lambd": 1.0}, (-1.0, 1.0), -2, 2)),
    ref=lambda x, lambd=0.5: np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0)),
    doc="x - lambd above lambd, x + lambd below -lambd, 0 between. d/dx = 1 outside, 0 inside.",
)


softshrink = _SOFTSHRINK.fn


def _hardshrink_fwd(xp: Any, x: Any, *, lambd: float = 0.5) -> Any:
    return xp.where((x >= -lambd) & (x <= lambd), xp.zeros_like(x), x)


_HARDSHRINK = _act(
    "hardshrink",
    _hardshrink_fwd,
    lambda g, ans, x, *, lambd: _sel((x >= -lambd) & (x <= lambd), 0.0, g),
    kernel="hardshrink_cpu",
    params=(("lambd", 0.5),),
    backward_name="HardshrinkBackward0",
    samples=_with(_away(-0.5, 0.5), ({"lambd": 1.0}, (-1.0, 1.0), -2, 2)),
    ref=lambda x, lambd=0.5: np.where(np.abs(x) <= lambd, 0, x),
    doc="x where |x| > lambd, 0 elsewhere. d/dx = 1 where |x| > lambd, 0 elsewhere.",
)


hardshrink = _HARDSHRINK.fn


def _hardsigmoid_fwd(xp: Any, x: Any) -> Any:
    return xp.clip(x / 6 + 0.5, xp.asarray(0.0, dtype=x.dtype), xp.asarray(1.0, dtype=x.dtype))


_HARDSIGMOID = _act(
    "hardsigmoid",
    _hardsigmoid_fwd,
    # PyTorch's hardsigmoid_backward: 1/6 for -3 < x < 3, 0 at and beyond the bounds; its
    # 1/6 is the float32 constant (1.0f / 6.0f) whatever the dtype, so is ours.
    lambda g, ans, x: _sel((x > -3.0) & (x < 3.0), g * _ONE_SIXTH_F32, 0.0),
    kernel="hardsigmoid_cpu",
    backward_name="HardsigmoidBackward0",
    samples=_away(-3.0, 3.0, low=-4.0, high=4.0),
    ref=lambda x: np.clip(x / 6 + 0.5, 0, 1),
    doc="relu6(x + 3) / 6. d/dx = 1/6 for -3 < x < 3, else 0.",
)


def _hardswish_fwd(xp: Any, x: Any) -> Any:
    return x * xp.clip(x + 3, xp.asarray(0.0, dtype=x.dtype), xp.asarray(6.0, dtype=x.dtype)) / 6


def _hardswish_vjp(g: Tensor, ans: Any, x: Tensor) -> Tensor:
    # PyTorch's hardswish_backward: 0 for x <= -3, x / 3 + 1/2 for -3 < x < 3, 1 for x >= 3.
    return _sel(x <= -3.0, 0.0, _sel(x < 3.0, g * (x / 3 + 0.5), g))


_HARDSWISH = _act(
    "hardswish",
    _hardswish_fwd,
    _hardswish_vjp,
    kernel="hardswish_cpu",
    backward_name="HardswishBackward0",
    samples=_away(-3.0, 3.0, low=-4.0, high=4.0),
    ref=lambda x: x * np.clip(x + 3, 0, 6) / 6,
    doc="x relu6(x + 3) / 6. d/dx = 0 for x <= -3, x/3 + 1/2 for -3 < x < 3, else 1.",
)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    return _run(_HARDSIGMOID, input, inplace, {})


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    return _run(_HARDSWISH, input, inplace, {})


_public(_HARDSIGMOID, hardsigmoid)
_public(_HARDSWISH, hardswish)


# ---------------------------------------------------------------- glu


def _glu_fwd(xp: Any, x: Any, *, dim: int = -1) -> Any:
    d = dim % x.ndim
    h = x.shape[d] // 2
    a = x[(slice(None),) * d + (slice(0, h), Ellipsis)]
    b = x[(slice(None),) * d + (slice(h, None), Ellipsis)]
    e = xp.exp(-xp.abs(b))
    return a * xp.where(b >= 0, 1 / (1 + e), e / (1 + e))


def _glu_halves(x: Tensor, dim: int) -> tuple:
    dim = dim % x.ndim
    h = x.shape[dim] // 2
    return narrow(x, dim, 0, h), narrow(x, dim, h, h)


def _glu_vjp(g: Tensor, ans: Any, x: Tensor, *, dim: int) -> Tensor:
    a, b = _glu_halves(x, dim)
    s = sigmoid(b)
    gs = g * s
    return cat([gs, gs * a * (1 - s)], dim % x.ndim)


def _glu_jvp(tangents: tuple, ans: Any, x: Tensor, *, dim: int) -> Any:
    a, b = _glu_halves(x, dim)
    ta, tb = _glu_halves(tangents[0], dim)
    s = sigmoid(b)
    return s * (ta + a * (1 - s) * tb)


_GLU = _act(
    "glu",
    _glu_fwd,
    _glu_vjp,
    kernel="glu_cpu",
    jvp=_glu_jvp,
    params=(("dim", -1),),
    backward_name="GluBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 4), dt),)),
        Sample((rand(rng, (2, 2, 3), dt),), {"dim": 1}),
    ],
    ref=lambda x, dim=-1: np.split(x, 2, axis=dim)[0] / (1 + np.exp(-np.split(x, 2, axis=dim)[1])),
    doc="a * sigmoid(b) with a, b the halves of the input along dim. d/da = sigmoid(b), "
    "d/db = a s (1 - s).",
)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """``a * sigmoid(b)``, with ``a`` and ``b`` the two halves of ``input`` along ``dim``."""
    x = to_tensor(input)
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, x.ndim)
    if x.shape[d] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {d} is size {x.shape[d]}"
        )
    return apply(_GLU, (x,), {"dim": dim})


_public(_GLU, glu)


# ---------------------------------------------------------------- composites


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)`` (a composite: DivBackward0, as PyTorch)."""
    return input / (input.abs() + 1)


def_composite(
    _F + "softsign",
    softsign,
    samples=_away(0.0),
    ref=lambda x: x / (1 + np.abs(x)),
    complex=True,
)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)`` (a composite: SubBackward0, as PyTorch)."""
    return input - tanh(input)


def_composite(
    _F + "tanhshrink", tanhshrink, samples=_away(), ref=lambda x: x - np.tanh(x), complex=True
)


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """``softmax(-x, dim)``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel + 1)  # + def_composite's call
    x = input if dtype is None else input.to(dtype)
    return softmax(-x, dim)


def_composite(
    _F + "softmin",
    softmin,
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt),), {"dim": 1}),
        Sample((rand(rng, (4,), dt),), {"dim": 0}),
    ],
    ref=lambda x, dim: np.exp(-x) / np.sum(np.exp(-x), axis=dim, keepdims=True),
)


def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """``softmax((logits + G) / tau, dim)`` with G standard Gumbel noise drawn from the default
    generator (seeded by ``manual_seed``); ``hard=True`` returns the one-hot of the argmax in
    the forward pass and the soft sample's gradient (``y_hard - y_soft.detach() + y_soft``)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    x = to_tensor(logits)
    e = _r.np_generator(None, "gumbel_softmax").exponential(1.0, tuple(x.shape))
    xa = _backend.to_numpy(x._data)
    g_np = (-np.log(e)).astype(xa.dtype)
    xp = _backend.namespace(x._data)
    gumbels = to_tensor(g_np if xp is np else _backend.asarray(xp, g_np))
    y_soft = softmax((x + gumbels) / tau, dim)
    if not hard:
        return y_soft
    d = wrap_dim(dim, x.ndim)
    index = y_soft.detach().argmax(d, keepdim=True)
    y_hard = _zeros_like(y_soft.detach()).scatter(d, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


# Random, so not in the table (whose template calls an op many times and expects the same
# values each time): a name of the namespace only, checked by hand in tests/test_activations.py
# (seeding, one-hot, gradients).


# ---------------------------------------------------------------- names

_fns = {
    "elu_": elu_,
    "selu_": selu_,
    "celu_": celu_,
    "leaky_relu_": leaky_relu_,
    "threshold_": threshold_,
    "rrelu_": rrelu_,
    "relu_": relu_,
}


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place ``hardtanh``."""
    return hardtanh(input, min_val, max_val, inplace=True)


_fns["hardtanh_"] = hardtanh_
_fns["gumbel_softmax"] = gumbel_softmax
NAMESPACE_ALIASES.setdefault("nn.functional", {}).update(_fns)

# Top-level PyTorch names (torch.selu, torch.celu_, torch.prelu, torch.hardshrink ...).
for _name in ("selu", "celu", "prelu", "rrelu", "threshold", "hardshrink"):
    EXPORTS[_name] = TABLE[_F + _name].fn
for _name in ("selu_", "celu_", "rrelu_", "threshold_", "relu_"):
    EXPORTS[_name] = _fns[_name]
attach_method("hardshrink", TABLE[_F + "hardshrink"].fn)
attach_method("prelu", prelu)
