"""Elementwise ops: arithmetic, transcendental functions, comparisons, casts.

Conventions of the rules: ``g`` the incoming cotangent, ``ans`` the output, inputs by name. The
engine sums each result back to its input's shape, so broadcasting needs nothing here.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .._core import dtypes as _dt
from .._core.tensor import Tensor
from .families import unary_float
from .registry import (
    EXPORTS,
    TABLE,
    Sample,
    _binary_fn,
    apply_inplace,
    attach_method,
    def_op,
    def_twin,
    to_tensor,
)
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


# Note [alpha of add and sub]
# PyTorch's add/sub take ``alpha`` (``input + alpha * other``). The records stay two-input ops
# without params, so ``x + y`` and ``add(x, y)`` keep the binary fast path; a call with
# ``alpha != 1`` scales ``other`` first (its gradient is then ``alpha * g`` through mul, the same
# values PyTorch's AddBackward0 gives).
def _with_alpha(fast: Any, inplace: Any, name: str) -> tuple:
    def public(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
        if alpha != 1:
            other = other * alpha
        return fast(input, other) if out is None else fast(input, other, out=out)

    def method_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
        return inplace(self, other if alpha == 1 else other * alpha)

    public.__name__ = name
    public.__doc__ = fast.__doc__
    method_.__name__ = name + "_"
    method_.__doc__ = inplace.__doc__
    return public, method_


add, _add_ = _with_alpha(add, Tensor.add_, "add")
sub, _sub_ = _with_alpha(sub, Tensor.sub_, "sub")
for _n, _f, _fi in (("add", add, _add_), ("sub", sub, _sub_)):
    EXPORTS[_n] = _f
    attach_method(_n, _f)
    attach_method(_n + "_", _fi)


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
    """The function of a twin of ``fn``'s record (See ``registry.def_twin``)."""
    return def_twin(fn.__name__, name, backward_name, samples, torch).fn


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


def _rdiv_method(self: Tensor, other: Any) -> Tensor:
    """``number / self`` is ``self.reciprocal() * number`` in PyTorch (MulBackward0 over
    ReciprocalBackward0); a tensor ``other`` divides as usual."""
    if type(other) in (int, float, complex) and self._requires_grad:
        return mul(TABLE["reciprocal"].fn(self), other)
    return div(other, self)


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

sin = unary_float(
    "sin",
    lambda g, ans, x: g * _cj(cos(x)),
    low=-3.0,
    high=3.0,
    complex=True,
    doc="Sine. d/dx sin x = cos x.",
)
cos = unary_float(
    "cos",
    lambda g, ans, x: -g * _cj(sin(x)),
    low=-3.0,
    high=3.0,
    complex=True,
    doc="Cosine. d/dx cos x = -sin x.",
)

# tanh's and sigmoid's backward are records of their own, as PyTorch's tanh_backward and
# sigmoid_backward: one op in backward instead of three, on the hot path of every tanh MLP (and
# a create_graph gradient records TanhBackwardBackward0, as PyTorch's does). Complex data takes
# the composite rule.


def _real_pair(g: Tensor, y: Tensor) -> bool:
    a, b = g._data, y._data
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return a.dtype.kind != "c" and b.dtype.kind != "c"
    return not (_is_complex(g) or _is_complex(y))


_tanh_backward = def_op(
    "_tanh_backward",
    forward=lambda xp, g, y: g * (1 - y * y),
    vjp=(
        lambda gg, ans, g, y: gg * (1 - y * y),  # d/dg
        lambda gg, ans, g, y: gg * g * y * -2.0,  # d/dy
    ),
    jvp="elementwise",
    inputs=("grad_output", "output"),
    save_for=((1,), (0, 1)),
    promote="binary",
    method=False,
    export=False,
    backward_name="TanhBackwardBackward0",
    samples=binary(low=-0.9, high=0.9, scalar=None),
    ref=lambda g, y: g * (1 - y * y),
    torch=lambda g, y: __import__("torch").ops.aten.tanh_backward(g, y),
    doc="The gradient of tanh from its output y: g (1 - y^2).",
)

_sigmoid_backward = def_op(
    "_sigmoid_backward",
    forward=lambda xp, g, y: g * y * (1 - y),
    vjp=(
        lambda gg, ans, g, y: gg * y * (1 - y),  # d/dg
        lambda gg, ans, g, y: gg * g * (1 - 2 * y),  # d/dy
    ),
    jvp="elementwise",
    inputs=("grad_output", "output"),
    save_for=((1,), (0, 1)),
    promote="binary",
    method=False,
    export=False,
    backward_name="SigmoidBackwardBackward0",
    samples=binary(low=0.05, high=0.95, scalar=None),
    ref=lambda g, y: g * y * (1 - y),
    torch=lambda g, y: __import__("torch").ops.aten.sigmoid_backward(g, y),
    doc="The gradient of sigmoid from its output y: g y (1 - y).",
)


def _tanh_vjp(g: Tensor, ans: Tensor, x: Any) -> Tensor:
    if _real_pair(g, ans):
        return _tanh_backward(g, ans)
    return g * _cj(1 - ans * ans)


tanh = def_op(
    "tanh",
    ufunc=np.tanh,
    forward=lambda xp, x: xp.tanh(x),
    vjp=_tanh_vjp,
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
    a = TABLE["abs"].fn(x)  # abs is declared in unary.py, which imports this module
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


EXPORTS.update(conj=conj, real=real, imag=imag, is_conj=is_conj)  # conj_physical: complex_ops
EXPORTS.update(resolve_conj=resolve_conj, resolve_neg=resolve_conj)
for _name, _f in (
    ("conj", conj),
    ("resolve_conj", resolve_conj),
    ("resolve_neg", resolve_conj),
    ("is_conj", is_conj),
):
    attach_method(_name, _f)
Tensor.real = property(real, doc="The real part (a view); a real tensor itself.")
Tensor.imag = property(imag, doc="The imaginary part (a view); complex tensors only.")

__all__ = sorted(k for k in EXPORTS)

# ---------------------------------------------------------------- operators


def bind_aliases(aliases: dict) -> None:
    """PyTorch's second names: the same function (and in-place method) as ``aliases[alias]``."""
    for alias, name in aliases.items():
        f = EXPORTS[name]
        EXPORTS[alias] = f
        attach_method(alias, f)
        if hasattr(Tensor, name + "_"):
            attach_method(alias + "_", getattr(Tensor, name + "_"))


def _zeros_like(g: Tensor) -> Tensor:
    from .._core.factories import zeros_like

    return zeros_like(g)


def _bind_operators() -> None:
    def rev(f: Any) -> Any:
        return lambda self, other: f(other, self)

    def inplace(name: str) -> Any:
        op = TABLE[name]

        def method(self: Tensor, other: Any) -> Tensor:
            return apply_inplace(op, self, (other,))

        return method

    ops = {
        "add": _binary_fn(TABLE["add"], operator=True),
        "sub": _binary_fn(TABLE["sub"], operator=True),
        "mul": _binary_fn(TABLE["mul"], operator=True),
        "truediv": _binary_fn(TABLE["div"], operator=True),
        "pow": pow,
    }
    for dunder, f in ops.items():
        setattr(Tensor, f"__{dunder}__", f)
        # ``2 * x`` is ``x.mul(2)`` in PyTorch too: the commutative ones need no swap (or frame)
        setattr(Tensor, f"__r{dunder}__", f if dunder in ("add", "mul") else rev(f))
    Tensor.__rsub__ = _rsub_method  # See Note [Overload names of pow and rsub]
    Tensor.__rtruediv__ = _rdiv_method
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
    Tensor.subtract = sub
    Tensor.multiply = mul
    Tensor.divide = div
    Tensor.true_divide = div
    EXPORTS.update(subtract=sub, multiply=mul, divide=div, true_divide=div, negative=neg)


_bind_operators()
__all__ = sorted(k for k in EXPORTS)

# Split out to keep modules small; ops modules import these from here as before.
# isort: off
from .clamping import clamp, clamp_max, clamp_min, maximum, minimum, where  # noqa: E402, F401
from .casting import _to, clone, to_dtype  # noqa: E402, F401
# isort: on

__all__ = sorted(k for k in EXPORTS)
