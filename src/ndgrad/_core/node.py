"""Nodes of the recorded graph (``grad_fn``), and the leaf accumulator.

# Note [Graph without cycles]
A Tensor points to its Node (``grad_fn``); a Node points to the Nodes (or leaf Tensors) of its
inputs, and to the input Tensors it saved. Nothing points back: a node keeps its output's value as
a raw array, never as a Tensor, and ``retain_grad`` refers to its tensor through a weak reference.
So the graph is a DAG of plain references, freed by reference counting the moment the last output
goes, without the cyclic garbage collector.

# Note [Saved values and versions]
Each saved input is stored with the version of its counter at save time; the engine compares when
it unpacks them and raises PyTorch's error if an in-place op changed one in between. After a
backward without ``retain_graph`` the node drops what it saved and remembers that it did, so a
second backward says why it cannot run instead of failing somewhere deeper.
"""

from __future__ import annotations

import contextlib
import itertools
import weakref
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "Node",
    "AccumulateGrad",
    "RemovableHandle",
    "Output",
    "MultiNode",
    "OPS",
    "add_saved_attributes",
]


class RemovableHandle:
    """Returned by ``register_hook``: ``handle.remove()`` unregisters the hook."""

    __slots__ = ("_list", "_fn")

    def __init__(self, lst: list, fn: Callable) -> None:
        self._list = lst
        self._fn = fn

    def remove(self) -> None:
        with contextlib.suppress(ValueError):
            self._list.remove(self._fn)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class _NodeExt:
    """Rarely used per-node state: tensor hooks of the output and the retain_grad reference."""

    __slots__ = ("hooks", "retain", "ans_tan")

    def __init__(self) -> None:
        self.hooks: list | None = None
        self.retain: Any = None
        # The forward-mode tangents of the saved outputs (tensors holding them), so a rule that
        # reads its output sees them too: the jvp of a vjp (See Note [Tangents of saved outputs]).
        self.ans_tan: Any = None


_SEQ = itertools.count()
next_seq = _SEQ.__next__  # the dispatch's inlined node creation takes numbers here too
FREED = ("<freed>",)  # what ``Node.saved`` becomes once backward has released the saved values


class Node:
    """A recorded operation: what the engine needs to send a gradient back through it.

    Attributes (engine-facing): ``op`` the op record, ``next`` one edge per positional argument
    (a Node, a leaf Tensor that requires grad, or None), ``saved`` the arguments the rules need
    (``FREED`` after backward released them), ``vers`` their versions (None: all were 0), ``ans``
    the output array when the rule needs it, ``params`` the keyword arguments, ``meta`` (shape,
    dtype) of each tensor argument, ``x`` hooks and retain_grad state (None unless used).

    # Note [Bare edges]
    When only one input takes a gradient (``sin(x)``, ``x * 2``), ``next`` is that input's edge
    itself and ``pos`` its position, and a unary op's one saved input is stored bare too: two
    tuples fewer per node, which is what Python's cyclic collector would otherwise rescan on every
    full collection of a large graph. ``edges()`` gives the tuple view.
    """

    __slots__ = (
        "op",
        "seq",
        "pos",
        "next",
        "saved",
        "vers",
        "ans",
        "params",
        "meta",
        "x",
        "ans_vc",
        "__weakref__",
    )

    def __init__(
        self,
        op: Any,
        nxt: tuple,
        saved: Any,
        vers: Any,
        ans: Any,
        params: dict,
        meta: tuple,
        ans_vc: list | None = None,
        pos: int = -1,
    ) -> None:
        self.op = op
        self.seq = next(_SEQ)  # See Note [Sequence numbers] in engine.py
        self.pos = pos  # >= 0: only input ``pos`` takes a gradient and ``next`` is its bare edge
        self.next = nxt
        self.saved = saved
        self.vers = vers
        self.ans = ans
        self.params = params
        self.meta = meta
        self.x = None
        self.ans_vc = ans_vc  # the output's version counter, when the output is saved

    def _ext(self) -> _NodeExt:
        x = self.x
        if x is None:
            x = self.x = _NodeExt()
        return x

    @property
    def hooks(self) -> list | None:
        return None if self.x is None else self.x.hooks

    @property
    def retain(self) -> Any:
        return None if self.x is None else self.x.retain

    @property
    def freed(self) -> bool:
        return self.saved is FREED

    def name(self) -> str:
        return self.op.backward_name

    def __repr__(self) -> str:
        return f"<{self.op.backward_name} object at {hex(id(self))}>"

    def arity(self) -> int:
        """How many positional inputs the op took."""
        if self.pos < 0:
            return len(self.next)
        return max(len(self.op.inputs), self.pos + 1)

    def edges(self) -> tuple:
        """One edge per positional input (a Node, a leaf Tensor, or None)."""
        if self.pos < 0:
            return self.next
        out = [None] * self.arity()
        out[self.pos] = self.next
        return tuple(out)

    @property
    def next_functions(self) -> tuple:
        """((node, 0), ...) for each argument, as in PyTorch; leaves show as AccumulateGrad."""
        return tuple(_function_edge(e) for e in self.edges())

    def add_tensor_hook(self, hook: Callable) -> RemovableHandle:
        x = self._ext()
        if x.hooks is None:
            x.hooks = []
        x.hooks.append(hook)
        return RemovableHandle(x.hooks, hook)

    def register_prehook(self, hook: Callable) -> RemovableHandle:
        """``hook(grad_outputs) -> grad_outputs or None``, run before this node's rule."""

        def tensor_hook(g: Any) -> Any:
            r = hook((g,))
            return None if r is None else r[0]

        return self.add_tensor_hook(tensor_hook)

    @property
    def metadata(self) -> dict:
        return {}


def _function_edge(e: Any) -> tuple:
    """``(grad_fn, output_nr)`` of one edge, as ``next_functions`` reports it."""
    if e is None:
        return (None, 0)
    t = type(e)
    if t is Output:
        return (e.node, e.nr)
    if isinstance(e, (Node, MultiNode)):
        return (e, 0)
    return (AccumulateGrad.of(e), 0)


class OpsInterface:
    """What ``_core`` needs from the op layer, bound once by ``ops`` at import.

    ``_core`` never imports ``ops`` and never calls the methods ``ops`` attaches to Tensor; the
    few differentiable operations the engine performs on gradients go through these slots:
    ``sum_to(g, shape)`` (sum a broadcast gradient back to an input's shape), ``cast(g, dtype)``,
    ``add(a, b)``, ``to_tensor(obj)``, ``stack(tensors)`` and ``zeros_like(t)``.
    """

    __slots__ = ("sum_to", "cast", "add", "to_tensor", "stack", "zeros_like", "reshape")

    def bind(self, **fns: Callable[..., Any]) -> None:
        for k, v in fns.items():
            setattr(self, k, v)


OPS = OpsInterface()


class Output:
    """Output ``nr`` of a node with several outputs: what such an output tensor's ``_node`` holds.

    # Note [Outputs of multi-output nodes]
    ``sort``, ``max(x, dim)``, ``svd`` and custom Functions make one node with several outputs.
    Each output tensor keeps an ``Output(node, nr)`` as its history, so every edge into such a
    node names the output it came from (``next_functions`` reports ``(node, nr)``), and the engine
    keeps one gradient buffer per output, keyed by the Output (equal and hashed by node and nr).
    ``grad_fn`` of every output is the node itself. Tensor hooks and ``retain_grad`` of output
    ``nr`` live in the node's per-output state (``node.outx[nr]``), so an Output holds nothing
    but its two fields and the graph stays free of cycles.
    """

    __slots__ = ("node", "nr")

    def __init__(self, node: Any, nr: int) -> None:
        self.node = node
        self.nr = nr

    def __eq__(self, other: object) -> bool:
        return type(other) is Output and other.node is self.node and other.nr == self.nr

    def __hash__(self) -> int:
        return hash((id(self.node), self.nr))

    @property
    def seq(self) -> int:
        return self.node.seq

    def name(self) -> str:
        return self.node.name()

    def _ext(self) -> _NodeExt:
        outx = self.node.outx
        x = outx[self.nr]
        if x is None:
            x = outx[self.nr] = _NodeExt()
        return x

    def add_tensor_hook(self, hook: Callable) -> RemovableHandle:
        x = self._ext()
        if x.hooks is None:
            x.hooks = []
        x.hooks.append(hook)
        return RemovableHandle(x.hooks, hook)

    def __repr__(self) -> str:
        return f"<output {self.nr} of {self.node!r}>"


class MultiNode:
    """The protocol of every node the engine runs through ``apply`` (all but the table's Node).

    ``seq`` (See Note [Sequence numbers] in engine.py), ``next`` (one edge per input: a Node, an
    Output, a leaf Tensor or None), ``nout`` outputs with per-output hook state ``outx``,
    ``apply(grads, create_graph) -> grads`` (one gradient per output in, None where none flowed;
    one per input out, None where nothing flows), ``release()`` and ``name()``. Subclasses: the
    table ops with several outputs (``OpNode``) and custom Functions (``autograd.function``).
    """

    __slots__ = ("seq", "next", "nout", "outx", "x", "pos", "__weakref__")

    def __init__(self, nxt: tuple, nout: int) -> None:
        self.seq = next(_SEQ)
        self.next = nxt
        self.nout = nout
        self.outx: list = [None] * nout
        self.x = None  # unused (per-output state is in outx); kept for a uniform node shape
        self.pos = -1

    def apply(self, grads: list, create_graph: bool) -> Sequence[Any]:  # pragma: no cover
        raise NotImplementedError

    def release(self) -> None:
        """Drop what backward needed (after a backward without ``retain_graph``)."""

    @property
    def freed(self) -> bool:
        return False

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    def edges(self) -> tuple:
        return self.next

    @property
    def next_functions(self) -> tuple:
        return tuple(_function_edge(e) for e in self.next)

    def register_prehook(self, hook: Callable) -> RemovableHandle:
        """``hook(grad_outputs) -> grad_outputs or None``, run before this node's rule."""
        x = self._pre()
        x.append(hook)
        return RemovableHandle(x, hook)

    def _pre(self) -> list:
        x = self.x
        if x is None:
            x = self.x = _NodeExt()
        if x.hooks is None:
            x.hooks = []
        return x.hooks

    @property
    def metadata(self) -> dict:
        return {}


def add_saved_attributes(names: Sequence[str]) -> None:
    """Give Node PyTorch's ``_saved_<name>`` and ``_raw_saved_<name>`` for each of ``names``.

    Properties, made once for the names the op table uses (inputs by signature name, ``self``,
    ``result``, params), rather than a ``__getattr__``: that would slow every attribute read of
    every node in the engine's loop by a fifth.
    """

    def make(attr: str) -> property:
        def get(node: Any) -> Any:
            from .op_node import saved_attribute

            return saved_attribute(node, attr)

        return property(get, doc=f"PyTorch's grad_fn.{attr}: what the node saved.")

    for n in names:
        for prefix in ("_saved_", "_raw_saved_"):
            attr = prefix + n
            if not hasattr(Node, attr):
                setattr(Node, attr, make(attr))


class AccumulateGrad:
    """The ``grad_fn``-like view of a leaf that requires grad, as ``next_functions`` shows it."""

    __slots__ = ("variable", "__weakref__")

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    @staticmethod
    def of(t: Any) -> AccumulateGrad:
        ref = t._acc_ref()
        acc = ref() if ref is not None else None
        if acc is None:
            acc = AccumulateGrad(t)
            t._set_acc_ref(weakref.ref(acc))
        return acc

    def name(self) -> str:
        return "AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


class ShapeOnly:
    """What a rule sees of an input the op did not save: its shape, dtype and ndim only."""

    __slots__ = ("_meta",)

    def __init__(self, meta: tuple) -> None:
        self._meta = meta

    @property
    def shape(self) -> tuple:
        from .tensor import Size

        return Size(self._meta[0])

    @property
    def ndim(self) -> int:
        return len(self._meta[0])

    def dim(self) -> int:
        return len(self._meta[0])

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self._meta[0][dim]

    def numel(self) -> int:
        n = 1
        for s in self._meta[0]:
            n *= s
        return n

    @property
    def dtype(self) -> Any:
        from .dtypes import from_np_dtype

        return from_np_dtype(self._meta[1])

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"this input was not saved for backward (only its shape and dtype were), so a rule "
            f"cannot read '.{name}'; hint: add its position to the op's save=(...)"
        )
