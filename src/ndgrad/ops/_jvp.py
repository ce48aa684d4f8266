"""The jvp of a record as one callable: the shortcuts ``def_op(jvp=...)`` accepts, made concrete.

``def_op`` turns its ``jvp`` argument into ``jvp(tangents, ans, *inputs, **params) -> Tensor |
None`` once, when the record is declared, so that forward mode (``_core.forward_ad``) only calls
it and knows nothing about ops. ``tangents`` has one entry per input (None where that input has no
tangent at the level being propagated); ``inputs`` are the primals (Tensors, or the scalars and
None the call was given); ``ans`` is the primal output. The shortcuts:

* ``"elementwise"``: the Jacobian is diagonal, so each input's vjp rule applied to its tangent
  gives that input's contribution; the contributions are summed.
* ``"linear"``: the op applied to the tangents (a zero tangent for a differentiable input that has
  none; a constant term of an affine op, a Python scalar, drops out).
* ``"bilinear"``: the op with one input replaced by its tangent, summed over the inputs.

The returned callable also broadcasts and casts the tangent to the output's shape and dtype. For
an op with several outputs ``ans`` is the tuple of outputs and the rule returns a tuple with one
tangent (or None) per output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _backend
from .._core.tensor import Tensor, make

__all__ = ["jvp_rule"]

JvpRule = Callable[..., Any]


def _elementwise(op: Any) -> JvpRule:
    """Each input's vjp rule applied to its tangent, summed.

    A complex rule returns ``g * conj(f'(z))`` (See Note [Complex gradients] in elementwise.py),
    so for complex tangents the jvp ``f'(z) * t`` is ``conj(rule(conj(t)))``; for an op with a
    real output (``abs``, ``angle``) the real part is kept when the tangent is fitted to it.
    """

    def jvp(tangents: tuple, ans: Tensor, *inputs: Any, **params: Any) -> Tensor | None:
        out = None
        vjp = op.vjp
        for i, x_t in enumerate(tangents):
            if x_t is None:
                continue
            if op.complex and _is_complex(x_t, inputs):
                conj = _table()["conj"].fn
                r = conj(vjp[i](conj(x_t), ans, *inputs, **params))
            else:
                r = vjp[i](x_t, ans, *inputs, **params)
            out = r if out is None else out + r
        return out

    return jvp


def _linear(op: Any) -> JvpRule:
    def jvp(tangents: tuple, ans: Tensor, *inputs: Any, **params: Any) -> Tensor | None:
        vals = []
        nrules = len(op.vjp)
        for i, (a, x_t) in enumerate(zip(inputs, tangents)):
            if not (i < nrules and op.vjp[i] is not None):  # not differentiable: as it is
                vals.append(a)
            elif not isinstance(a, Tensor):  # a constant term of an affine op drops out
                vals.append(None if a is None else 0.0)
            elif x_t is None:
                vals.append(make(_backend.namespace(a._data).zeros_like(a._data)))
            else:
                vals.append(x_t)
        return op.fn(*vals, **params)

    return jvp


def _bilinear(op: Any) -> JvpRule:
    def jvp(tangents: tuple, ans: Tensor, *inputs: Any, **params: Any) -> Tensor | None:
        out = None
        for i, x_t in enumerate(tangents):
            if x_t is None:
                continue
            vals = list(inputs)
            vals[i] = x_t
            r = op.fn(*vals, **params)
            out = r if out is None else out + r
        return out

    return jvp


_SHORTCUTS: dict[str, Callable[[Any], JvpRule]] = {
    "elementwise": _elementwise,
    "linear": _linear,
    "bilinear": _bilinear,
}


def _is_complex(x_t: Tensor, inputs: tuple) -> bool:
    if x_t.dtype.is_complex:
        return True
    return any(isinstance(a, Tensor) and a.dtype.is_complex for a in inputs)


def _table() -> dict:
    from .registry import TABLE

    return TABLE


def _fit(out: Tensor | None, ans: Tensor) -> Tensor | None:
    """The tangent ``out`` broadcast and cast to the output ``ans``'s shape and dtype.

    The cast is the table's own (silent: a complex tangent of a real output keeps its real part).
    """
    if out is None:
        return None
    if tuple(out.shape) != tuple(ans.shape) and out.ndim <= ans.ndim:
        out = out.expand(ans.shape)
    if out.dtype is not ans.dtype and (ans.dtype.is_floating_point or ans.dtype.is_complex):
        out = _table()["_to_dtype"].fn(out, dtype=ans.dtype)
    return out


def jvp_rule(op: Any, jvp: Any) -> JvpRule | None:
    """``op``'s jvp as a callable ``jvp(tangents, ans, *inputs, **params)``, or None if it has none.

    ``jvp`` is what the record declared: None, a shortcut name, or a callable of that signature.
    """
    if jvp is None:
        return None
    if isinstance(jvp, str):
        make_rule = _SHORTCUTS.get(jvp)
        if make_rule is None:
            raise ValueError(
                f"def_op('{op.name}'): unknown jvp shortcut {jvp!r}; hint: one of "
                f"{', '.join(map(repr, _SHORTCUTS))}, or a callable "
                "jvp(tangents, ans, *inputs, **params)"
            )
        rule = make_rule(op)
    elif callable(jvp):
        rule = jvp
    else:
        raise TypeError(
            f"def_op('{op.name}'): jvp must be None, a shortcut name or a callable, "
            f"got {type(jvp).__name__}"
        )

    def jvp_fn(tangents: tuple, ans: Any, *inputs: Any, **params: Any) -> Any:
        out = rule(tangents, ans, *inputs, **params)
        if type(ans) is tuple:  # several outputs: one tangent (or None) per output
            return tuple(_fit(o, a) for o, a in zip(out, ans))
        return _fit(out, ans)

    jvp_fn.__name__ = jvp_fn.__qualname__ = f"{op.name}_jvp"
    jvp_fn.rule = rule  # type: ignore[attr-defined]  # what was declared, for readers and tests
    return jvp_fn
