"""Forward-mode AD with dual tensors: ``dual_level``, ``make_dual``, ``unpack_dual``.

Inside ``with dual_level():`` a tensor made by ``make_dual(primal, tangent)`` carries a tangent.
Every op whose inputs carry tangents computes the tangent of its output with the op's jvp rule, so
``unpack_dual(f(make_dual(x, v))).tangent`` is the Jacobian-vector product ``J_f(x) v``, in one
forward pass.

Example:
    >>> import ndgrad
    >>> import ndgrad.autograd.forward_ad as fwAD
    >>> x = ndgrad.tensor([1.0, 2.0])
    >>> with fwAD.dual_level():
    ...     y = fwAD.make_dual(x, ndgrad.ones_like(x)) ** 2
    ...     fwAD.unpack_dual(y).tangent
    tensor([2., 4.])
"""

from __future__ import annotations

import weakref
from typing import Any, NamedTuple

__all__ = [
    "dual_level",
    "make_dual",
    "unpack_dual",
    "UnpackedDualTensor",
    "enter_dual_level",
    "exit_dual_level",
]

ACTIVE = [0]  # how many dual levels are open; the op dispatch looks here first (one list read)
_DUALS: list[list] = []


class UnpackedDualTensor(NamedTuple):
    primal: Any
    tangent: Any


def enter_dual_level() -> int:
    if ACTIVE[0]:
        raise RuntimeError(
            "Nested forward mode AD is not supported at the moment; hint: compute the inner "
            "derivative first, or use reverse mode for one of the levels"
        )
    ACTIVE[0] += 1
    _DUALS.append([])
    return ACTIVE[0] - 1


def exit_dual_level(*, level: int | None = None) -> None:
    if not ACTIVE[0]:
        raise RuntimeError("no dual level is active")
    for ref in _DUALS.pop():
        t = ref()
        if t is not None and t._ext is not None:
            t._ext.tangent = None
    ACTIVE[0] -= 1


class dual_level:  # noqa: N801 - PyTorch's name
    """Context manager for forward-mode AD: tangents exist only inside it."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: Any) -> None:
        exit_dual_level()


def _set_tangent(t: Any, tangent: Any) -> None:
    t._x().tangent = tangent
    if _DUALS:
        _DUALS[-1].append(weakref.ref(t))


def make_dual(tensor: Any, tangent: Any, *, level: int | None = None) -> Any:
    """A view of ``tensor`` that carries ``tangent`` (same shape) inside the current dual level."""
    from .tensor import Tensor, make

    if not ACTIVE[0]:
        raise RuntimeError(
            "make_dual must be called inside a dual level; hint: "
            "`with ndgrad.autograd.forward_ad.dual_level(): ...`"
        )
    if not isinstance(tangent, Tensor):
        from ..ops.registry import to_tensor

        tangent = to_tensor(tangent)
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            f"Trying to set a forward gradient that has a different size than that of the original "
            f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the "
            f"given forward gradient is of size {list(tangent.shape)}."
        )
    if not (tensor.dtype.is_floating_point or tensor.dtype.is_complex):
        raise ValueError(
            f"Expected primal to be floating point or complex, but got: {tensor.dtype}"
        )
    d = make(tensor._data, tensor._requires_grad, tensor._node)
    d._vc = tensor._shared_vc()
    _set_tangent(d, tangent)
    return d


def unpack_dual(tensor: Any, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of a dual tensor; tangent is None for a plain tensor."""
    from .tensor import make

    e = tensor._ext
    tangent = None if e is None else e.tangent
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    p = make(tensor._data, tensor._requires_grad, tensor._node)
    p._vc = tensor._shared_vc()
    return UnpackedDualTensor(p, tangent)


def _primal(t: Any) -> Any:
    from .tensor import make

    if t is None or t._ext is None or t._ext.tangent is None:
        return t
    return make(t._data, t._requires_grad, t._node)


def propagate(op: Any, res: Any, args: Any, tensors: list, params: dict) -> None:
    """Give ``res`` the tangent of ``op`` at ``args`` (called by the dispatch when AD is on)."""
    tangents = [None if t is None or t._ext is None else t._ext.tangent for t in tensors]
    if all(t is None for t in tangents):
        return
    if not op.differentiable:
        return
    prim = [a if t is None else _primal(t) for a, t in zip(args, tensors)]
    ans = _primal(res)
    jvp = op.jvp
    if jvp is None:
        raise NotImplementedError(
            f"jvp of '{op.name}' is not implemented; hint: use reverse mode (backward/grad) "
            "for this op"
        )
    if jvp == "elementwise":
        out = None
        for i, tan in enumerate(tangents):
            if tan is None:
                continue
            r = op.vjp[i](tan, ans, *prim, **params)
            out = r if out is None else out + r
    elif jvp == "linear":
        from ..ops.registry import to_tensor  # noqa: F401

        vals = []
        for i, (a, tan) in enumerate(zip(prim, tangents)):
            diff = i < len(op.vjp) and op.vjp[i] is not None
            if not diff:
                vals.append(a)
            elif tensors[i] is None:  # a constant term of an affine op drops out
                vals.append(None if a is None else 0.0)
            elif tan is None:
                vals.append(_zeros_like(a))
            else:
                vals.append(tan)
        out = op.fn(*vals, **params)
    elif jvp == "bilinear":
        out = None
        for i, tan in enumerate(tangents):
            if tan is None:
                continue
            vals = list(prim)
            vals[i] = tan
            r = op.fn(*vals, **params)
            out = r if out is None else out + r
    else:
        out = jvp(tuple(tangents), ans, *prim, **params)
    if out is not None:
        if tuple(out.shape) != tuple(res.shape):
            out = out.expand(res.shape) if out.ndim <= res.ndim else out
        if out.dtype is not res.dtype and res.dtype.is_floating_point:
            out = out.to(res.dtype)
        _set_tangent(res, out)


def _zeros_like(a: Any) -> Any:
    from .tensor import make

    xp = a.xp
    return make(xp.zeros_like(a._data))
