"""Elementwise ops: arithmetic, transcendental functions, comparisons, casts.

Conventions of the rules: ``g`` the incoming cotangent, ``ans`` the output, inputs by name. The
engine sums each result back to its input's shape, so broadcasting needs nothing here.
"""

from __future__ import annotations

import math
import operator
import warnings
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.tensor import Tensor
from .registry import EXPORTS, TABLE, Sample, apply_inplace, attach_method, def_op, to_tensor
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
    complex=True,
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
    complex=True,
    doc="``input - other``. d/dx = 1, d/dy = -1.",
)

mul = def_op(
    "mul",
    ufunc=operator.mul,
    stubs=False,  # its rules read only what they saved
    forward=lambda xp, x, y: x * y,
    vjp=(lambda g, ans, x, y: g * _cj(y), lambda g, ans, x, y: g * _cj(x)),
    jvp="bilinear",
    inputs=("input", "other"),
    save_for=((1,), (0,)),  # d/dx reads y only, d/dy reads x only
    promote="binary",
    inplace=True,
    samples=binary(),
    ref=np.multiply,
    complex=True,
    doc="``input * other``. d/dx = y, d/dy = x (conjugated for complex: g * conj(y)).",
)


def _div_fwd(xp: Any, x: Any, y: Any) -> Any:
    return x / y


div = def_op(
    "div",
    ufunc=operator.truediv,
    stubs=False,  # its rules read only what they saved
    forward=_div_fwd,
    vjp=(lambda g, ans, x, y: g / _cj(y), lambda g, ans, x, y: -g * _cj(x) / _cj(y * y)),
    jvp="elementwise",
    inputs=("input", "other"),
    save_for=((1,), (0, 1)),  # d/dx reads y; d/dy reads x and y
    promote="float",
    inplace=True,
    samples=binary(low2=0.5, high2=2.0),
    ref=np.divide,
    complex=True,
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
    complex=True,
    doc="``-input``. d/dx = -1.",
)


def _pow_vjp_base(g: Tensor, ans: Any, x: Tensor, y: Any) -> Tensor:
    # d/dx x^y = y x^(y-1); PyTorch gives 0 where y == 0 (even at x == 0). Conjugated for complex.
    if isinstance(y, (int, float, complex)):
        if y == 0:
            return g * 0.0
        if y == 2:  # the common square: 2x, without a pow
            return g * _cj(x * 2.0)
        return g * _cj(y * x ** (y - 1))
    return g * _cj(where(y == 0, 0.0, y * x ** (y - 1)))


def _pow_vjp_exp(g: Tensor, ans: Any, x: Any, y: Tensor) -> Tensor:
    # d/dy x^y = x^y log x; PyTorch masks x == 0 (where y >= 0) to 0 instead of 0 * -inf.
    if isinstance(x, (int, float)):
        if x == 0:  # 0^y log 0: 0 where y >= 0 (masked, as PyTorch), inf * -inf where y < 0
            return g * where(_real_part(y) >= 0, 0.0, -math.inf)
        # A negative base has no real log: NaN everywhere, as PyTorch's result * log(base).
        return g * _cj(x**y) * (math.log(x) if x > 0 else math.nan)
    if isinstance(x, complex) and x != 0:  # a complex constant base: conj(x^y log x)
        return g * _cj((x**y) * complex(np.log(x)))
    zero = (x == 0) & (_real_part(y) >= 0)  # complex y: PyTorch tests its real part
    # log of 1 where masked: no log(0) warning, and no 0 * inf in a second derivative.
    return g * _cj(where(zero, 0.0, (x**y) * log(where(zero, 1.0, x))))


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
    complex=True,
    doc="``input ** exponent``. d/dx = y x^(y-1), d/dy = x^y log x.",
)


# Note [Overload names of pow and rsub]
# PyTorch names the node after the overload the arguments chose: ``x ** 2`` PowBackward0,
# ``x ** y`` PowBackward1, ``2 ** x`` PowBackward2; ``1 - x`` RsubBackward1. Each overload is a
# twin of the record (the same fields, its own name, backward name and samples) and the public
# function picks one by the types of its arguments (as reduction.py does for ``dim``: See Note
# [Overloads and backward names] there).


def _twin(fn: Any, name: str, backward_name: str, samples: Any, torch: Any = None) -> Any:
    """Register a twin of ``fn``'s record under ``name``; return the twin's function."""
    import dataclasses

    from .registry import _make_fn

    op = TABLE[fn.__name__]
    twin = dataclasses.replace(
        op,
        name=name,
        backward_name=backward_name,
        samples=samples,
        torch=torch if torch is not None else (op.name if op.torch is None else op.torch),
    )
    TABLE[name] = twin
    f = twin.fn = _make_fn(twin)
    f.__name__ = f.__qualname__ = name
    return f


def _pow_samples_of(kind: str) -> Any:
    tensors = binary(low=0.5, high=2.0, scalar=None)

    def gen(rng: np.random.Generator, dtype: Any) -> list:
        if kind == "tensor":
            return tensors(rng, dtype)
        return [
            Sample((1.5, rand(rng, (2, 3), dtype, -2.0, 2.0)), name="number base"),
            Sample((0.5, rand(rng, (3,), dtype, -2.0, 2.0)), name="number base below 1"),
        ]

    return gen


_pow_scalar = pow  # Tensor ** number: PowBackward0
_pow_tensor = _twin(pow, "_pow_tensor", "PowBackward1", _pow_samples_of("tensor"))
_pow_self_scalar = _twin(
    pow, "_pow_scalar_base", "PowBackward2", _pow_samples_of("scalar"), torch=lambda a, b: a**b
)


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001 - PyTorch's name
    """``input ** exponent``; either may be a number. See the ``pow`` record's doc.

    Example:
        >>> import ndgrad
        >>> (ndgrad.tensor([2.0, 3.0]) ** 2).tolist()
        [4.0, 9.0]
    """
    if isinstance(exponent, Tensor):
        if isinstance(input, Tensor):
            return _pow_tensor(input, exponent)
        return _pow_self_scalar(input, exponent)
    return _pow_scalar(input, exponent)


EXPORTS["pow"] = pow
attach_method("pow", pow)

_rsub_scalar = _twin(
    sub,
    "_rsub_scalar",
    "RsubBackward1",
    lambda rng, dtype: [Sample((0.75, rand(rng, (2, 3), dtype)), name="number - tensor")],
    torch=lambda a, b: a - b,
)


def _rsub_method(self: Tensor, other: Any) -> Tensor:
    """``other - self`` for a number ``other`` records RsubBackward1, as PyTorch."""
    if type(other) in (int, float, complex):
        return _rsub_scalar(other, self)
    return sub(other, self)

# ---------------------------------------------------------------- unary functions
exp = def_op(
    "exp",
    ufunc=np.exp,
    forward=lambda xp, x: xp.exp(x),
    vjp=lambda g, ans, x: g * _cj(ans),
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
    samples=unary(),
    ref=np.exp,
    complex=True,
    doc="e^x. d/dx e^x = e^x.",
)

log = def_op(
    "log",
    ufunc=np.log,
    forward=lambda xp, x: xp.log(x),
    vjp=lambda g, ans, x: g / _cj(x),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(low=0.5, high=3.0),
    ref=np.log,
    complex=True,
    doc="Natural logarithm. d/dx log x = 1/x.",
)

sin = def_op(
    "sin",
    ufunc=np.sin,
    forward=lambda xp, x: xp.sin(x),
    vjp=lambda g, ans, x: g * _cj(cos(x)),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(low=-3.0, high=3.0),
    ref=np.sin,
    complex=True,
    doc="Sine. d/dx sin x = cos x.",
)

cos = def_op(
    "cos",
    ufunc=np.cos,
    forward=lambda xp, x: xp.cos(x),
    vjp=lambda g, ans, x: -g * _cj(sin(x)),
    jvp="elementwise",
    promote="float",
    inplace=True,
    samples=unary(low=-3.0, high=3.0),
    ref=np.cos,
    complex=True,
    doc="Cosine. d/dx cos x = -sin x.",
)

tanh = def_op(
    "tanh",
    ufunc=np.tanh,
    forward=lambda xp, x: xp.tanh(x),
    vjp=lambda g, ans, x: g * _cj(1 - ans * ans),
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
    samples=unary(),
    ref=np.tanh,
    complex=True,
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
    # x == 0 is 0 (and NaN inputs pass the gradient through). A select, not a product with the
    # mask: an inf/NaN arriving from upstream at a masked position gives 0, not NaN.
    return _threshold_backward(g, ans)


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
    forward=_threshold_backward_fwd,
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
        inplace=True,
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
    inplace=True,
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
    complex=True,
    doc="``input`` where ``condition`` else ``other``; the gradient goes to the chosen side.",
)


def _where_method(self: Tensor, condition: Any, other: Any) -> Tensor:
    return where(condition, self, other)


attach_method("where", _where_method)

# ---------------------------------------------------------------- casts


def _to_fwd(xp: Any, x: Any, *, dtype: Any) -> Any:
    if not dtype.is_complex and _dt.from_np_dtype(x.dtype).is_complex:
        x = xp.real(x)  # complex -> real keeps the real part (``x.to`` warns, as PyTorch)
    if xp is np:
        return x.astype(dtype.np)
    return xp.astype(x, getattr(xp, dtype.name))


def _to_vjp(g: Tensor, ans: Any, x: Any, *, dtype: Any) -> Tensor:
    # The engine casts it back to the input's dtype. A real input of a complex cast gets the
    # real part of g (PyTorch's handle_r_to_c): d/dx of the real x as the complex x + 0i.
    if dtype.is_complex and not x.dtype.is_complex:
        return real(g)
    return g


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
    complex=True,
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
    if not dt.is_complex and self.dtype.is_complex:
        warnings.warn(
            "Casting complex values to real discards the imaginary part; hint: take z.real, "
            "z.abs() or z.angle() explicitly",
            UserWarning,
            stacklevel=2,
        )
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
    complex=True,
    doc="A copy that stays in the graph. d/dx = 1.",
)

# ---------------------------------------------------------------- floor division and remainders
# PyTorch's three: ``floor_divide`` (``//``) rounds the quotient toward -inf (PyTorch >= 1.13),
# ``remainder`` (``%``) has the sign of the divisor (Python's %), ``fmod`` the sign of the dividend
# (C's fmod). NumPy's floor_divide, remainder and fmod compute the same values by the same divmod
# algorithm; a float division by zero gives inf/nan (silently, See Note [Floating-point warnings]
# in _backend), an integer one raises PyTorch's RuntimeError (NumPy would give 0), and bool inputs
# raise PyTorch's NotImplementedError.
# Gradients, as PyTorch's rules: d/dx remainder = 1, d/dy remainder = -floor(x / y); d/dx fmod = 1,
# d/dy fmod = -trunc(x / y). At the jumps (x / y an integer) they take the value of the formula.
# floor_divide is piecewise constant: its gradient is zero, as torch.div(x, y,
# rounding_mode="floor") has it. (torch.floor_divide itself records a node whose backward raises
# "derivative for aten::floor_divide is not implemented": a deliberate difference, ndgrad gives the
# zero gradient instead of the error; every program PyTorch runs gives the same numbers here.)


def _is_kind(xp: Any, a: Any, kinds: str) -> bool:
    if isinstance(a, bool):
        return "b" in kinds
    if isinstance(a, int):
        return "i" in kinds
    if isinstance(a, (float, complex)):
        return False
    k = getattr(a.dtype, "kind", None)
    if isinstance(k, str):
        return k in kinds
    return _dt.from_np_dtype(a.dtype).np.kind in kinds


def _check_divisor(xp: Any, x: Any, y: Any, name: str) -> None:
    """PyTorch's errors for an integer division by zero and for bool inputs (NumPy has none)."""
    if _is_kind(xp, x, "b") and _is_kind(xp, y, "b"):
        raise NotImplementedError(
            f'"{name}_cpu" not implemented for \'Bool\'; hint: convert the inputs first, e.g. '
            "x.long()"
        )
    if _is_kind(xp, x, "biu") and _is_kind(xp, y, "biu"):
        zero = (y == 0) if isinstance(y, int) else bool(xp.any(y == 0))
        if zero:
            raise RuntimeError(
                "ZeroDivisionError; hint: an integer division by zero has no value: mask the "
                "zeros out, or divide floating-point tensors (which give inf or nan)"
            )


def _floor_divide_fwd(xp: Any, x: Any, y: Any) -> Any:
    _check_divisor(xp, x, y, "div_floor")
    return x // y


def _remainder_fwd(xp: Any, x: Any, y: Any) -> Any:
    _check_divisor(xp, x, y, "remainder")
    return x % y


def _fmod_fwd(xp: Any, x: Any, y: Any) -> Any:
    _check_divisor(xp, x, y, "fmod")
    native = getattr(xp, "fmod", None)  # NumPy, CuPy; the array API standard has none
    if native is not None:
        return native(x, y)
    return x - y * _trunc_div_fwd(xp, x, y)  # exact for integers, to rounding for floats


def _trunc_div_fwd(xp: Any, x: Any, y: Any) -> Any:
    if _is_kind(xp, x, "biu") and _is_kind(xp, y, "biu"):
        _check_divisor(xp, x, y, "div_trunc")
        q = x // y  # floor; one more toward zero where the signs differ and it is not exact
        r = x - q * y
        return q + xp.astype((r != 0) & ((x < 0) != (y < 0)), q.dtype)
    return xp.trunc(x / y)


def _quotient_samples(rng: np.random.Generator, dtype: Any) -> list:
    """Divisors of both signs with |y| >= 0.5, and quotients x / y at least 0.1 from an integer
    (where floor and trunc jump, so finite differences would not see the derivative)."""

    def far_from_integers(x: Any, y: Any) -> bool:
        q = np.asarray(x / y, dtype=np.float64)
        return bool(np.all(np.abs(q - np.round(q)) > 0.1))

    def pair(a: tuple, b: tuple) -> tuple:
        for _ in range(1000):
            x = rand(rng, a, dtype, -4.0, 4.0)
            y = (rng.uniform(0.5, 2.0, b) * rng.choice([-1.0, 1.0], b)).astype(dtype)
            if far_from_integers(x, y):
                return x, np.asarray(y)
        raise AssertionError("no far-from-integer quotients found")  # pragma: no cover

    out = [Sample(pair(a, b), name=f"{a}{b}") for a, b in BINARY_SHAPES]
    x = rand(rng, (2, 3), dtype, -4.0, 4.0)
    x[np.abs(x / 0.75 - np.round(x / 0.75)) <= 0.1] += 0.2  # keep x / 0.75 off the integers
    out.append(Sample((x, 0.75), name="scalar"))
    # integers, exact quotients and division by zero: tests/test_pytorch_habits.py (the template
    # differentiates every sample of a differentiable op)
    return out


floor_divide = def_op(
    "floor_divide",
    stubs=False,  # its rules read only what they saved
    forward=_floor_divide_fwd,
    vjp=(lambda g, ans, x, y: _zeros_like(g), lambda g, ans, x, y: _zeros_like(g)),
    jvp="elementwise",
    inputs=("input", "other"),
    save=None,
    promote="binary",
    inplace=True,
    samples=_quotient_samples,
    ref=np.floor_divide,
    # the same values and (zero) gradient as torch.floor_divide, whose backward raises instead
    torch=lambda x, y: __import__("torch").div(x, y, rounding_mode="floor"),
    doc="``input // other``: the quotient rounded toward -inf, as PyTorch (and Python). "
    "Piecewise constant: d/dx = d/dy = 0.",
)

remainder = def_op(
    "remainder",
    stubs=False,  # its rules read only what they saved
    forward=_remainder_fwd,
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: -g * floor_divide(x, y)),
    jvp="elementwise",
    inputs=("input", "other"),
    save_for=((), (0, 1)),  # d/dx reads nothing; d/dy reads x and y
    promote="binary",
    inplace=True,
    samples=_quotient_samples,
    ref=np.remainder,
    doc="``input % other``: ``x - floor(x / y) * y``, with the sign of the divisor, as PyTorch "
    "and Python. d/dx = 1, d/dy = -floor(x / y).",
)

_trunc_div = def_op(
    "_trunc_div",
    stubs=False,  # its rules read nothing
    forward=_trunc_div_fwd,
    vjp=(lambda g, ans, x, y: _zeros_like(g), lambda g, ans, x, y: _zeros_like(g)),
    jvp="elementwise",
    inputs=("input", "other"),
    save=None,
    promote="binary",
    method=False,
    export=False,
    samples=_quotient_samples,
    ref=lambda x, y: (
        np.trunc(np.true_divide(x, y))
        if np.result_type(x, y).kind == "f"
        else np.fix(np.true_divide(x, y)).astype(np.result_type(x, y))
    ),
    torch=lambda x, y: __import__("torch").div(x, y, rounding_mode="trunc"),
    doc="The quotient rounded toward zero (``torch.div(x, y, rounding_mode='trunc')``), for the "
    "rule of fmod. Piecewise constant: d/dx = d/dy = 0.",
)

fmod = def_op(
    "fmod",
    stubs=False,  # its rules read only what they saved
    forward=_fmod_fwd,
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: -g * _trunc_div(x, y)),
    jvp="elementwise",
    inputs=("input", "other"),
    save_for=((), (0, 1)),  # d/dx reads nothing; d/dy reads x and y
    promote="binary",
    inplace=True,
    samples=_quotient_samples,
    ref=np.fmod,
    doc="``fmod(input, other)``: ``x - trunc(x / y) * y``, with the sign of the dividend, as "
    "PyTorch (and C). d/dx = 1, d/dy = -trunc(x / y).",
)


def _bind_division_operators() -> None:
    Tensor.__floordiv__ = floor_divide
    Tensor.__rfloordiv__ = lambda self, other: floor_divide(other, self)
    Tensor.__ifloordiv__ = Tensor.floor_divide_
    Tensor.__mod__ = remainder
    Tensor.__rmod__ = lambda self, other: remainder(other, self)
    Tensor.__imod__ = Tensor.remainder_


_bind_division_operators()

# ---------------------------------------------------------------- complex numbers
# Note [Complex gradients]
# PyTorch's convention: for a real loss L of a complex z = x + iy, the gradient is
# dL/dx + i dL/dy (twice the conjugate Wirtinger derivative dL/d(conj z)), the direction of
# steepest ascent, so optimizers work unchanged on complex parameters. The rule of a holomorphic
# f (exp, sin, mul, matmul, ...) returns g * conj(f'(z)): its factors go through _cj, which is
# the identity on real data. Non-holomorphic ops (abs, angle, real, imag, conj) spell their rule
# out. A real input of a complex op takes the real part of its gradient (the cast back to the
# input's dtype, _to_fwd). A record declares complex=True once its rules follow this; recording
# a node for complex data of any other record raises (registry._complex_error).


def _is_complex(t: Any) -> bool:
    d = t._data
    return (d.dtype.kind if type(d) is np.ndarray else _dt.from_np_dtype(d.dtype).np.kind) == "c"


def _cj(t: Any) -> Any:
    """``conj(t)`` for complex ``t``, else ``t`` itself: the factor a complex rule conjugates.

    On the backward hot path of every mul, exp, tanh ...: a float constant and a NumPy tensor
    are told apart without a call (an exception only for other scalars and backends).
    """
    tt = type(t)
    if tt is float or tt is int:
        return t
    try:
        k = t._data.dtype.kind
    except AttributeError:  # a Python number, or a backend whose dtypes have no kind
        if isinstance(t, Tensor):
            return _conj(t) if _is_complex(t) else t
        return t.conjugate() if isinstance(t, complex) else t
    return _conj(t) if k == "c" else t


def _real_part(t: Any) -> Any:
    if isinstance(t, Tensor):
        return _real(t) if _is_complex(t) else t
    return t.real if isinstance(t, complex) else t


def _sgn(x: Tensor) -> Tensor:
    """x / |x|, and 0 at x == 0 (PyTorch's sgn), in ops: differentiable again."""
    a = abs(x)
    zero = a == 0
    return where(zero, 0.0, x / where(zero, 1.0, a))


_conj = def_op(
    "conj",
    forward=lambda xp, x: xp.conj(x),
    vjp=lambda g, ans, x: _cj(g),
    jvp="linear",
    save=None,
    method=False,
    export=False,
    complex=True,
    backward_name="ConjBackward0",
    samples=unary(),
    ref=np.conj,
    doc="The complex conjugate x - iy (a copy: ndgrad has no lazy conjugate bit). Its vjp is "
    "conj(g).",
)


def conj(input: Tensor) -> Tensor:
    """The complex conjugate; a real tensor is returned as it is, as in PyTorch.

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([1 + 2j]).conj().tolist()
        [(1-2j)]
    """
    return _conj(input) if _is_complex(to_tensor(input)) else input


def _real_fwd(xp: Any, x: Any) -> Any:
    return xp.real(x) if _dt.from_np_dtype(x.dtype).is_complex else x


_real = def_op(
    "real",
    forward=_real_fwd,
    vjp=lambda g, ans, x: g,  # the engine casts g to the complex input: g + 0i
    jvp="linear",
    save=None,
    view=True,
    method=False,
    export=False,
    complex=True,
    backward_name="RealBackward0",
    samples=unary(),
    ref=np.real,
    doc="The real part x of x + iy (a view, as in PyTorch). d/dx = 1, d/dy = 0: the gradient "
    "is g + 0i.",
)


def real(input: Tensor) -> Tensor:
    """The real part of a complex tensor (a view); a real tensor is returned as it is.

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([1 + 2j]).real
        tensor([1.])
    """
    return _real(input) if _is_complex(to_tensor(input)) else input


def _imag_fwd(xp: Any, x: Any) -> Any:
    return xp.imag(x) if _dt.from_np_dtype(x.dtype).is_complex else xp.zeros_like(x)


_imag = def_op(
    "imag",
    forward=_imag_fwd,
    # y = Im z: dL/dy = g, so the gradient is 0 + ig (0 for the real samples of the template)
    vjp=lambda g, ans, x: g * 1j if x.dtype.is_complex else _zeros_like(g),
    jvp="linear",
    save=None,
    view=True,
    method=False,
    export=False,
    complex=True,
    backward_name="ImagBackward0",
    samples=unary(),
    ref=np.imag,
    # on real samples: zeros (the public imag refuses real tensors, as PyTorch)
    torch=lambda x: __import__("torch").imag(x) if x.is_complex() else x.detach() * 0,
    doc="The imaginary part y of x + iy (a view, as in PyTorch). The gradient is 0 + ig.",
)


def imag(input: Tensor) -> Tensor:
    """The imaginary part of a complex tensor (a view).

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([1 + 2j]).imag
        tensor([2.])
    """
    t = to_tensor(input)
    if not _is_complex(t):
        raise RuntimeError(
            "imag is not implemented for tensors with non-complex dtypes.; hint: the imaginary "
            "part of a real tensor is zero; convert first with x.to(ndgrad.complex64)"
        )
    return _imag(t)


def _angle_fwd(xp: Any, x: Any) -> Any:
    if _dt.from_np_dtype(x.dtype).is_complex:
        return xp.atan2(xp.imag(x), xp.real(x))
    # a real x: pi where x < 0, else 0; NaN stays NaN (as PyTorch)
    out = xp.where(x < 0, xp.full_like(x, math.pi), xp.zeros_like(x))
    return xp.where(xp.isnan(x), x, out)


def _angle_vjp(g: Tensor, ans: Any, x: Tensor) -> Tensor:
    # angle = atan2(y, x): d/dx = -y/|z|^2, d/dy = x/|z|^2, so the gradient is g i z / |z|^2,
    # and 0 at z == 0 (as PyTorch); for a real input the angle is piecewise constant: 0.
    if not _is_complex(x):
        return _zeros_like(g)
    n = _real(x * _conj(x))
    zero = n == 0
    return where(zero, 0.0, g * (x * 1j) / where(zero, 1.0, n))


angle = def_op(
    "angle",
    forward=_angle_fwd,
    vjp=_angle_vjp,
    jvp="elementwise",
    promote="float",
    complex=True,
    samples=_unary_away(),
    ref=np.angle,
    doc="The argument atan2(y, x) of x + iy, in (-pi, pi]; of a real x: pi for x < 0, else 0. "
    "The gradient is g i z / |z|^2 (0 at z = 0, and for real inputs).",
)



def resolve_conj(input: Tensor) -> Tensor:
    """``input`` itself: ndgrad has no lazy conjugate (or negative) bit to resolve."""
    return input


def is_conj(input: Tensor) -> bool:
    """False: ndgrad's conj() makes a copy, never a lazily conjugated view."""
    return False


EXPORTS.update(conj=conj, conj_physical=conj, real=real, imag=imag, is_conj=is_conj)
EXPORTS.update(resolve_conj=resolve_conj, resolve_neg=resolve_conj)
for _name, _f in (
    ("conj", conj),
    ("conj_physical", conj),
    ("resolve_conj", resolve_conj),
    ("resolve_neg", resolve_conj),
    ("is_conj", is_conj),
):
    attach_method(_name, _f)
Tensor.real = property(real, doc="The real part (a view); a real tensor itself.")
Tensor.imag = property(imag, doc="The imaginary part (a view); complex tensors only.")

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
    Tensor.__rsub__ = _rsub_method  # See Note [Overload names of pow and rsub]
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
