"""More elementwise arithmetic: logaddexp, hypot, copysign, float_power, exp2, log2, ... .

Plain array-API forwards (no SciPy), PyTorch's rules and dtype rules: integer inputs promote to
the default float where PyTorch's kernels do (exp2, log2, deg2rad, copysign), and the float-only
kernels (logaddexp, hypot, nextafter) refuse integers with PyTorch's NotImplementedError.
``true_divide`` is elementwise.py's alias of ``div``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._core import dtypes as _dt
from .._core.tensor import Tensor
from . import pointwise  # noqa: F401 - before unary, whose aliases name trunc (pointwise's)
from .elementwise import (
    _avoiding,
    _cj,
    _is_complex,
    _unary_away,
    _zeros_like,
    exp,
    pow,  # noqa: A004 - PyTorch's name
    to_dtype,
    where,
)
from .families import unary_float
from .pointwise import _is_cplx, _sum_terms, real_input_of_complex
from .reduction import _tname
from .registry import (
    EXPORTS,
    TABLE,
    Sample,
    attach_method,
    def_composite,
    def_op,
    def_twin,
)
from .samples import BINARY_SHAPES, binary, rand
from .unary import _sign_fwd

_LN2 = math.log(2.0)
_NUMBERS = (bool, int, float)


def _kind(a: Any) -> str:
    """'f', 'c', 'i', 'u' or 'b': the kind of an array of any backend."""
    return _dt.from_np_dtype(a.dtype).np.kind


def _require_float(name: str, *arrays: Any) -> None:
    """PyTorch's NotImplementedError for integer, bool and complex inputs of a real kernel."""
    for a in arrays:
        if hasattr(a, "dtype") and _kind(a) != "f":
            raise NotImplementedError(
                f"\"{name}_cpu\" not implemented for '{_tname(a)}'; hint: convert the inputs to "
                "floating point first, e.g. x.double()"
            )


def _arrays(xp: Any, x: Any, y: Any) -> tuple:
    """Both arguments as arrays (a Python number takes the other's dtype)."""
    if isinstance(x, _NUMBERS):
        x = xp.asarray(x, dtype=y.dtype)
    if isinstance(y, _NUMBERS):
        y = xp.asarray(y, dtype=x.dtype)
    return x, y


def _real_binary_samples(rng: np.random.Generator, dt: Any) -> list:
    return binary(low=-2.0, high=2.0, scalar=None)(rng, dt)


# ---------------------------------------------------------------- log-sum-exp of two
def _float_only(name: str) -> Any:
    """The forward ``xp.<name>(x, y)`` of a kernel PyTorch has for floating inputs only."""

    def forward(xp: Any, x: Any, y: Any) -> Any:
        _require_float(name, x, y)
        return getattr(xp, name)(x, y)

    return forward


def _logaddexp_fwd(xp: Any, x: Any, y: Any) -> Any:
    if _kind(x) == "c" or _kind(y) == "c":
        # PyTorch's complex form: the one with the larger real part is the max (finite inputs)
        swap = xp.real(x) < xp.real(y)
        hi, lo = xp.where(swap, y, x), xp.where(swap, x, y)
        return hi + xp.log1p(xp.exp(lo - hi))
    _require_float("logaddexp", x, y)
    return xp.logaddexp(x, y)  # max + log1p(exp(-|x - y|)); equal infinities give themselves


def _logaddexp_vjp(i: int, what: str) -> Any:
    """Input i's rule: g / conj(1 + e^(other - input)) (holomorphic; PyTorch's form, finite
    when the exponential overflows). A real input next to a complex one has no gradient in
    PyTorch (its backward fails for it, though the forward and the jvp work): neither here."""

    def rule(g: Tensor, ans: Any, x: Any, y: Any) -> Tensor:
        a, b = (x, y) if i == 0 else (y, x)
        if isinstance(a, Tensor) and not a.is_complex() and _is_cplx(b):
            raise real_input_of_complex("logaddexp", what)
        return g / _cj(1 + exp(b - a))

    return rule


def _logaddexp_jvp(ts: tuple, ans: Any, x: Any, y: Any) -> Tensor | None:
    x_t, y_t = ts
    return _sum_terms(
        None if x_t is None else x_t / (1 + exp(y - x)),
        None if y_t is None else y_t / (1 + exp(x - y)),
    )


logaddexp = def_op(
    "logaddexp",
    forward=_logaddexp_fwd,
    # d/dx log(e^x + e^y) = 1/(1 + e^(y - x)) (conjugated for complex inputs)
    vjp=(_logaddexp_vjp(0, "input"), _logaddexp_vjp(1, "other")),
    jvp=_logaddexp_jvp,
    inputs=("input", "other"),
    promote="binary",
    complex=True,
    samples=_real_binary_samples,
    ref=np.logaddexp,
    doc="log(e^x + e^y), without overflow. d/dx = 1/(1 + e^(y - x)), d/dy = 1/(1 + e^(x - y)).\n\n"
    "Example:\n"
    "    >>> import ndgrad\n"
    "    >>> ndgrad.logaddexp(ndgrad.tensor([1000.0]), ndgrad.tensor([1000.0]))\n"
    "    tensor([1000.6931])\n",
)


def _logaddexp2_fwd(xp: Any, x: Any, y: Any) -> Any:
    _require_float("logaddexp2", x, y)
    m = xp.maximum(x, y)
    out = m + xp.log1p(2.0 ** (-xp.abs(x - y))) / _LN2  # PyTorch's formula
    return xp.where(xp.isinf(x) & (x == y), x, out)  # equal infinities: themselves


logaddexp2 = def_op(
    "logaddexp2",
    forward=_logaddexp2_fwd,
    # d/dx log2(2^x + 2^y) = 1/(1 + 2^(y - x))
    vjp=(
        lambda g, ans, x, y: g / (1 + 2.0 ** (y - x)),
        lambda g, ans, x, y: g / (1 + 2.0 ** (x - y)),
    ),
    jvp="elementwise",
    inputs=("input", "other"),
    promote="binary",
    samples=_real_binary_samples,
    ref=np.logaddexp2,
    doc="log2(2^x + 2^y), without overflow. d/dx = 1/(1 + 2^(y - x)), d/dy = 1/(1 + 2^(x - y)).",
)


# ---------------------------------------------------------------- hypot, copysign, nextafter
def _pairs_away_from_zero(rng: np.random.Generator, dt: Any) -> list:
    """Broadcasting pairs at least 0.1 from 0 (the origin of hypot, the jumps of copysign)."""
    return [
        Sample((_avoiding(rng, a, dt), _avoiding(rng, b, dt)), name=f"{a}{b}")
        for a, b in BINARY_SHAPES
    ]


hypot = def_op(
    "hypot",
    ufunc=np.hypot,
    forward=_float_only("hypot"),
    # d/dx sqrt(x^2 + y^2) = x / hypot; NaN at the origin (0/0), as PyTorch
    vjp=(lambda g, ans, x, y: g * x / ans, lambda g, ans, x, y: g * y / ans),
    jvp="elementwise",
    inputs=("input", "other"),
    promote="binary",
    save="both",
    inplace=True,
    samples=_pairs_away_from_zero,
    ref=np.hypot,
    doc="sqrt(x^2 + y^2), without overflow. d/dx = x/hypot(x, y), d/dy = y/hypot(x, y).",
)


def _copysign_fwd(xp: Any, x: Any, y: Any) -> Any:
    if any(hasattr(a, "dtype") and _kind(a) == "c" for a in (x, y)):
        _require_float("copysign", *(a for a in (x, y) if hasattr(a, "dtype")))
    x, y = _arrays(xp, x, y)
    return xp.copysign(x, y)


def _copysign_vjp(g: Tensor, ans: Tensor, x: Tensor, y: Any) -> Tensor:
    # d/dx copysign(x, y) = copysign(x, y)/x = +-1, and 0 at x = 0 (as PyTorch)
    zero = x == 0
    return g * where(zero, 0.0, ans / where(zero, 1.0, x))


_copysign = def_op(
    "copysign",
    forward=_copysign_fwd,
    vjp=(_copysign_vjp, lambda g, ans, x, y: _zeros_like(g)),  # d/dy = 0 (piecewise constant)
    jvp="elementwise",
    inputs=("input", "other"),
    promote="float",
    save="both",
    inplace=True,
    samples=_pairs_away_from_zero,
    ref=np.copysign,
    doc="|x| with the sign of y (the sign bit: -0.0 counts as negative). d/dx = sign of the "
    "result over sign x (0 at x = 0), d/dy = 0.",
)
_copysign_scalar = def_twin(
    "copysign",
    "_copysign_scalar",
    "CopysignBackward1",
    lambda rng, dt: [
        Sample((_avoiding(rng, (2, 3), dt), -1.0), name="number other"),
        Sample((_avoiding(rng, (3,), dt), 2), name="int other"),
    ],
).fn


def copysign(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """|input| with the sign of ``other``; ``other`` may be a number (CopysignBackward1).

    d/dx = copysign(x, y)/x (0 at x = 0), d/dy = 0.
    """
    if out is not None:
        return _copysign(input, other, out=out)
    if isinstance(other, _NUMBERS):
        return _copysign_scalar(input, other)
    return _copysign(input, other)


EXPORTS["copysign"] = copysign
attach_method("copysign", copysign)


nextafter = def_op(
    "nextafter",
    ufunc=np.nextafter,
    forward=_float_only("nextafter"),
    # PyTorch's rules: d/dx = 1 (the result is x moved by one ulp), d/dy = 0
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: _zeros_like(g)),
    jvp="elementwise",
    inputs=("input", "other"),
    promote="binary",
    save=None,
    inplace=True,
    samples=_real_binary_samples,
    ref=np.nextafter,
    doc="The next floating-point value after x towards y. d/dx = 1, d/dy = 0 (as PyTorch).",
)


def _heaviside_fwd(xp: Any, x: Any, values: Any) -> Any:
    if not hasattr(values, "dtype"):
        raise TypeError(
            "heaviside(): argument 'values' (position 2) must be Tensor, not "
            f"{type(values).__name__}; hint: wrap it: ndgrad.tensor(value)"
        )
    if _kind(x) == "c" or _kind(values) == "c":
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if _dt.from_np_dtype(x.dtype) is not _dt.from_np_dtype(values.dtype):
        raise RuntimeError(
            "heaviside is not yet implemented for tensors with different dtypes.; hint: convert "
            "values to input's dtype, e.g. values.to(input.dtype)"
        )
    step = xp.astype(x > 0, x.dtype)  # NaN gives 0, as PyTorch
    return xp.where(x == 0, values, step)


heaviside = def_op(
    "heaviside",
    forward=_heaviside_fwd,
    # PyTorch records a node whose backward raises ("derivative for aten::heaviside is not
    # implemented"); ndgrad records none: the result does not require grad.
    differentiable=False,
    inputs=("input", "values"),
    inplace=True,
    samples=lambda rng, dt: [
        Sample((np.asarray([-1.5, 0.0, 2.0, 0.0], dt), np.asarray([0.5, 0.25, 0.5, 1.0], dt))),
        Sample((np.asarray([[0.0, -3.0], [1.0, 0.0]], dt), np.asarray(0.5, dt)), name="0-d"),
    ],
    ref=lambda x, v: np.heaviside(x, v).astype(x.dtype),
    doc="The step function: 0 for x < 0, ``values`` at x == 0, 1 for x > 0 (no gradient).",
)


# ---------------------------------------------------------------- float_power
def float_power(input: Any, exponent: Any, *, out: Tensor | None = None) -> Tensor:
    """``input ** exponent`` computed in float64 (complex128 when either is complex), as
    PyTorch's ``float_power``: the inputs are cast first, so the nodes are pow's
    (PowBackward0/1/2) over the casts. d/dx = y x^(y-1), d/dy = x^y log x.

    Example:
        >>> import ndgrad
        >>> ndgrad.float_power(ndgrad.tensor([2, 3]), 2)
        tensor([4., 9.], dtype=ndgrad.float64)
    """
    # ``out=`` never reaches here: def_composite's public function writes it (registry.write_out)
    from .registry import to_tensor

    cplx = any(
        isinstance(a, complex) or (isinstance(a, Tensor) and a.is_complex())
        for a in (input, exponent)
    )
    dt = _dt.complex128 if cplx else _dt.float64

    def cast(a: Any) -> Any:
        if isinstance(a, Tensor):
            return a if a.dtype is dt else to_dtype(a, dtype=dt)
        if isinstance(a, _NUMBERS + (complex,)):
            return complex(a) if cplx else float(a)
        return cast(to_tensor(a))

    return pow(cast(input), cast(exponent))


def _float_power_(self: Tensor, exponent: Any) -> Tensor:
    """In place: only a float64 (or complex128) ``self`` can hold the result, as PyTorch."""
    cplx = (
        self.is_complex()
        or isinstance(exponent, complex)
        or (isinstance(exponent, Tensor) and exponent.is_complex())
    )
    dt = _dt.complex128 if cplx else _dt.float64
    if self.dtype is not dt:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {_tname(self._data)} but the operation's "
            f"result requires dtype {'ComplexDouble' if cplx else 'Double'}; hint: convert it "
            "first, e.g. x = x.double()"
        )
    if isinstance(exponent, Tensor) and exponent.dtype is not dt:
        exponent = to_dtype(exponent, dtype=dt)
    return self.pow_(exponent)


def _float_power_samples(rng: np.random.Generator, dt: Any) -> list:
    # float_power computes in float64 whatever its inputs: it has no float32 result to test, so
    # the template's float32 pass gets no samples (tests/test_special.py checks that float32
    # inputs give a float64 result and float32 gradients).
    if dt != np.float64:
        return []
    return [
        *binary(low=0.5, high=2.0, scalar=3)(rng, dt),
        Sample((2.5, rand(rng, (3,), dt)), name="number base"),
    ]


def_composite(
    "float_power",
    float_power,
    method=True,
    complex=True,
    samples=_float_power_samples,
    ref=lambda x, y: np.power(np.asarray(x, np.float64), np.asarray(y, np.float64)),
)
attach_method("float_power_", _float_power_)


# ---------------------------------------------------------------- exp2, log2, log10
def _exp2_fwd(xp: Any, x: Any) -> Any:
    return 2.0**x  # the array API has no exp2 (NumPy's ufunc is the fast path)


exp2 = unary_float(
    "exp2",
    lambda g, ans, x: g * _cj(ans * _LN2),
    forward=_exp2_fwd,
    save="ans",
    complex=True,
    doc="2^x. d/dx 2^x = 2^x log 2.",
)


def _log_base(name: str, base: int) -> Any:
    ln = math.log(base)
    return unary_float(
        name,
        lambda g, ans, x: g / _cj(x * ln),
        low=0.5,
        high=3.0,
        complex=True,
        doc=f"The base-{base} logarithm. d/dx {name} x = 1/(x log {base}).",
    )


log2 = _log_base("log2", 2)
log10 = _log_base("log10", 10)


# ---------------------------------------------------------------- sgn, signbit
def _sgn_fwd(xp: Any, x: Any) -> Any:
    if _kind(x) != "c":
        return _sign_fwd(xp, x)  # sign: -1, 0, 1 (NaN gives 0), keeping the dtype
    a = xp.abs(x)
    zero = a == 0
    return xp.where(zero, xp.zeros_like(x), x / xp.astype(xp.where(zero, 1.0, a), x.dtype))


def _sgn_vjp(g: Tensor, ans: Tensor, x: Tensor) -> Tensor:
    # Real x: sign is piecewise constant, the gradient is 0. Complex z: sgn = z/|z| is not
    # holomorphic; PyTorch's rule (g - sgn^2 conj(g)) / (2|z|), and 0 at z = 0.
    if not _is_complex(x):
        return _zeros_like(g)
    a = TABLE["abs"].fn(x)
    zero = a == 0
    return where(zero, 0.0, (g - ans * ans * _cj(g)) / (2 * where(zero, 1.0, a)))


def _sgn_jvp(tangents: tuple, ans: Tensor, x: Tensor) -> Tensor:
    # The differential of z/|z| is (dz - sgn^2 conj(dz)) / (2|z|): the same real-linear map as
    # the vjp (not conj(vjp(conj t)), which holds for holomorphic ops only).
    return _sgn_vjp(tangents[0], ans, x)


sgn = def_op(
    "sgn",
    forward=_sgn_fwd,
    vjp=_sgn_vjp,
    jvp=_sgn_jvp,
    save="both",
    inplace=True,
    complex=True,
    samples=_unary_away(),
    ref=lambda x: np.sign(x) if x.dtype.kind != "c" else np.where(x == 0, 0, x / np.abs(x)),
    # torch.sgn of a real tensor is sign's value, but its gradient is an "efficient zero tensor"
    # that cannot become a NumPy array: the real samples compare with torch.sign (zeros too).
    torch=lambda x: __import__("torch").sgn(x) if x.is_complex() else __import__("torch").sign(x),
    doc="z/|z| for complex z (0 at 0), sign(x) for real x. d/dz: (g - sgn^2 conj(g))/(2|z|); "
    "0 for real x.",
)


def _signbit_fwd(xp: Any, x: Any) -> Any:
    k = _kind(x)
    if k == "c":
        raise NotImplementedError(
            "signbit is not implemented for complex tensors.; hint: test the real part, "
            "x.real.signbit()"
        )
    if k == "b":
        return xp.zeros_like(x)
    if k in "iu":
        return x < 0
    return xp.signbit(x)


signbit = def_op(
    "signbit",
    forward=_signbit_fwd,
    differentiable=False,
    samples=lambda rng, dt: [
        Sample((np.asarray([-1.5, -0.0, 0.0, 2.0], dt),)),
        Sample((rand(rng, (2, 3), dt),)),
    ],
    ref=np.signbit,
    doc="True where the sign bit is set (x < 0, and -0.0); no gradient.",
)


# ---------------------------------------------------------------- angles
def _angle_unit(name: str, backward_name: str, factor: float, doc: str) -> Any:
    def forward(xp: Any, x: Any) -> Any:
        if _kind(x) == "c":
            raise RuntimeError(f"{name} is not supported for complex tensors.")
        return x * factor

    return def_op(
        name,
        forward=forward,
        vjp=lambda g, ans, x: g * factor,
        jvp="linear",
        save=None,
        promote="float",
        inplace=True,
        samples=lambda rng, dt: [
            Sample((rand(rng, s, dt, -200.0, 200.0),), name=str(s)) for s in ((), (4,), (2, 3))
        ],
        ref=lambda x: x * factor,
        backward_name=backward_name,
        doc=doc,
    )


deg2rad = _angle_unit(
    "deg2rad", "Deg2RadBackward0", math.pi / 180, "Degrees to radians: x pi/180. d/dx = pi/180."
)
rad2deg = _angle_unit(
    "rad2deg", "Rad2DegBackward0", 180 / math.pi, "Radians to degrees: x 180/pi. d/dx = 180/pi."
)

__all__ = [
    "copysign",
    "deg2rad",
    "exp2",
    "float_power",
    "heaviside",
    "hypot",
    "log2",
    "log10",
    "logaddexp",
    "logaddexp2",
    "nextafter",
    "rad2deg",
    "sgn",
    "signbit",
]
