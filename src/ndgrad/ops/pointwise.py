"""Pointwise ops whose in-place forms tutorials use: rounding, reciprocal, square, lerp, addcmul,
addcdiv, nan_to_num, and the float predicates (isnan, isinf, isfinite, ...).

Each record declares its in-place form with ``inplace=True`` (``x.floor_()``), which
``registry.apply_inplace`` runs: computed out of place, written into ``x``, version bumped,
history moved. Conventions of the rules as in elementwise.py: ``g`` the incoming cotangent,
``ans`` the output; the engine sums each result back to its input's shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.tensor import Tensor
from ._real import kernel, message, real_only
from .elementwise import _cj, _zeros_like, bind_aliases, where
from .registry import EXPORTS, Sample, attach_method, def_op
from .samples import rand, unary

_PY_SCALARS = (bool, int, float, complex)


def _is_int(x: Any) -> bool:
    """True for integer and bool arrays of any backend."""
    k = getattr(x.dtype, "kind", None)
    if not isinstance(k, str):
        k = _dt.from_np_dtype(x.dtype).np.kind
    return k in "iub"


def _copy(xp: Any, x: Any) -> Any:
    return _backend.backend(xp).copy(x)


def _off_integers(rng: np.random.Generator, shape: tuple, dtype: Any) -> np.ndarray:
    """Values at least 0.1 away from integers and from halves (where rounding jumps)."""
    v = rng.integers(-3, 3, shape) + rng.uniform(0.1, 0.4, shape) * rng.choice([1, 3], shape)
    return np.asarray(v).astype(dtype)


def _rounding_samples(**kwargs: Any) -> Any:
    def gen(rng: np.random.Generator, dtype: Any) -> list:
        return [
            Sample((_off_integers(rng, s, dtype),), dict(kwargs), name=str(s))
            for s in ((), (4,), (2, 3))
        ]

    return gen


# ---------------------------------------------------------------- rounding
# floor, ceil, round and trunc are piecewise constant: their gradient is 0 everywhere (PyTorch
# returns zeros, not None, so a leaf's .grad is a zero tensor). Integer inputs are returned as
# copies of themselves, as PyTorch does.


# No rounding of complex numbers (PyTorch's kernels have none): See Note [Complex numbers have
# no order] in ops/_real.py.
_ROUND_HINT = "round .real and .imag apart: ndgrad.complex(z.real.floor(), z.imag.floor())"


def _round_refusal(dtype: str, params: dict) -> Exception:
    name = "round_vml_cpu" if params.get("decimals", 0) == 0 else "round_cpu"
    return kernel(name, _ROUND_HINT)(dtype, params)


def _def_rounding(name: str, fwd: Any, ref: Any, doc: str) -> Any:
    def forward(xp: Any, x: Any) -> Any:
        if _is_int(x):
            return _copy(xp, x)
        return fwd(xp, x)

    return def_op(
        name,
        forward=real_only(
            forward,
            message(
                NotImplementedError, f"{name} is not supported for complex inputs", _ROUND_HINT
            ),
        ),
        vjp=lambda g, ans, x: _zeros_like(g),
        jvp="elementwise",
        save=None,
        inplace=True,
        samples=_rounding_samples(),
        ref=ref,
        doc=doc + " d/dx = 0 (piecewise constant).",
    )


floor = _def_rounding("floor", lambda xp, x: xp.floor(x), np.floor, "The largest integer <= x.")
ceil = _def_rounding("ceil", lambda xp, x: xp.ceil(x), np.ceil, "The smallest integer >= x.")
trunc = _def_rounding(
    "trunc", lambda xp, x: xp.trunc(x), np.trunc, "x rounded towards zero (its integer part)."
)
bind_aliases({"fix": "trunc"})


def _round_fwd(xp: Any, x: Any, *, decimals: int = 0) -> Any:
    if _is_int(x):
        return _copy(xp, x)
    if decimals == 0:
        return xp.round(x)
    if decimals > 0:  # PyTorch: nearbyint(x * 10^d) / 10^d
        p = 10.0**decimals
        return xp.round(x * p) / p
    p = 10.0 ** (-decimals)
    return xp.round(x / p) * p


round = def_op(  # noqa: A001 - PyTorch's name
    "round",
    forward=real_only(_round_fwd, _round_refusal),
    vjp=lambda g, ans, x, *, decimals=0: _zeros_like(g),
    jvp="elementwise",
    params=(("decimals", 0),),
    save=None,
    inplace=True,
    samples=lambda rng, dt: [
        *_rounding_samples()(rng, dt),
        Sample((_off_integers(rng, (2, 3), dt) / 10,), {"decimals": 1}, name="decimals=1"),
    ],
    ref=lambda x, decimals=0: np.round(x, decimals),
    backward_name="RoundBackward0",
    doc="x rounded to the nearest integer, halves to even (or to ``decimals`` digits). "
    "d/dx = 0 (piecewise constant).",
)

frac = def_op(
    "frac",
    forward=real_only(lambda xp, x: x - xp.trunc(x), kernel("frac_cpu", _ROUND_HINT)),
    vjp=lambda g, ans, x: g,
    jvp="elementwise",
    save=None,
    inplace=True,
    samples=_rounding_samples(),
    ref=lambda x: x - np.trunc(x),
    doc="The fractional part x - trunc(x) (with x's sign). d/dx = 1 off the integers.",
)

# ---------------------------------------------------------------- reciprocal, square

reciprocal = def_op(
    "reciprocal",
    forward=lambda xp, x: 1 / x,
    vjp=lambda g, ans, x: -g * _cj(ans * ans),
    jvp="elementwise",
    save="ans",
    promote="float",
    inplace=True,
    samples=unary(low=0.5, high=2.0),
    ref=lambda x: 1 / x,
    complex=True,
    doc="1/x. d/dx 1/x = -1/x^2 = -ans^2 (conjugated for complex x).",
)

square = def_op(
    "square",
    forward=lambda xp, x: x * x,
    vjp=lambda g, ans, x: 2 * g * _cj(x),
    jvp="elementwise",
    inplace=True,
    samples=unary(),
    ref=np.square,
    complex=True,
    backward_name="PowBackward0",  # PyTorch computes square as pow(x, 2)
    doc="x^2 (keeps integer dtypes). d/dx x^2 = 2x.",
)

# ---------------------------------------------------------------- lerp, addcmul, addcdiv


def _lerp_fwd(xp: Any, x: Any, end: Any, w: Any) -> Any:
    return x + w * (end - x)


def _is_cplx(a: Any) -> bool:
    return a.is_complex() if isinstance(a, Tensor) else isinstance(a, complex)


def real_input_of_complex(op: str, what: str) -> RuntimeError:
    """PyTorch's error when backward reaches a real tensor input of a complex result whose
    formula keeps the gradient complex (lerp's 0-d weight, logaddexp): its engine's check."""
    return RuntimeError(
        "Expected isFloatingType(grad.scalar_type()) || (input_is_complex == grad_is_complex) "
        f"to be true, but got false.; hint: the gradient of {op}'s real input `{what}` would be "
        f"complex, which PyTorch refuses: make `{what}` complex (.to(ndgrad.complex128)) or "
        "detach it"
    )


def _lerp_prepare(tensors: list, params: dict) -> dict:
    """PyTorch's lerp does not promote: ``end``, and a ``weight`` with dimensions, must have
    ``input``'s dtype (a number or a 0-d weight may differ)."""
    from .linalg import _CPP_NAME

    x, end, w = tensors
    if x is None:
        return params
    for name, t in (("end", end), ("weight", w)):
        if t is not None and t.dtype is not x.dtype and (name == "end" or t.ndim):
            want, got = (_CPP_NAME.get(d.name, d.name) for d in (x.dtype, t.dtype))
            raise RuntimeError(
                f"expected dtype {want} for `{name}` but got dtype {got}; hint: convert it "
                f"first, e.g. {name}.to({x.dtype})"
            )
    return params


def _lerp_weight_vjp(g: Tensor, ans: Any, x: Any, end: Any, w: Any) -> Tensor:
    if isinstance(w, Tensor) and not w.is_complex() and (_is_cplx(x) or _is_cplx(end)):
        raise real_input_of_complex("lerp", "weight")
    return g * _cj(end - x)


def _lerp_jvp(ts: tuple, ans: Any, x: Any, end: Any, w: Any) -> Tensor | None:
    x_t, end_t, w_t = ts
    return _sum_terms(
        None if x_t is None else x_t * (1 - w),
        None if end_t is None else end_t * w,
        None if w_t is None else w_t * (end - x),
    )


lerp = def_op(
    "lerp",
    forward=_lerp_fwd,
    # complex: conjugated factors (See Note [Complex gradients] in elementwise.py)
    vjp=(
        lambda g, ans, x, end, w: g * _cj(1 - w),
        lambda g, ans, x, end, w: g * _cj(w),
        _lerp_weight_vjp,
    ),
    jvp=_lerp_jvp,
    inputs=("input", "end", "weight"),
    promote="binary",
    prepare=_lerp_prepare,
    complex=True,
    inplace=True,
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt), rand(rng, (2, 3), dt), 0.3), name="number weight"),
        Sample((rand(rng, (2, 3), dt), rand(rng, (3,), dt), 0.7), name="broadcast end"),
        Sample(
            (rand(rng, (2, 3), dt), rand(rng, (2, 3), dt), rand(rng, (3,), dt, 0.0, 1.0)),
            name="tensor weight",
        ),
    ],
    ref=lambda x, end, w: x + w * (end - x),
    backward_name="LerpBackward0",
    doc="input + weight * (end - input). d/dinput = 1 - w, d/dend = w, d/dw = end - input.",
)


def _addc_samples(low2: float) -> Any:
    def gen(rng: np.random.Generator, dt: Any) -> list:
        return [
            Sample(
                (rand(rng, (2, 3), dt), rand(rng, (2, 3), dt), rand(rng, (2, 3), dt, low2, 2.0))
            ),
            Sample(
                (rand(rng, (2, 3), dt), rand(rng, (3,), dt), rand(rng, (2, 1), dt, low2, 2.0)),
                {"value": 0.5},
                name="broadcast, value",
            ),
        ]

    return gen


addcmul = def_op(
    "addcmul",
    forward=lambda xp, x, t1, t2, *, value=1: x + value * (t1 * t2),
    vjp=(
        lambda g, ans, x, t1, t2, *, value=1: g,
        lambda g, ans, x, t1, t2, *, value=1: g * _cj(t2 * value),
        lambda g, ans, x, t1, t2, *, value=1: g * _cj(t1 * value),
    ),
    jvp=lambda ts, ans, x, t1, t2, *, value=1: _sum_terms(
        ts[0],
        None if ts[1] is None else ts[1] * t2 * value,
        None if ts[2] is None else t1 * ts[2] * value,
    ),
    inputs=("input", "tensor1", "tensor2"),
    params=(("value", 1),),
    save_for=((), (2,), (1,)),
    promote="binary",
    inplace=True,
    complex=True,
    samples=_addc_samples(-2.0),
    ref=lambda x, t1, t2, value=1: x + value * t1 * t2,
    doc="input + value * tensor1 * tensor2. d/dt1 = value t2, d/dt2 = value t1.",
)

addcdiv = def_op(
    "addcdiv",
    forward=lambda xp, x, t1, t2, *, value=1: x + value * (t1 / t2),
    vjp=(
        lambda g, ans, x, t1, t2, *, value=1: g,
        lambda g, ans, x, t1, t2, *, value=1: g * _cj(value / t2),
        lambda g, ans, x, t1, t2, *, value=1: -g * _cj(value * t1 / (t2 * t2)),
    ),
    jvp=lambda ts, ans, x, t1, t2, *, value=1: _sum_terms(
        ts[0],
        None if ts[1] is None else ts[1] * value / t2,
        None if ts[2] is None else -ts[2] * value * t1 / (t2 * t2),
    ),
    inputs=("input", "tensor1", "tensor2"),
    params=(("value", 1),),
    save_for=((), (2,), (1, 2)),
    promote="binary",
    inplace=True,
    complex=True,
    samples=_addc_samples(0.5),
    ref=lambda x, t1, t2, value=1: x + value * t1 / t2,
    doc="input + value * tensor1 / tensor2. d/dt1 = value / t2, d/dt2 = -value t1 / t2^2.",
)


def _sum_terms(*terms: Tensor | None) -> Tensor | None:
    out = None
    for t in terms:
        if t is not None:
            out = t if out is None else out + t
    return out


# ---------------------------------------------------------------- predicates and nan_to_num


# No sign of infinity for complex numbers: See Note [Complex numbers have no order] in
# ops/_real.py.
_INF_HINT = "complex numbers have no signed infinity: test .real and .imag, or use isinf()"


def _def_predicate(name: str, fwd: Any, ref: Any, doc: str) -> Any:
    def samples(rng: np.random.Generator, dt: Any) -> list:
        x = rand(rng, (2, 4), dt)
        x[0, 0], x[0, 1], x[1, 0] = np.nan, np.inf, -np.inf
        return [Sample((x,), name="float"), Sample((np.array([1, 0, -3]),), name="int")]

    return def_op(
        name,
        forward=fwd,
        save=None,
        differentiable=False,
        samples=samples,
        ref=ref,
        doc=doc + " A bool tensor (no gradient).",
    )


def _float_or(xp: Any, x: Any, f: Any, int_value: bool) -> Any:
    if _is_int(x):
        return (
            xp.full(x.shape, int_value, dtype=xp.bool)
            if xp is not np
            else np.full(x.shape, int_value)
        )
    return f(x)


isnan = _def_predicate(
    "isnan", lambda xp, x: _float_or(xp, x, xp.isnan, False), np.isnan, "True where x is NaN."
)
isinf = _def_predicate(
    "isinf", lambda xp, x: _float_or(xp, x, xp.isinf, False), np.isinf, "True where x is +-inf."
)
isfinite = _def_predicate(
    "isfinite",
    lambda xp, x: _float_or(xp, x, xp.isfinite, True),
    np.isfinite,
    "True where x is neither NaN nor infinite.",
)
isposinf = _def_predicate(
    "isposinf",
    real_only(
        lambda xp, x: _float_or(xp, x, lambda a: a == float("inf"), False),
        message(RuntimeError, "isposinf does not support complex inputs.", _INF_HINT),
    ),
    np.isposinf,
    "True where x is +inf.",
)
isneginf = _def_predicate(
    "isneginf",
    real_only(
        lambda xp, x: _float_or(xp, x, lambda a: a == -float("inf"), False),
        message(RuntimeError, "isneginf does not support complex inputs.", _INF_HINT),
    ),
    np.isneginf,
    "True where x is -inf.",
)


def _isreal_fwd(xp: Any, x: Any) -> Any:
    if _dt.from_np_dtype(x.dtype).is_complex:
        return xp.imag(x) == 0
    return xp.ones(x.shape, dtype=xp.bool) if xp is not np else np.ones(x.shape, dtype=bool)


isreal = _def_predicate("isreal", _isreal_fwd, np.isreal, "True where x has no imaginary part.")


def _nan_to_num_fwd(
    xp: Any,
    x: Any,
    *,
    nan: float | None = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Any:
    if _is_int(x):
        return _copy(xp, x)
    info = np.finfo(_dt.from_np_dtype(x.dtype).np)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    out = xp.where(xp.isnan(x), xp.asarray(0.0 if nan is None else nan, dtype=x.dtype), x)
    out = xp.where(out == float("inf"), xp.asarray(hi, dtype=x.dtype), out)
    return xp.where(out == -float("inf"), xp.asarray(lo, dtype=x.dtype), out)


def _nan_to_num_samples(rng: np.random.Generator, dt: Any) -> list:
    # The default replacements of inf (the dtype's extremes) would drown every finite
    # difference, so the infinite sample names small replacements; the defaults are checked
    # against PyTorch in tests/test_tensor_methods.py.
    x = rand(rng, (2, 4), dt)
    x[0, 0] = np.nan
    y = rand(rng, (2, 4), dt)
    y[0, 0], y[0, 1], y[1, 0] = np.nan, np.inf, -np.inf
    return [
        Sample((x,), name="nan, defaults"),
        Sample((y,), {"nan": 1.0, "posinf": 2.0, "neginf": -2.0}, name="nan and infs"),
    ]


nan_to_num = def_op(
    "nan_to_num",
    forward=_nan_to_num_fwd,
    vjp=lambda g, ans, x, **_: where(isfinite(x), g, 0.0),
    jvp="elementwise",
    params=(("nan", 0.0), ("posinf", None), ("neginf", None)),
    inplace=True,
    samples=_nan_to_num_samples,
    ref=lambda x, nan=0.0, posinf=None, neginf=None: np.nan_to_num(
        x, nan=nan, posinf=posinf, neginf=neginf
    ),
    doc="NaN, +inf and -inf replaced by ``nan``, ``posinf``, ``neginf`` (default: 0 and the "
    "dtype's largest and smallest finite values). d/dx = 1 where x is finite, else 0.",
)

# ---------------------------------------------------------------- aliases

fix = trunc
EXPORTS["fix"] = trunc
attach_method("fix", trunc)
attach_method("fix_", Tensor.trunc_)  # type: ignore[attr-defined]

__all__ = sorted(k for k in EXPORTS)
