"""Comparisons and logic: eq, ne, lt, le, gt, ge, logical_and/or/xor/not, isclose-free
predicates (no gradient; their in-place forms keep the tensor's dtype).
"""

from typing import Any

import numpy as np

from .. import _backend
from .._core.tensor import Tensor
from ._real import kernel, real_only
from .elementwise import _zeros_like, bind_aliases
from .registry import TABLE, Sample, apply_inplace, attach_method, def_op
from .samples import binary, rand

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


_ORDER_HINT = "complex numbers have no order: compare their .abs() or .real"


def _astype_like(xp: Any, a: Any, like: Any) -> Any:
    return _backend.backend(xp).astype(a, like.dtype)


def _def_compare(name: str, fwd: Any, ref: Any, symbol: str) -> Any:
    if name not in ("eq", "ne"):  # See Note [Complex numbers have no order] in ops/_real.py
        fwd = real_only(fwd, kernel(f"{name}_cpu", _ORDER_HINT))
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
        complex=name in ("eq", "ne"),  # PyTorch orders no complex numbers: lt_ ... refuse them
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


def _bind_comparison_operators() -> None:
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
    bind_aliases(
        {
            "greater": "gt",
            "greater_equal": "ge",
            "less": "lt",
            "less_equal": "le",
            "not_equal": "ne",
        }
    )


_bind_comparison_operators()
