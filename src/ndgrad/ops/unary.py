"""Elementwise functions of one input beyond the basics: trigonometric, hyperbolic, logarithms,
activations (relu, sigmoid ...), sign, abs, erf; each with its vjp, jvp and samples."""

import math
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.tensor import Tensor
from ._real import kernel, message, real_only
from .elementwise import (
    _avoiding,
    _cj,
    _is_complex,
    _real_pair,
    _sgn,
    _sigmoid_backward,
    _unary_away,
    _zeros_like,
    bind_aliases,
    exp,
    where,
)
from .families import unary_float
from .registry import EXPORTS, Sample, attach_method, def_op
from .samples import binary, rand, unary

# ---------------------------------------------------------------- more unary functions
log1p = def_op(
    "log1p",
    forward=lambda xp, x: xp.log1p(x),
    vjp=lambda g, ans, x: g / _cj(x + 1),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(low=-0.5, high=2.0),
    ref=np.log1p,
    complex=True,
    doc="log(1 + x), accurate near 0. d/dx log1p x = 1/(1 + x).",
)

expm1 = def_op(
    "expm1",
    forward=lambda xp, x: xp.expm1(x),
    vjp=lambda g, ans, x: g * _cj(ans + 1),
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
    samples=unary(),
    ref=np.expm1,
    complex=True,
    doc="e^x - 1, accurate near 0. d/dx expm1 x = e^x = expm1 x + 1.",
)

sqrt = def_op(
    "sqrt",
    ufunc=np.sqrt,
    forward=lambda xp, x: xp.sqrt(x),
    vjp=lambda g, ans, x: g / (2 * _cj(ans)),  # at x = 0: inf, as PyTorch
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
    samples=unary(low=0.5, high=3.0),
    ref=np.sqrt,
    complex=True,
    doc="Square root. d/dx sqrt x = 1/(2 sqrt x).",
)

rsqrt = def_op(
    "rsqrt",
    forward=lambda xp, x: 1 / xp.sqrt(x),
    vjp=lambda g, ans, x: -0.5 * g * _cj(ans**3),
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
    samples=unary(low=0.5, high=3.0),
    ref=lambda x: 1 / np.sqrt(x),
    complex=True,
    doc="1/sqrt(x). d/dx x^(-1/2) = -x^(-3/2)/2.",
)


def _abs_vjp(g: Tensor, ans: Any, x: Tensor) -> Tensor:
    # PyTorch: grad * sgn(x), so the subgradient at x == 0 is 0. For complex x, sgn(x) = x / |x|
    # (|z| is not holomorphic: d|z|/dRe + i d|z|/dIm = z / |z|), written in ops for second order.
    if _is_complex(x):
        return g * _sgn(x)
    return g * sign(x)


abs = def_op(  # noqa: A001 - PyTorch's name
    "abs",
    forward=lambda xp, x: xp.abs(x),
    vjp=_abs_vjp,
    jvp="elementwise",
    inplace=True,
    samples=_unary_away(),
    ref=np.abs,
    complex=True,
    doc="|x|; keeps integer dtypes. d/dx |x| = sign(x) (0 at x = 0, as PyTorch).",
)


def _sign_fwd(xp: Any, x: Any) -> Any:
    if x.dtype == xp.bool:  # PyTorch: sign of a bool tensor is itself
        return xp.asarray(x, copy=True)
    out = xp.sign(x)
    if _dt.from_np_dtype(x.dtype).is_floating_point:
        out = xp.where(xp.isnan(x), xp.zeros_like(out), out)  # PyTorch: sign(NaN) is 0
    return out


sign = def_op(
    "sign",
    forward=real_only(  # See Note [Complex numbers have no order] in ops/_real.py
        _sign_fwd,
        message(
            NotImplementedError,
            "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
            "torch.sgn instead.",
            "sgn(z) = z / |z| is the complex sign",
        ),
    ),
    # Differentiable with a zero gradient everywhere (PyTorch: zeros_like(grad)), so the output
    # of sign(x) still requires grad, as in PyTorch.
    vjp=lambda g, ans, x: _zeros_like(g),
    jvp="elementwise",
    save=None,
    inplace=True,
    samples=_unary_away(),
    ref=np.sign,
    doc="-1, 0 or 1 by the sign of x; keeps the dtype. d/dx sign x = 0 (also at 0).",
)

tan = def_op(
    "tan",
    forward=lambda xp, x: xp.tan(x),
    vjp=lambda g, ans, x: g * _cj(1 + ans * ans),
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
    samples=unary(low=-1.2, high=1.2),
    ref=np.tan,
    complex=True,
    doc="Tangent. d/dx tan x = 1 + tan^2 x.",
)

asin = def_op(
    "asin",
    forward=lambda xp, x: xp.asin(x),
    vjp=lambda g, ans, x: g * _cj(rsqrt(1 - x * x)),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(low=-0.9, high=0.9),
    ref=np.arcsin,
    complex=True,
    doc="Inverse sine. d/dx asin x = 1/sqrt(1 - x^2).",
)

acos = def_op(
    "acos",
    forward=lambda xp, x: xp.acos(x),
    vjp=lambda g, ans, x: -g * _cj(rsqrt(1 - x * x)),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(low=-0.9, high=0.9),
    ref=np.arccos,
    complex=True,
    doc="Inverse cosine. d/dx acos x = -1/sqrt(1 - x^2).",
)

atan = def_op(
    "atan",
    forward=lambda xp, x: xp.atan(x),
    vjp=lambda g, ans, x: g / _cj(1 + x * x),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(low=-3.0, high=3.0),
    ref=np.arctan,
    complex=True,
    doc="Inverse tangent. d/dx atan x = 1/(1 + x^2).",
)


def _atan2_samples(rng: np.random.Generator, dtype: Any) -> list:
    # Away from the origin and from the branch cut (x < 0, y = 0).
    out = binary(low2=0.5, high2=2.0, scalar=None)(rng, dtype)
    out.append(
        Sample(
            (rand(rng, (2, 3), dtype, 0.5, 2.0), rand(rng, (3,), dtype, -2.0, -0.5)),
            name="left half-plane",
        )
    )
    return out


def _atan2_recip(y: Tensor, x: Tensor) -> Tensor:
    # 1 / (x^2 + y^2), and 0 at the origin: PyTorch's gradient of atan2(0, 0) is 0 (not 0/0).
    den = y * y + x * x
    zero = den == 0
    return where(zero, 0.0, 1.0 / where(zero, 1.0, den))


atan2 = def_op(
    "atan2",
    forward=lambda xp, y, x: xp.atan2(y, x),
    vjp=(
        lambda g, ans, y, x: g * x * _atan2_recip(y, x),
        lambda g, ans, y, x: g * -y * _atan2_recip(y, x),
    ),
    jvp="elementwise",
    inputs=("input", "other"),
    promote="float",
    inplace=True,
    samples=_atan2_samples,
    ref=np.arctan2,
    doc="The angle of the point (other, input): atan(input/other) in the right quadrant. "
    "d/dy = x/(x^2 + y^2), d/dx = -y/(x^2 + y^2) for atan2(y, x).",
)

sinh = def_op(
    "sinh",
    forward=lambda xp, x: xp.sinh(x),
    vjp=lambda g, ans, x: g * _cj(cosh(x)),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(),
    ref=np.sinh,
    complex=True,
    doc="Hyperbolic sine. d/dx sinh x = cosh x.",
)

cosh = def_op(
    "cosh",
    forward=lambda xp, x: xp.cosh(x),
    vjp=lambda g, ans, x: g * _cj(sinh(x)),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(),
    ref=np.cosh,
    complex=True,
    doc="Hyperbolic cosine. d/dx cosh x = sinh x.",
)


def _sigmoid_fwd(xp: Any, x: Any) -> Any:
    # exp of -|x| only, so no overflow for large |x| of either sign.
    if xp.isdtype(x.dtype, "complex floating"):  # no sign to split on: 1/(1 + e^-z), as PyTorch
        return 1 / (1 + xp.exp(-x))
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_vjp(g: Tensor, ans: Tensor, x: Any) -> Tensor:
    if _real_pair(g, ans):
        return _sigmoid_backward(g, ans)  # one op, as PyTorch's sigmoid_backward
    return g * _cj(ans * (1 - ans))


sigmoid = def_op(
    "sigmoid",
    forward=_sigmoid_fwd,
    vjp=_sigmoid_vjp,
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
    complex=True,
    samples=unary(low=-4.0, high=4.0),
    ref=lambda x: 1 / (1 + np.exp(-x)),
    doc="Logistic function 1/(1 + e^-x). d/dx sigmoid x = sigmoid x (1 - sigmoid x).",
)


def _relu_fwd(xp: Any, x: Any) -> Any:
    if xp is np:  # NumPy takes the scalar directly: no array of zeros to allocate
        return np.maximum(x, x.dtype.type(0))  # NaN stays NaN, as PyTorch's clamp_min(x, 0)
    return xp.maximum(x, xp.zeros_like(x))


def _relu_vjp(g: Tensor, ans: Tensor, x: Any) -> Tensor:
    # PyTorch's threshold_backward(grad, result, 0): 0 where result <= 0, so the subgradient at
    # x == 0 is 0 (and NaN inputs pass the gradient through). A select, not a product with the
    # mask: an inf/NaN arriving from upstream at a masked position gives 0, not NaN.
    return _threshold_backward(g, ans)


# No complex numbers: See Note [Complex numbers have no order] in ops/_real.py.
_ORDER_HINT = "complex numbers have no order: apply it to .real and .imag, or to .abs()"


def _threshold_backward_fwd(xp: Any, g: Any, r: Any) -> Any:
    mask = xp.logical_not(r <= 0)  # a NaN result passes the gradient, as PyTorch
    if xp is np and g.dtype.kind == "f":
        # NumPy's where is ~4x slower than a product on the random masks relu makes: multiply,
        # then turn the -0.0 of negative g * False into 0.0; where() only when g is not finite.
        if not np.isfinite(g).all():
            return np.where(mask, g, g.dtype.type(0))
        out = np.multiply(g, mask)
        out += g.dtype.type(0)
        return out
    return xp.where(mask, g, xp.zeros_like(g))


def _threshold_backward_samples(rng: np.random.Generator, dtype: Any) -> list:
    # Away from 0, where the mask flips (a finite difference there would see the jump).
    r = _avoiding(rng, (2, 3), dtype, (0.0,), -2.0, 2.0)
    return [
        Sample((rand(rng, (2, 3), dtype), r), grad=(0, 1)),
        Sample((rand(rng, (), dtype), np.asarray(1.5, dtype=dtype)), grad=(0, 1)),
    ]


_threshold_backward = def_op(
    "_threshold_backward",
    forward=real_only(_threshold_backward_fwd, kernel("threshold_cpu", _ORDER_HINT)),
    # d/dg is the same select; d/dr is 0 (the mask is piecewise constant), and it is a zero
    # tensor rather than None so that double backward through a relu gives zeros, as PyTorch.
    vjp=(
        lambda gg, ans, g, r: _threshold_backward(gg, r),
        lambda gg, ans, g, r: _zeros_like(gg),
    ),
    jvp="elementwise",
    inputs=("grad_output", "self"),
    save_for=((1,), ()),
    method=False,
    export=False,
    backward_name="ThresholdBackwardBackward0",
    samples=_threshold_backward_samples,
    ref=lambda g, r: np.where(r <= 0, 0.0, g),
    torch=lambda g, r: __import__("torch").ops.aten.threshold_backward(g, r, 0),
    doc="relu's backward: ``grad_output`` where ``self`` (relu's result) > 0, else 0.",
)


relu = def_op(
    "relu",
    forward=real_only(  # PyTorch's relu is clamp_min(x, 0)
        _relu_fwd,
        message(NotImplementedError, "clamp is not supported for complex types", _ORDER_HINT),
    ),
    vjp=_relu_vjp,
    jvp="elementwise",
    save="ans",
    inplace=True,
    samples=_unary_away(),
    ref=lambda x: np.maximum(x, 0),
    doc="max(x, 0); keeps integer dtypes. d/dx relu x = 1 where x > 0, else 0 (0 at x = 0).",
)

_TWO_OVER_SQRT_PI = 2.0 / float(np.sqrt(np.pi))
_erf_ref = np.vectorize(math.erf)

erf = def_op(
    "erf",
    forward=lambda xp, x: _backend.extra(xp, "erf")(x),
    vjp=lambda g, ans, x: g * (_TWO_OVER_SQRT_PI * exp(-(x * x))),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(),
    ref=lambda x: _erf_ref(x).astype(x.dtype),
    doc="Error function. d/dx erf x = 2/sqrt(pi) e^(-x^2).",
)


Tensor.__abs__ = abs
# ---------------------------------------------------------------- inverse hyperbolic functions
asinh = unary_float(
    "asinh",
    lambda g, ans, x: g * _cj(rsqrt(x * x + 1)),
    complex=True,
    doc="Inverse hyperbolic sine. d/dx asinh x = 1/sqrt(x^2 + 1).",
)
acosh = unary_float(
    "acosh",
    lambda g, ans, x: g * _cj(rsqrt(x * x - 1)),  # PyTorch's formula (complex too)
    low=1.2,
    high=3.0,
    complex=True,
    doc="Inverse hyperbolic cosine (x >= 1). d/dx acosh x = 1/sqrt(x^2 - 1).",
)
atanh = unary_float(
    "atanh",
    lambda g, ans, x: g * _cj(1 / (1 - x * x)),
    low=-0.8,
    high=0.8,
    complex=True,
    doc="Inverse hyperbolic tangent (|x| < 1). d/dx atanh x = 1/(1 - x^2).",
)

bind_aliases({"absolute": "abs", "arcsin": "asin", "arccos": "acos", "arctan": "atan"})
bind_aliases({"arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh"})
bind_aliases({"negative": "neg"})


def positive(input: Tensor) -> Tensor:
    """``input`` itself (``+x``); refused for bool tensors, as PyTorch."""
    if input.dtype is _dt.bool_:
        raise RuntimeError(
            "The `+` operator, on a bool tensor is not supported.; hint: convert it first, "
            "e.g. x.int()"
        )
    return input


EXPORTS["positive"] = positive
attach_method("positive", positive)
bind_aliases({"arctan2": "atan2"})
