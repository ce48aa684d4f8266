"""Elementwise ops: arithmetic, transcendental functions, comparisons, casts.

Conventions of the rules: ``g`` the incoming cotangent, ``ans`` the output, inputs by name. The
engine sums each result back to its input's shape, so broadcasting needs nothing here.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.tensor import Tensor
from .registry import EXPORTS, TABLE, Sample, apply_inplace, attach_method, def_op
from .samples import BINARY_SHAPES, UNARY_SHAPES, binary, distinct, rand, unary

# ---------------------------------------------------------------- arithmetic
add = def_op(
    "add",
    ufunc=operator.add,
    stubs=False,  # its rules read only what they saved
    forward=lambda xp, x, y: x + y,
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: g),
    jvp="linear",
    inputs=("input", "other"),
    save=None,
    promote="binary",
    inplace=True,
    samples=binary(),
    ref=np.add,
    doc="``input + other``, broadcasting. d/dx = 1, d/dy = 1.",
)

sub = def_op(
    "sub",
    ufunc=operator.sub,
    stubs=False,  # its rules read only what they saved
    forward=lambda xp, x, y: x - y,
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: -g),
    jvp="linear",
    inputs=("input", "other"),
    save=None,
    promote="binary",
    inplace=True,
    samples=binary(),
    ref=np.subtract,
    doc="``input - other``. d/dx = 1, d/dy = -1.",
)

mul = def_op(
    "mul",
    ufunc=operator.mul,
    stubs=False,  # its rules read only what they saved
    forward=lambda xp, x, y: x * y,
    vjp=(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x),
    jvp="bilinear",
    inputs=("input", "other"),
    save_for=((1,), (0,)),  # d/dx reads y only, d/dy reads x only
    promote="binary",
    inplace=True,
    samples=binary(),
    ref=np.multiply,
    doc="``input * other``. d/dx = y, d/dy = x.",
)


def _div_fwd(xp: Any, x: Any, y: Any) -> Any:
    return x / y


div = def_op(
    "div",
    ufunc=operator.truediv,
    stubs=False,  # its rules read only what they saved
    forward=_div_fwd,
    vjp=(lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * x / (y * y)),
    jvp="elementwise",
    inputs=("input", "other"),
    save_for=((1,), (0, 1)),  # d/dx reads y; d/dy reads x and y
    promote="float",
    inplace=True,
    samples=binary(low2=0.5, high2=2.0),
    ref=np.divide,
    doc="``input / other`` (true division). d/dx = 1/y, d/dy = -x/y^2.",
)

neg = def_op(
    "neg",
    ufunc=operator.neg,
    stubs=False,  # its rules read only what they saved
    forward=lambda xp, x: -x,
    vjp=lambda g, ans, x: -g,
    jvp="linear",
    save=None,
    inplace=True,
    samples=unary(),
    ref=np.negative,
    doc="``-input``. d/dx = -1.",
)


def _pow_vjp_base(g: Tensor, ans: Any, x: Tensor, y: Any) -> Tensor:
    # d/dx x^y = y x^(y-1); PyTorch gives 0 where y == 0 (even at x == 0).
    if isinstance(y, (int, float)):
        if y == 0:
            return g * 0.0
        if y == 2:  # the common square: 2x, without a pow
            return g * (x * 2.0)
        return g * (y * x ** (y - 1))
    return g * where(y == 0, 0.0, y * x ** (y - 1))


def _pow_vjp_exp(g: Tensor, ans: Any, x: Any, y: Tensor) -> Tensor:
    # d/dy x^y = x^y log x; PyTorch masks x == 0 (where y >= 0) to 0 instead of 0 * -inf.
    if isinstance(x, (int, float)):
        return g * (x**y) * float(np.log(x)) if x > 0 else g * where(y >= 0, 0.0, x**y * np.log(x))
    zero = (x == 0) & (y >= 0)
    # log of 1 where masked: no log(0) warning, and no 0 * inf in a second derivative.
    return g * where(zero, 0.0, (x**y) * log(where(zero, 1.0, x)))


def _pow_fwd(xp: Any, x: Any, y: Any) -> Any:
    return x**y


pow = def_op(  # noqa: A001 - PyTorch's name
    "pow",
    forward=_pow_fwd,
    vjp=(_pow_vjp_base, _pow_vjp_exp),
    jvp="elementwise",
    inputs=("input", "exponent"),
    promote="binary",
    inplace=True,
    samples=binary(low=0.5, high=2.0, scalar=3.0),
    ref=np.power,
    doc="``input ** exponent``. d/dx = y x^(y-1), d/dy = x^y log x.",
)

# ---------------------------------------------------------------- unary functions
exp = def_op(
    "exp",
    ufunc=np.exp,
    forward=lambda xp, x: xp.exp(x),
    vjp=lambda g, ans, x: g * ans,
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
    samples=unary(),
    ref=np.exp,
    doc="e^x. d/dx e^x = e^x.",
)

log = def_op(
    "log",
    ufunc=np.log,
    forward=lambda xp, x: xp.log(x),
    vjp=lambda g, ans, x: g / x,
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(low=0.5, high=3.0),
    ref=np.log,
    doc="Natural logarithm. d/dx log x = 1/x.",
)

sin = def_op(
    "sin",
    ufunc=np.sin,
    forward=lambda xp, x: xp.sin(x),
    vjp=lambda g, ans, x: g * cos(x),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(low=-3.0, high=3.0),
    ref=np.sin,
    doc="Sine. d/dx sin x = cos x.",
)

cos = def_op(
    "cos",
    ufunc=np.cos,
    forward=lambda xp, x: xp.cos(x),
    vjp=lambda g, ans, x: -g * sin(x),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(low=-3.0, high=3.0),
    ref=np.cos,
    doc="Cosine. d/dx cos x = -sin x.",
)

tanh = def_op(
    "tanh",
    ufunc=np.tanh,
    forward=lambda xp, x: xp.tanh(x),
    vjp=lambda g, ans, x: g * (1 - ans * ans),
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
    samples=unary(),
    ref=np.tanh,
    doc="Hyperbolic tangent. d/dx tanh x = 1 - tanh^2 x.",
)

# ---------------------------------------------------------------- sample helpers
# Samples keep away from non-smooth points and domain edges, whatever the seed: the generic
# tests check gradients by central differences, which do not hold across a kink. Ties and bounds
# are checked by hand in tests/test_elementwise_ties.py.


def _avoiding(
    rng: np.random.Generator,
    shape: tuple,
    dtype: Any,
    points: tuple = (0.0,),
    low: float = -2.0,
    high: float = 2.0,
    gap: float = 0.1,
) -> np.ndarray:
    """Uniform values on [low, high) at least ``gap`` from each of ``points`` (which may be
    arrays broadcasting against ``shape``)."""
    x = np.asarray(rng.uniform(low, high, shape))
    for _ in range(1000):
        bad = np.zeros(shape, bool)
        for p in points:
            near = np.abs(x - np.asarray(p, dtype=np.float64)) < gap
            while near.ndim > len(shape):  # a point of higher rank: x broadcasts over it
                near = near.any(axis=0)
            for ax, n in enumerate(shape):
                if n == 1 and near.shape[ax] > 1:
                    near = near.any(axis=ax, keepdims=True)
            bad = bad | near
        if not bad.any():
            break
        x = np.where(bad, rng.uniform(low, high, shape), x)
    return x.astype(dtype)


def _unary_away(points: tuple = (0.0,), low: float = -2.0, high: float = 2.0) -> Any:
    """Like ``unary`` but away from ``points`` (kinks such as 0 for abs and relu)."""

    def gen(rng: np.random.Generator, dtype: Any) -> list:
        return [
            Sample((_avoiding(rng, s, dtype, points, low, high),), name=str(s))
            for s in UNARY_SHAPES
        ]

    return gen


def _separated(rng: np.random.Generator, dtype: Any) -> list:
    """Pairs with no ties anywhere (gaps of 0.37), for minimum/maximum."""
    out = []
    for a, b in BINARY_SHAPES:
        na, nb = int(np.prod(a)), int(np.prod(b))
        v = distinct(rng, (na + nb,), dtype)
        out.append(Sample((v[:na].reshape(a), v[na:].reshape(b)), name=f"{a}{b}"))
    return out


# ---------------------------------------------------------------- more unary functions
log1p = def_op(
    "log1p",
    forward=lambda xp, x: xp.log1p(x),
    vjp=lambda g, ans, x: g / (x + 1),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(low=-0.5, high=2.0),
    ref=np.log1p,
    doc="log(1 + x), accurate near 0. d/dx log1p x = 1/(1 + x).",
)

expm1 = def_op(
    "expm1",
    forward=lambda xp, x: xp.expm1(x),
    vjp=lambda g, ans, x: g * (ans + 1),
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
    samples=unary(),
    ref=np.expm1,
    doc="e^x - 1, accurate near 0. d/dx expm1 x = e^x = expm1 x + 1.",
)

sqrt = def_op(
    "sqrt",
    ufunc=np.sqrt,
    forward=lambda xp, x: xp.sqrt(x),
    vjp=lambda g, ans, x: g / (2 * ans),  # at x = 0: inf, as PyTorch
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
    samples=unary(low=0.5, high=3.0),
    ref=np.sqrt,
    doc="Square root. d/dx sqrt x = 1/(2 sqrt x).",
)

rsqrt = def_op(
    "rsqrt",
    forward=lambda xp, x: 1 / xp.sqrt(x),
    vjp=lambda g, ans, x: -0.5 * g * ans**3,
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
    samples=unary(low=0.5, high=3.0),
    ref=lambda x: 1 / np.sqrt(x),
    doc="1/sqrt(x). d/dx x^(-1/2) = -x^(-3/2)/2.",
)


def _abs_vjp(g: Tensor, ans: Any, x: Tensor) -> Tensor:
    # PyTorch: grad * sgn(x), so the subgradient at x == 0 is 0.
    return g * sign(x)


abs = def_op(  # noqa: A001 - PyTorch's name
    "abs",
    forward=lambda xp, x: xp.abs(x),
    vjp=_abs_vjp,
    jvp="elementwise",
    inplace=True,
    samples=_unary_away(),
    ref=np.abs,
    doc="|x|; keeps integer dtypes. d/dx |x| = sign(x) (0 at x = 0, as PyTorch).",
)


def _sign_fwd(xp: Any, x: Any) -> Any:
    if x.dtype == xp.bool:  # PyTorch: sign of a bool tensor is itself
        return xp.asarray(x, copy=True)
    return xp.sign(x)


sign = def_op(
    "sign",
    forward=_sign_fwd,
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
    vjp=lambda g, ans, x: g * (1 + ans * ans),
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
    samples=unary(low=-1.2, high=1.2),
    ref=np.tan,
    doc="Tangent. d/dx tan x = 1 + tan^2 x.",
)

asin = def_op(
    "asin",
    forward=lambda xp, x: xp.asin(x),
    vjp=lambda g, ans, x: g * rsqrt(1 - x * x),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(low=-0.9, high=0.9),
    ref=np.arcsin,
    doc="Inverse sine. d/dx asin x = 1/sqrt(1 - x^2).",
)

acos = def_op(
    "acos",
    forward=lambda xp, x: xp.acos(x),
    vjp=lambda g, ans, x: -g * rsqrt(1 - x * x),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(low=-0.9, high=0.9),
    ref=np.arccos,
    doc="Inverse cosine. d/dx acos x = -1/sqrt(1 - x^2).",
)

atan = def_op(
    "atan",
    forward=lambda xp, x: xp.atan(x),
    vjp=lambda g, ans, x: g / (1 + x * x),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(low=-3.0, high=3.0),
    ref=np.arctan,
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


atan2 = def_op(
    "atan2",
    forward=lambda xp, y, x: xp.atan2(y, x),
    vjp=(
        lambda g, ans, y, x: g * x / (y * y + x * x),
        lambda g, ans, y, x: -g * y / (y * y + x * x),
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
    vjp=lambda g, ans, x: g * cosh(x),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(),
    ref=np.sinh,
    doc="Hyperbolic sine. d/dx sinh x = cosh x.",
)

cosh = def_op(
    "cosh",
    forward=lambda xp, x: xp.cosh(x),
    vjp=lambda g, ans, x: g * sinh(x),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(),
    ref=np.cosh,
    doc="Hyperbolic cosine. d/dx cosh x = sinh x.",
)


def _sigmoid_fwd(xp: Any, x: Any) -> Any:
    # exp of -|x| only, so no overflow for large |x| of either sign.
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


sigmoid = def_op(
    "sigmoid",
    forward=_sigmoid_fwd,
    vjp=lambda g, ans, x: g * ans * (1 - ans),
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
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
    # x == 0 is 0 (and NaN inputs pass the gradient through). A product with the mask rather
    # than where(): NumPy's where is ~10x slower on the random masks relu makes. (It differs only
    # where g itself is inf/NaN at a masked position: inf * 0 is NaN there, not 0.)
    return g * logical_not(ans <= 0)


relu = def_op(
    "relu",
    forward=_relu_fwd,
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

# ---------------------------------------------------------------- clamp, minimum, maximum


def _clamp_fwd(xp: Any, x: Any, lo: Any, hi: Any) -> Any:
    if lo is None and hi is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if lo is not None:
        x = xp.maximum(x, lo)
    if hi is not None:
        x = xp.minimum(x, hi)  # min > max: every element becomes max, as PyTorch and NumPy
    return x


# Subgradients of clamp, as PyTorch's clamp_backward and clamp_backward_min_max:
# * input: the gradient passes where min <= x <= max, bounds included (subgradient 1 at a bound);
# * min (a tensor): gets the gradient where x < min, and, when max is given too, only where
#   min < max (with min > max the output is max everywhere);
# * max (a tensor): gets it where x > max, or everywhere max < min.
# So at x == min == max nobody gets the gradient but the input, and for x < min == max nobody.
def _clamp_vjp_input(g: Tensor, ans: Any, x: Tensor, lo: Any, hi: Any) -> Tensor:
    if lo is None:
        return where(x <= hi, g, 0.0)
    if hi is None:
        return where(x >= lo, g, 0.0)
    return where((x >= lo) & (x <= hi), g, 0.0)


def _clamp_vjp_min(g: Tensor, ans: Any, x: Tensor, lo: Tensor, hi: Any) -> Tensor:
    if hi is None:
        return where(x < lo, g, 0.0)
    return where((x < lo) & (lo < hi), g, 0.0)


def _clamp_vjp_max(g: Tensor, ans: Any, x: Tensor, lo: Any, hi: Tensor) -> Tensor:
    if lo is None:
        return where(x > hi, g, 0.0)
    return where((x > hi) | (hi < lo), g, 0.0)


def _clamp_samples(rng: np.random.Generator, dtype: Any) -> list:
    lo = rng.uniform(-1.5, -0.5, (3,))
    hi = rng.uniform(0.5, 1.5, (2, 1))

    def x(shape: tuple, *points: Any) -> np.ndarray:
        return _avoiding(rng, shape, dtype, points)

    # Not here, as PyTorch 2.13 has no answer to compare with (both are checked in
    # tests/test_elementwise_ties.py): an input smaller than the bounds (its clamp backward fails:
    # "output with shape [1, 3] doesn't match the broadcast shape [2, 3]"), and a tensor bound
    # with a number bound (its clamp() takes two tensors or two numbers; ndgrad takes both).
    return [
        Sample((x((2, 3), -0.5, 0.5),), {"min": -0.5, "max": 0.5}, name="numbers"),
        Sample((x((4,), -0.5),), {"min": -0.5}, name="min only"),
        Sample((x((), 0.5),), {"max": 0.5}, name="max only, 0-d"),
        Sample((x((2, 3), lo, hi), lo.astype(dtype), hi.astype(dtype)), name="tensors"),
        Sample((x((2, 3), lo), lo.astype(dtype)), name="tensor min"),
        Sample((x((2, 3), hi), None, hi.astype(dtype)), name="tensor max"),
        Sample((x((2, 3), lo, hi), hi.astype(dtype), lo.astype(dtype)), name="min > max"),
    ]


clamp = def_op(
    "clamp",
    forward=_clamp_fwd,
    vjp=(_clamp_vjp_input, _clamp_vjp_min, _clamp_vjp_max),
    jvp="elementwise",
    inputs=("input", "min", "max"),
    promote="binary",
    inplace=True,
    samples=_clamp_samples,
    ref=lambda x, min=None, max=None: np.clip(x, min, max),  # noqa: A006
    backward_name="ClampBackward1",
    doc="min(max(input, min), max); ``min``/``max`` are numbers, tensors or None (not both). "
    "d/dx = 1 where min <= x <= max (bounds included), else 0; a tensor bound gets the "
    "gradient where it is selected.",
)


def clamp_min(input: Any, min: Any) -> Tensor:
    """``clamp(input, min=min)``."""
    return clamp(input, min)


def clamp_max(input: Any, max: Any) -> Tensor:
    """``clamp(input, max=max)``."""
    return clamp(input, None, max)


def _max_vjp(g: Tensor, ans: Any, x: Any, y: Any) -> Tensor:
    # PyTorch: where(x == y, g / 2, g).masked_fill_(x < y, 0): ties split the gradient half/half.
    return where(x == y, g / 2, where(x < y, 0.0, g))


def _min_vjp(g: Tensor, ans: Any, x: Any, y: Any) -> Tensor:
    # PyTorch: where(x == y, g / 2, g).masked_fill_(x > y, 0): ties split the gradient half/half.
    return where(x == y, g / 2, where(x > y, 0.0, g))


maximum = def_op(
    "maximum",
    forward=lambda xp, x, y: xp.maximum(x, y),
    vjp=(_max_vjp, lambda g, ans, x, y: _max_vjp(g, ans, y, x)),
    jvp="elementwise",
    inputs=("input", "other"),
    promote="binary",
    samples=_separated,
    ref=np.maximum,
    doc="Elementwise maximum (NaN propagates). The gradient goes to the larger input; ties "
    "split it half/half, as PyTorch.",
)

minimum = def_op(
    "minimum",
    forward=lambda xp, x, y: xp.minimum(x, y),
    vjp=(_min_vjp, lambda g, ans, x, y: _min_vjp(g, ans, y, x)),
    jvp="elementwise",
    inputs=("input", "other"),
    promote="binary",
    samples=_separated,
    ref=np.minimum,
    doc="Elementwise minimum (NaN propagates). The gradient goes to the smaller input; ties "
    "split it half/half, as PyTorch.",
)

# ---------------------------------------------------------------- comparisons and logic
# No gradient: the outputs are bool. The in-place forms (x.lt_(y)) write 0/1 in x's dtype and are
# differentiable with a zero gradient, as PyTorch's lt_ (LtBackward).


def _compare_samples(rng: np.random.Generator, dtype: Any) -> list:
    x = rand(rng, (2, 3), dtype)
    y = rand(rng, (2, 3), dtype)
    y[0] = x[0]  # exact ties
    xs = rand(rng, (2, 3), dtype)
    xs[0, 1] = 0.5
    return [
        Sample((x, y), name="ties"),
        Sample((x, y[1]), name="broadcast"),
        Sample((xs, 0.5), name="number"),
        Sample((np.array([1, 2, 3]), 2), name="int"),
        Sample((np.array([1, 2, 3]), 2.0), name="int with float"),
    ]


def _astype_like(xp: Any, a: Any, like: Any) -> Any:
    return a.astype(like.dtype) if xp is np else xp.astype(a, like.dtype)


def _zeros_like(g: Tensor) -> Tensor:
    from .._core.factories import zeros_like

    return zeros_like(g)


def _def_compare(name: str, fwd: Any, ref: Any, symbol: str) -> Any:
    fn = def_op(
        name,
        forward=fwd,
        inputs=("input", "other"),
        save=None,
        promote="binary",
        differentiable=False,
        samples=_compare_samples,
        ref=ref,
        doc=f"``input {symbol} other`` elementwise, as a bool tensor (no gradient).",
    )
    def_op(
        name + "_",
        forward=lambda xp, x, y: _astype_like(xp, fwd(xp, x, y), x),
        vjp=(lambda g, ans, x, y: _zeros_like(g), lambda g, ans, x, y: _zeros_like(g)),
        jvp="elementwise",
        inputs=("input", "other"),
        save=None,
        promote="binary",
        method=False,
        export=False,
        # no exact ties (there the finite difference jumps), and x already of the broadcast shape,
        # as an in-place op needs
        samples=binary(shapes=(((3,), (3,)), ((2, 3), (3,)), ((2, 2), ()))),
        ref=lambda x, y: np.asarray(ref(x, y)).astype(np.result_type(x, y)),
        # PyTorch has only the in-place x.lt_(y): compare with it on a clone
        torch=lambda x, y, _n=name: getattr(x.clone(), _n + "_")(y),
        doc=f"``input {symbol} other`` as 0/1 in the inputs' dtype, with a zero gradient: what "
        f"the in-place ``x.{name}_(y)`` computes and writes into ``x``.",
    )
    op = TABLE[name + "_"]
    attach_method(name + "_", lambda self, other: apply_inplace(op, self, (other,)))
    return fn


eq = _def_compare("eq", lambda xp, x, y: x == y, np.equal, "==")
ne = _def_compare("ne", lambda xp, x, y: x != y, np.not_equal, "!=")
lt = _def_compare("lt", lambda xp, x, y: x < y, np.less, "<")
le = _def_compare("le", lambda xp, x, y: x <= y, np.less_equal, "<=")
gt = _def_compare("gt", lambda xp, x, y: x > y, np.greater, ">")
ge = _def_compare("ge", lambda xp, x, y: x >= y, np.greater_equal, ">=")


def _as_bool(xp: Any, x: Any) -> Any:
    if isinstance(x, (bool, int, float, complex)):
        return bool(x)
    return x if x.dtype == xp.bool else x != 0


def _logic_samples(rng: np.random.Generator, dtype: Any) -> list:
    x = rand(rng, (2, 3), dtype)
    x[0, 0] = 0.0
    y = rand(rng, (3,), dtype)
    y[1] = 0.0
    return [
        Sample((x, y), name="float"),
        Sample((rng.random((2, 3)) > 0.5, rng.random((2, 3)) > 0.5), name="bool"),
        Sample((np.array([0, 1, 2, 0]), np.array([3, 0, 1, 0])), name="int"),
    ]


def _def_logic(name: str, fwd: Any, ref: Any) -> Any:
    return def_op(
        name,
        forward=lambda xp, x, y: fwd(xp, _as_bool(xp, x), _as_bool(xp, y)),
        inputs=("input", "other"),
        save=None,
        differentiable=False,
        samples=_logic_samples,
        ref=ref,
        doc=f"Elementwise {name.split('_')[1].upper()} of the truth values (nonzero is True); "
        "a bool tensor.",
    )


logical_and = _def_logic("logical_and", lambda xp, x, y: xp.logical_and(x, y), np.logical_and)
logical_or = _def_logic("logical_or", lambda xp, x, y: xp.logical_or(x, y), np.logical_or)
logical_xor = _def_logic("logical_xor", lambda xp, x, y: xp.logical_xor(x, y), np.logical_xor)


def _logical_not_samples(rng: np.random.Generator, dtype: Any) -> list:
    x = rand(rng, (2, 3), dtype)
    x[1, 2] = 0.0
    return [Sample((x,), name="float"), Sample((rng.random((4,)) > 0.5,), name="bool")]


logical_not = def_op(
    "logical_not",
    forward=lambda xp, x: xp.logical_not(_as_bool(xp, x)),
    save=None,
    differentiable=False,
    samples=_logical_not_samples,
    ref=np.logical_not,
    doc="Elementwise NOT of the truth values (zero is False); a bool tensor.",
)


def _bitwise_samples(rng: np.random.Generator, dtype: Any) -> list:
    return [
        Sample((rng.random((2, 3)) > 0.5, rng.random((3,)) > 0.5), name="bool"),
        Sample((rng.integers(-8, 8, (2, 3)), rng.integers(-8, 8, (2, 3))), name="int"),
        Sample((rng.integers(-8, 8, (4,)), 6), name="int with number"),
    ]


def _def_bitwise(name: str, fwd: Any, ref: Any, symbol: str) -> Any:
    return def_op(
        name,
        forward=fwd,
        inputs=("input", "other"),
        save=None,
        promote="binary",
        differentiable=False,
        inplace=True,
        samples=_bitwise_samples,
        ref=ref,
        doc=f"``input {symbol} other`` bit by bit, for bool and integer tensors.",
    )


bitwise_and = _def_bitwise(
    "bitwise_and", lambda xp, x, y: xp.bitwise_and(x, y), np.bitwise_and, "&"
)
bitwise_or = _def_bitwise("bitwise_or", lambda xp, x, y: xp.bitwise_or(x, y), np.bitwise_or, "|")
bitwise_xor = _def_bitwise(
    "bitwise_xor", lambda xp, x, y: xp.bitwise_xor(x, y), np.bitwise_xor, "^"
)


def _bitwise_not_fwd(xp: Any, x: Any) -> Any:
    return xp.logical_not(x) if x.dtype == xp.bool else xp.bitwise_invert(x)


bitwise_not = def_op(
    "bitwise_not",
    forward=_bitwise_not_fwd,
    save=None,
    differentiable=False,
    inplace=True,
    samples=lambda rng, dtype: [
        Sample((rng.random((2, 3)) > 0.5,), name="bool"),
        Sample((rng.integers(-8, 8, (4,)),), name="int"),
    ],
    ref=np.invert,
    doc="``~input`` bit by bit (NOT for bool tensors), for bool and integer tensors.",
)

# ---------------------------------------------------------------- selection


def _where_fwd(xp: Any, c: Any, x: Any, y: Any) -> Any:
    return xp.where(c, x, y)


def _where_samples(rng: np.random.Generator, dtype: Any) -> list:
    from .registry import Sample
    from .samples import rand

    c = rng.random((2, 3)) > 0.5
    return [
        Sample((c, rand(rng, (2, 3), dtype), rand(rng, (2, 3), dtype)), grad=(1, 2)),
        Sample((c[0], rand(rng, (2, 3), dtype), rand(rng, (3,), dtype)), grad=(1, 2)),
        Sample((c, rand(rng, (2, 3), dtype), 0.5), grad=(1,)),
    ]


where = def_op(
    "where",
    stubs=False,  # its rules read only what they saved
    forward=_where_fwd,
    vjp=(None, lambda g, ans, c, x, y: where(c, g, 0.0), lambda g, ans, c, x, y: where(c, 0.0, g)),
    jvp="linear",
    inputs=("condition", "input", "other"),
    save=(0,),
    promote="binary_tail",
    method=False,
    samples=_where_samples,
    ref=np.where,
    doc="``input`` where ``condition`` else ``other``; the gradient goes to the chosen side.",
)


def _where_method(self: Tensor, condition: Any, other: Any) -> Tensor:
    return where(condition, self, other)


attach_method("where", _where_method)

# ---------------------------------------------------------------- casts


def _to_fwd(xp: Any, x: Any, *, dtype: Any) -> Any:
    if xp is np:
        return x.astype(dtype.np)
    return xp.astype(x, getattr(xp, dtype.name))


def _to_vjp(g: Tensor, ans: Any, x: Any, *, dtype: Any) -> Tensor:
    return g  # the engine casts it back to the input's dtype


to_dtype = def_op(
    "_to_dtype",
    forward=_to_fwd,
    vjp=_to_vjp,
    jvp="linear",
    params=(("dtype", None),),
    save=None,
    method=False,
    export=False,
    backward_name="ToCopyBackward0",
    # a cast to the samples' own dtype (the template checks dtypes as given); casts between
    # dtypes and their gradients are checked against PyTorch in tests/test_tensor.py
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt),), {"dtype": _dt.from_np_dtype(np.dtype(dt))}),
        Sample((rand(rng, (), dt),), {"dtype": _dt.from_np_dtype(np.dtype(dt))}),
    ],
    ref=lambda x, dtype: x.astype(dtype.np),
    torch=lambda x, dtype: x.to(getattr(__import__("torch"), dtype.name)),
)


def _to(
    self: Tensor, *args: Any, dtype: Any = None, device: Any = None, copy: bool = False, **kw: Any
) -> Tensor:
    """``x.to(dtype)``, ``x.to("cpu")``, ``x.to(other)``: a cast is recorded (differentiable)."""
    from .._core.tensor import device as _device

    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, _device)):
            device = a
        elif a is not None:
            dtype = a
    if device is not None:
        from .._core.factories import _check_device

        if _check_device(device) != self.device:  # pragma: no cover - needs a GPU backend
            raise NotImplementedError("moving tensors between devices comes with the GPU backend")
    if dtype is None:
        return self.clone() if copy else self
    dt = _dt.to_dtype(dtype)
    if dt is self.dtype and not copy:
        return self
    out = to_dtype(self, dtype=dt)
    if self._requires_grad and not (dt.is_floating_point or dt.is_complex):
        out._requires_grad = False
        out._node = None
        out._x().cut = f"it was cast to the integer dtype {dt}"
    return out


attach_method("to", _to)
for _name, _d in (
    ("float", _dt.float32),
    ("double", _dt.float64),
    ("half", _dt.float16),
    ("long", _dt.int64),
    ("int", _dt.int32),
    ("bool", _dt.bool_),
):
    attach_method(_name, (lambda d: lambda self: _to(self, d))(_d))
attach_method("type_as", lambda self, other: _to(self, other.dtype))

clone = def_op(
    "clone",
    stubs=False,  # its rules read only what they saved
    forward=lambda xp, x: xp.asarray(x, copy=True) if xp is not np else x.copy(),
    vjp=lambda g, ans, x: g,
    jvp="linear",
    save=None,
    samples=unary(),
    ref=lambda x: x.copy(),
    doc="A copy that stays in the graph. d/dx = 1.",
)

__all__ = sorted(k for k in EXPORTS)

# ---------------------------------------------------------------- operators


def _bind_operators() -> None:
    def rev(f: Any) -> Any:
        return lambda self, other: f(other, self)

    def inplace(name: str) -> Any:
        op = TABLE[name]

        def method(self: Tensor, other: Any) -> Tensor:
            return apply_inplace(op, self, (other,))

        return method

    ops = {"add": add, "sub": sub, "mul": mul, "truediv": div, "pow": pow}
    for dunder, f in ops.items():
        setattr(Tensor, f"__{dunder}__", f)
        # ``2 * x`` is ``x.mul(2)`` in PyTorch too: the commutative ones need no swap (or frame)
        setattr(Tensor, f"__r{dunder}__", f if dunder in ("add", "mul") else rev(f))
    for dunder, name in (
        ("add", "add"),
        ("sub", "sub"),
        ("mul", "mul"),
        ("truediv", "div"),
        ("pow", "pow"),
    ):
        setattr(Tensor, f"__i{dunder}__", inplace(name))
    Tensor.__neg__ = neg
    Tensor.__pos__ = lambda self: self
    Tensor.__abs__ = abs
    Tensor.subtract = sub
    Tensor.multiply = mul
    Tensor.divide = div
    Tensor.true_divide = div
    EXPORTS.update(subtract=sub, multiply=mul, divide=div, true_divide=div, negative=neg)

    # Comparisons and bit operators. An operand ndgrad cannot take (None, a string, a list)
    # gives NotImplemented, so ``t == None`` is False as in PyTorch. Setting __eq__ here leaves
    # Tensor.__hash__ (object.__hash__, set in the class body) in place: tensors stay hashable.
    def operand(f: Any, reverse: bool = False) -> Any:
        def method(self: Tensor, other: Any) -> Any:
            if not (
                isinstance(other, (Tensor, int, float, bool, complex, np.generic))
                or _backend.is_array(other)
            ):
                return NotImplemented
            return f(other, self) if reverse else f(self, other)

        return method

    for dunder, f in (("eq", eq), ("ne", ne), ("lt", lt), ("le", le), ("gt", gt), ("ge", ge)):
        setattr(Tensor, f"__{dunder}__", operand(f))
    for dunder, f in (("and", bitwise_and), ("or", bitwise_or), ("xor", bitwise_xor)):
        setattr(Tensor, f"__{dunder}__", operand(f))
        setattr(Tensor, f"__r{dunder}__", operand(f, reverse=True))
        setattr(Tensor, f"__i{dunder}__", getattr(Tensor, f"bitwise_{dunder}_"))
    Tensor.__invert__ = bitwise_not

    # PyTorch's aliases: the same function (and in-place method) under a second name.
    aliases = {
        "absolute": "abs",
        "arcsin": "asin",
        "arccos": "acos",
        "arctan": "atan",
        "arctan2": "atan2",
        "clip": "clamp",
        "greater": "gt",
        "greater_equal": "ge",
        "less": "lt",
        "less_equal": "le",
        "not_equal": "ne",
    }
    for alias, name in aliases.items():
        f = EXPORTS[name]
        EXPORTS[alias] = f
        attach_method(alias, f)
        if hasattr(Tensor, name + "_"):
            attach_method(alias + "_", getattr(Tensor, name + "_"))
    EXPORTS.update(clamp_min=clamp_min, clamp_max=clamp_max)
    Tensor.clamp_min = clamp_min
    Tensor.clamp_max = clamp_max
    Tensor.clamp_min_ = lambda self, min: self.clamp_(min)  # noqa: A006
    Tensor.clamp_max_ = lambda self, max: self.clamp_(None, max)  # noqa: A006


_bind_operators()
__all__ = sorted(k for k in EXPORTS)
