"""Elementwise ops: arithmetic, transcendental functions, comparisons, casts.

Conventions of the rules: ``g`` the incoming cotangent, ``ans`` the output, inputs by name. The
engine sums each result back to its input's shape, so broadcasting needs nothing here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core import dtypes as _dt
from .._core.tensor import Tensor
from .registry import EXPORTS, attach_method, def_op
from .samples import binary, unary

# ---------------------------------------------------------------- arithmetic
add = def_op(
    "add",
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
    forward=lambda xp, x, y: x * y,
    vjp=(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x),
    jvp="bilinear",
    inputs=("input", "other"),
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
    forward=_div_fwd,
    vjp=(lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * x / (y * y)),
    jvp="elementwise",
    inputs=("input", "other"),
    promote="float",
    inplace=True,
    samples=binary(low2=0.5, high2=2.0),
    ref=np.divide,
    doc="``input / other`` (true division). d/dx = 1/y, d/dy = -x/y^2.",
)

neg = def_op(
    "neg",
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
        return g * (y * x ** (y - 1))
    return g * where(y == 0, 0.0, y * x ** (y - 1))


def _pow_vjp_exp(g: Tensor, ans: Any, x: Any, y: Tensor) -> Tensor:
    # d/dy x^y = x^y log x; PyTorch masks x == 0 (where y >= 0) to 0 instead of 0 * -inf.
    if isinstance(x, (int, float)):
        return g * (x**y) * float(np.log(x)) if x > 0 else g * where(y >= 0, 0.0, x**y * np.log(x))
    return g * where((x == 0) & (y >= 0), 0.0, (x**y) * log(x))


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
    fwd_check=False,
)


def _to(self: Tensor, *args: Any, dtype: Any = None, device: Any = None, copy: bool = False,
        **kw: Any) -> Tensor:
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
for _name, _d in (("float", _dt.float32), ("double", _dt.float64), ("half", _dt.float16),
                  ("long", _dt.int64), ("int", _dt.int32), ("bool", _dt.bool_)):
    attach_method(_name, (lambda d: lambda self: _to(self, d))(_d))
attach_method("type_as", lambda self, other: _to(self, other.dtype))

clone = def_op(
    "clone",
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
    from .registry import TABLE, apply_inplace

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
        setattr(Tensor, f"__r{dunder}__", rev(f))
    for dunder, name in (("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "div"),
                         ("pow", "pow")):
        setattr(Tensor, f"__i{dunder}__", inplace(name))
    Tensor.__neg__ = neg
    Tensor.__pos__ = lambda self: self
    Tensor.subtract = sub
    Tensor.multiply = mul
    Tensor.divide = div
    Tensor.true_divide = div
    EXPORTS.update(subtract=sub, multiply=mul, divide=div, true_divide=div, negative=neg)


_bind_operators()
__all__ = sorted(k for k in EXPORTS)
