"""``ndgrad.autograd.forward_ad``: dual tensors for forward-mode AD (see ``_core.forward_ad``).

PyTorch's API (``dual_level``, ``make_dual``, ``unpack_dual``, ``enter_dual_level``,
``exit_dual_level``, ``UnpackedDualTensor``), with one deliberate difference: levels nest, so
forward-over-forward derivatives work (PyTorch raises "Nested forward mode AD is not supported").
Levels are private to the thread or asyncio task that opened them.

Example:
    >>> import ndgrad
    >>> import ndgrad.autograd.forward_ad as fwAD
    >>> x = ndgrad.tensor([1.0, 2.0], dtype=ndgrad.float64)
    >>> with fwAD.dual_level() as outer:
    ...     x1 = fwAD.make_dual(x, ndgrad.ones_like(x))
    ...     with fwAD.dual_level():
    ...         y = fwAD.make_dual(x1, ndgrad.ones_like(x)) ** 3
    ...         dy = fwAD.unpack_dual(y).tangent               # 3 x**2, a dual tensor at outer
    ...     fwAD.unpack_dual(dy, level=outer).tangent          # 6 x
    tensor([ 6., 12.], dtype=ndgrad.float64)
"""

from __future__ import annotations

from typing import Any

from .._core import forward_ad as _fw
from .._core.forward_ad import (
    UnpackedDualTensor,
    dual_level,
    enter_dual_level,
    exit_dual_level,
)
from .._core.grad_mode import is_grad_enabled
from .._core.tensor import Tensor

__all__ = [
    "dual_level",
    "make_dual",
    "unpack_dual",
    "UnpackedDualTensor",
    "enter_dual_level",
    "exit_dual_level",
]


def _leaf_that_requires_grad(t: Any) -> bool:
    return isinstance(t, Tensor) and t._requires_grad and t._node is None and is_grad_enabled()


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` that carries ``tangent`` (same shape) at ``level`` (the innermost).

    As in PyTorch, gradients of what is computed from the dual tensor reach ``tensor``.

    Example:
        >>> import ndgrad
        >>> import ndgrad.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     d = fwAD.make_dual(ndgrad.tensor([3.0]), ndgrad.tensor([1.0]))
        ...     fwAD.unpack_dual(d * d).tangent
        tensor([6.])
    """
    if _leaf_that_requires_grad(tensor) and _fw.open_levels():
        tensor = tensor.view_as(tensor)  # a node of its own, so the gradient flows to the leaf
    return _fw.make_dual(tensor, tangent, level=level)


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor`` at ``level`` (default: the innermost).

    ``tangent`` is None where ``tensor`` has none there (then ``primal`` is ``tensor``); otherwise
    ``primal`` is a view of ``tensor`` without that tangent (it keeps those of other levels).
    """
    res = _fw.unpack_dual(tensor, level=level)
    if res.tangent is not None and _leaf_that_requires_grad(tensor):
        primal = tensor.view_as(tensor)  # a view, so the gradient flows to the leaf
        _fw.discard_tangent(primal, _fw._pick(_fw.open_levels(), level, "unpack_dual"))
        res = UnpackedDualTensor(primal, res.tangent)
    return res
