"""Floor division and remainders: ``floor_divide`` (``//``), ``remainder`` (``%``), ``fmod``."""

from typing import Any

import numpy as np

from .._core import dtypes as _dt
from .._core.tensor import Tensor
from ._real import kernel, real_only
from .elementwise import _zeros_like
from .registry import EXPORTS, TABLE, Sample, apply_inplace, attach_method, def_op
from .samples import BINARY_SHAPES, rand

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
            f"\"{name}_cpu\" not implemented for 'Bool'; hint: convert the inputs first, e.g. "
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


# No rounded quotients of complex numbers (PyTorch's kernels have none): See Note [Complex
# numbers have no order] in ops/_real.py.
_ROUND_HINT = "divide, then round the .real and .imag parts"

floor_divide = def_op(
    "floor_divide",
    stubs=False,  # its rules read only what they saved
    forward=real_only(_floor_divide_fwd, kernel("div_floor_cpu", _ROUND_HINT)),
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
    forward=real_only(_remainder_fwd, kernel("remainder_cpu", _ROUND_HINT)),
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
    api="div(rounding_mode='trunc')",
    stubs=False,  # its rules read nothing
    forward=real_only(_trunc_div_fwd, kernel("div_trunc_cpu", _ROUND_HINT)),
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
    forward=real_only(_fmod_fwd, kernel("fmod_cpu", _ROUND_HINT)),
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


# Note [rounding_mode of div]
# PyTorch's div takes ``rounding_mode``: None (true division), "trunc" or "floor". The records
# stay separate (div keeps its binary fast path; the rounded quotients are piecewise constant,
# with zero gradients); the public div picks one.
_true_div = EXPORTS["div"]
_true_div_ = Tensor.div_
_ROUNDED = {"trunc": TABLE["_trunc_div"], "floor": TABLE["floor_divide"]}


def _rounded(rounding_mode: Any) -> Any:
    if rounding_mode not in _ROUNDED:
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'"
        )
    return _ROUNDED[rounding_mode]


def div(
    input: Any, other: Any, *, rounding_mode: str | None = None, out: Tensor | None = None
) -> Tensor:
    """``input / other``; ``rounding_mode="trunc"`` rounds the quotient toward zero,
    ``"floor"`` toward -inf (as ``//``). d/dx = 1/y, d/dy = -x/y^2; the rounded quotients
    are piecewise constant (zero gradients).

    Example:
        >>> import ndgrad
        >>> x, y = ndgrad.tensor([5.0, -5.0]), ndgrad.tensor([2.0, 2.0])
        >>> ndgrad.div(x, y), ndgrad.div(x, y, rounding_mode="trunc")
        (tensor([ 2.5000, -2.5000]), tensor([ 2., -2.]))
        >>> x.div(y, rounding_mode="floor")
        tensor([ 2., -3.])
    """
    if rounding_mode is None:
        return _true_div(input, other) if out is None else _true_div(input, other, out=out)
    fn = _rounded(rounding_mode).fn
    return fn(input, other) if out is None else fn(input, other, out=out)


def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    if rounding_mode is None:
        return _true_div_(self, other)
    return apply_inplace(_rounded(rounding_mode), self, (other,))


EXPORTS["div"] = EXPORTS["divide"] = div
for _name in ("div", "divide"):
    attach_method(_name, div)
    attach_method(_name + "_", div_)
