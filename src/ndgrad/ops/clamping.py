"""Clamping and selection: clamp (clip), clamp_min/max, maximum, minimum, where."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.dtypes import bool_
from .._core.factories import torch_name
from .._core.tensor import Tensor
from ._real import message, real_only
from .elementwise import _avoiding, _separated, _unary_away, bind_aliases  # noqa: F401
from .registry import EXPORTS, TABLE, Sample, attach_method, def_op, def_twin, write_out

# ---------------------------------------------------------------- clamp, minimum, maximum
# No complex numbers: See Note [Complex numbers have no order] in ops/_real.py.
_ORDER_HINT = "complex numbers have no order: clamp their .real and .imag, or their .abs()"
_NO_COMPLEX_CLAMP = message(
    NotImplementedError, "clamp is not supported for complex types", _ORDER_HINT
)


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


_clamp = def_op(
    "clamp",
    forward=real_only(_clamp_fwd, _NO_COMPLEX_CLAMP),  # its twins below share it
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


# PyTorch names each overload's node: number bounds ClampBackward1, tensor bounds
# ClampBackward0, and clamp_min/clamp_max ClampMin/ClampMaxBackward0 (number) or 1 (tensor).
_TWINS = {
    key: def_twin("clamp", f"_clamp_{key}", name).fn
    for key, name in (
        ("tensor", "ClampBackward0"),
        ("min", "ClampMinBackward0"),
        ("min_tensor", "ClampMinBackward1"),
        ("max", "ClampMaxBackward0"),
        ("max_tensor", "ClampMaxBackward1"),
    )
}


def clamp(input: Any, min: Any = None, max: Any = None, *, out: Any = None) -> Tensor:
    """min(max(input, min), max); ``min``/``max`` are numbers, tensors or None (not both).

    d/dx = 1 where min <= x <= max (bounds included), else 0; a tensor bound gets the gradient
    where it is selected.

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([-2.0, 0.5, 3.0]).clamp(-1, 1)
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if out is not None:
        return write_out(TABLE["clamp"], clamp, (input, min, max), {"out": out})
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _TWINS["tensor"](input, min, max)
    return _clamp(input, min, max)


def clamp_min(input: Any, min: Any) -> Tensor:
    """``clamp(input, min=min)``."""
    return _TWINS["min_tensor" if isinstance(min, Tensor) else "min"](input, min, None)


def clamp_max(input: Any, max: Any) -> Tensor:
    """``clamp(input, max=max)``."""
    return _TWINS["max_tensor" if isinstance(max, Tensor) else "max"](input, None, max)


EXPORTS["clamp"] = clamp
attach_method("clamp", clamp)


def _max_vjp(g: Tensor, ans: Any, x: Any, y: Any) -> Tensor:
    # PyTorch: where(x == y, g / 2, g).masked_fill_(x < y, 0): ties split the gradient half/half.
    return where(x == y, g / 2, where(x < y, 0.0, g))


def _min_vjp(g: Tensor, ans: Any, x: Any, y: Any) -> Tensor:
    # PyTorch: where(x == y, g / 2, g).masked_fill_(x > y, 0): ties split the gradient half/half.
    return where(x == y, g / 2, where(x > y, 0.0, g))


maximum = def_op(
    "maximum",
    forward=real_only(
        lambda xp, x, y: xp.maximum(x, y),
        message(RuntimeError, "maximum not implemented for complex tensors.", _ORDER_HINT),
    ),
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
    forward=real_only(
        lambda xp, x, y: xp.minimum(x, y),
        message(RuntimeError, "minimum not implemented for complex tensors.", _ORDER_HINT),
    ),
    vjp=(_min_vjp, lambda g, ans, x, y: _min_vjp(g, ans, y, x)),
    jvp="elementwise",
    inputs=("input", "other"),
    promote="binary",
    samples=_separated,
    ref=np.minimum,
    doc="Elementwise minimum (NaN propagates). The gradient goes to the smaller input; ties "
    "split it half/half, as PyTorch.",
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


_where_record = where


def where(
    condition: Any, input: Any = None, other: Any = None, *, out: Tensor | None = None
) -> Any:
    """``input`` where ``condition`` else ``other`` (the gradient goes to the chosen side);
    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``, as PyTorch.

    Example:
        >>> import ndgrad
        >>> c = ndgrad.tensor([True, False, True])
        >>> ndgrad.where(c, ndgrad.tensor([1.0, 2.0, 3.0]), 0.0)
        tensor([1., 0., 3.])
        >>> ndgrad.where(c)
        (tensor([0, 2]),)
    """
    if input is None and other is None:
        return EXPORTS["nonzero"](condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError(
            "where() received an invalid combination of arguments: give where(condition) or "
            "where(condition, input, other); hint: for one side use a number, e.g. "
            "where(c, x, 0.0)"
        )
    if isinstance(condition, Tensor) and condition.dtype is not bool_:
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{torch_name(condition.dtype)}; hint: compare first, e.g. where(c != 0, x, y)"
        )
    if out is None:
        return _where_record(condition, input, other)
    return _where_record(condition, input, other, out=out)


EXPORTS["where"] = where


def _where_method(self: Tensor, condition: Any, other: Any) -> Tensor:
    return where(condition, self, other)


attach_method("where", _where_method)


# PyTorch's aliases and one-sided forms.
bind_aliases({"clip": "clamp"})
EXPORTS.update(clamp_min=clamp_min, clamp_max=clamp_max)
Tensor.clamp_min = clamp_min
Tensor.clamp_max = clamp_max
Tensor.clamp_min_ = lambda self, min: self.clamp_(min)  # noqa: A006
Tensor.clamp_max_ = lambda self, max: self.clamp_(None, max)  # noqa: A006
