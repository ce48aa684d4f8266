"""Saved-tensor hooks: what a node keeps for backward, passed through ``pack``/``unpack``.

# Note [Saved-tensor hooks]
Inside ``autograd.graph.saved_tensors_hooks(pack, unpack)``, every tensor a node saves for its
rules (an input, or its own output) is given to ``pack`` once, when the node is recorded, and
the node keeps only what ``pack`` returned (a ``Packed``). Each time backward reads the value,
``unpack`` turns it back into a tensor. This is how ``save_on_cpu`` moves saved values off the
device and how ``utils.checkpoint`` keeps an index instead of the value and recomputes it.

The unpacked tensor takes the original's place in the graph: an input saved by a non-leaf keeps
that tensor's node as its history, and a saved leaf gets a one-edge identity node into the leaf,
so ``create_graph=True`` differentiates through hooked values as through plain ones. As in
PyTorch, the hooks own the value: a hooked value is not checked against in-place changes made
after the forward (a pack that copies keeps the value the forward used; one that keeps the
tensor itself sees the change).

The check on the recording path is one list read (``ACTIVE[0]``, the number of open hook
contexts in any thread); the hooks themselves live in a ContextVar, so threads and async tasks
see only their own, like grad mode.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from .grad_mode import _GRAD
from .node import MultiNode, Output
from .tensor import Tensor, _version_of, make

__all__ = ["ACTIVE", "Packed", "push", "pop", "disable", "enable", "pack_tensor", "pack_node"]

# How many hook contexts are open (in all threads): the recording path's only check.
ACTIVE = [0]
# This context's stack of (pack, unpack) pairs, innermost last, and the message that forbids them.
_STACK: contextvars.ContextVar[tuple] = contextvars.ContextVar("ndgrad_saved_hooks", default=())
_DISABLED: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ndgrad_saved_hooks_disabled", default=None
)


def push(pack: Callable[[Tensor], Any], unpack: Callable[[Any], Tensor]) -> contextvars.Token:
    msg = _DISABLED.get()
    if msg is not None:
        raise RuntimeError(msg)
    ACTIVE[0] += 1
    return _STACK.set((*_STACK.get(), (pack, unpack)))


def pop(token: contextvars.Token) -> None:
    _STACK.reset(token)
    ACTIVE[0] -= 1


def disable(message: str) -> contextvars.Token:
    if _STACK.get():
        raise RuntimeError(message)
    return _DISABLED.set(message)


def enable(token: contextvars.Token) -> None:
    _DISABLED.reset(token)


def current() -> tuple | None:
    """The innermost (pack, unpack) pair of this context, or None."""
    stack = _STACK.get()
    return stack[-1] if stack else None


class _LeafEdge(MultiNode):
    """The history of an unpacked saved leaf: an identity into the leaf (See Note above)."""

    __slots__ = ()

    def __init__(self, leaf: Tensor) -> None:
        super().__init__((leaf,), 1)

    def name(self) -> str:
        return "SavedLeafBackward"

    def apply(self, grads: list, create_graph: bool) -> list:
        return list(grads)


class Packed:
    """A saved tensor as ``pack`` returned it, with what ``unpack`` needs to put it back."""

    __slots__ = ("value", "unpack_fn", "node", "requires_grad", "shape")

    def __init__(self, t: Tensor, hooks: tuple, output: bool = False) -> None:
        pack, self.unpack_fn = hooks
        before = _version_of(t)
        token = _GRAD.set(False)  # PyTorch runs pack hooks without recording
        try:
            self.value = pack(t)
        finally:
            _GRAD.reset(token)
        if _version_of(t) != before:
            raise RuntimeError(
                "A saved tensor pack hook is modifying its input in place. Tensors provided as "
                "input to pack hook can not be modified by in-place operations as this can lead "
                "to unexpected side-effects. Please open an issue if you need to perform in-place "
                "operations on the input to a pack hook.; hint: return a modified copy instead"
            )
        self.shape = tuple(t._data.shape)
        self.requires_grad = t._requires_grad
        node = t._node
        if output:  # the node's own output: the node rebuilds its history (and no cycle)
            node = None
            self.requires_grad = False
        elif node is None and t._requires_grad:  # a leaf: reached through an identity node
            node = Output(_LeafEdge(t), 0)
        self.node = node

    def tensor(self) -> Tensor:
        """``unpack(value)``, checked, as a tensor with the original's place in the graph."""
        u = self.unpack_fn(self.value)
        if not isinstance(u, Tensor):
            raise TypeError(
                "Output of saved tensor unpack_hook expected to be a Tensor but got result of "
                f"type {type(u).__name__}"
            )
        return make(u._data, self.requires_grad, self.node)

    def array(self) -> Any:
        """The unpacked value's array (a saved output: the node rebuilds its tensor)."""
        return self.tensor()._data


def pack_tensor(t: Any) -> Any:
    """``t`` as a node keeps it under the innermost hooks: a Packed for a tensor."""
    hooks = current()
    if hooks is None or not isinstance(t, Tensor):
        return t
    return Packed(t, hooks)


def pack_node(node: Any, outs: Any) -> None:
    """Pass a just-recorded table node's saved inputs and saved outputs through the innermost
    hooks: ``outs`` is its output tensor (a Node) or list of output tensors (an OpNode)."""
    hooks = current()
    if hooks is None:
        return
    saved = node.saved
    if isinstance(saved, Tensor):
        node.saved = Packed(saved, hooks)
    elif type(saved) is tuple:
        node.saved = tuple(Packed(a, hooks) if isinstance(a, Tensor) else a for a in saved)
    ans = node.ans
    if ans is None:
        return
    if type(ans) is tuple:
        node.ans = tuple(None if a is None else Packed(o, hooks, True) for a, o in zip(ans, outs))
    else:
        node.ans = Packed(outs, hooks, True)


def ans_array(a: Any) -> Any:
    """A node's saved output as an array (unpacked when hooks packed it)."""
    return a.array() if type(a) is Packed else a
