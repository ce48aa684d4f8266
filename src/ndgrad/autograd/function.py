"""Custom differentiable operations: ``ndgrad.autograd.Function``, as PyTorch's.

A subclass defines ``forward`` and ``backward`` (and ``jvp`` for forward mode) as static
methods; ``MyFn.apply(*args)`` runs ``forward`` without recording, then records one node whose
rule is ``backward``. Both PyTorch styles work: ``forward(ctx, *args)``, or ``forward(*args)``
with a separate ``setup_context(ctx, inputs, output)``.

Example (PyTorch's ``LegendrePolynomial3``):
    >>> import ndgrad
    >>> class P3(ndgrad.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return 0.5 * (5 * x**3 - 3 * x)
    ...
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         (x,) = ctx.saved_tensors
    ...         return grad_output * 1.5 * (5 * x**2 - 1)
    >>> x = ndgrad.tensor([0.5, 1.0], requires_grad=True)
    >>> P3.apply(x).sum().backward()
    >>> x.grad
    tensor([0.3750, 6.0000])

# Note [Saved outputs of a Function]
A Function that saves its own output (``y = x.exp(); ctx.save_for_backward(y)``) would make a
cycle output -> node -> ctx -> output. The node keeps such an entry as the output's array and
version counter instead, and ``ctx.saved_tensors`` rebuilds the tensor on each access (with the
node as its history when backward records a graph, so double backward works).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any

from .. import _backend
from .._core import anomaly as _anomaly
from .._core import forward_ad as _fw
from .._core import saved_hooks as _saved_hooks
from .._core.batched import VMAP as _VMAP
from .._core.batched import BatchedTensor
from .._core.grad_mode import _GRAD, grad_enabled
from .._core.node import MultiNode, Output
from .._core.op_node import freed_error
from .._core.tensor import Tensor, make
from ..ops.registry import to_tensor

__all__ = ["Function", "FunctionCtx", "once_differentiable", "InplaceFunction"]

_FREED = object()


class FunctionCtx:
    """The ``ctx`` that ``forward``/``setup_context`` fill and ``backward`` reads.

    Any attribute may be set on it (``ctx.k = k``); the methods are PyTorch's.
    """

    def __init__(self) -> None:
        self._saved: Any = ()  # tuples (kind, value, version): See Note [Saved outputs...]
        self._non_diff: set[int] = set()
        self._dirty: tuple = ()
        self.materialize_grads = True
        self.needs_input_grad: tuple = ()
        self._node_ref: Any = None  # a weak reference: the node owns ctx (no cycle)
        self._to_save: tuple = ()

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep ``tensors`` for ``backward`` (read them back with ``ctx.saved_tensors``).

        Only tensors (or None) may be saved this way; other values go on ``ctx`` as attributes.
        The versions are recorded: an in-place change before backward raises there.
        """
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {i} is of type "
                    f"{type(t).__name__}; hint: store non-tensor values as attributes, "
                    "ctx.value = value"
                )
        self._to_save = tensors

    def save_for_forward(self, *tensors: Tensor | None) -> None:
        """Keep ``tensors`` for ``jvp`` (as ``ctx.saved_tensors`` there)."""
        self._to_save = tensors

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """Outputs that get no gradient (indices, masks): they never require grad."""
        self._non_diff.update(id(o) for o in outputs)

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Inputs that ``forward`` modified in place (and returns): their history moves."""
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """False: ``backward`` gets None (not zeros) for outputs no gradient reached."""
        self.materialize_grads = bool(value)

    @property
    def _node(self) -> Any:
        ref = self._node_ref
        return None if ref is None else ref()

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved is _FREED:
            node = self._node
            if node is None:
                raise RuntimeError("saved tensors were freed")
            raise freed_error(node)
        out = []
        for kind, value, version in saved:
            if kind == "none":
                out.append(None)
                continue
            k = None
            if kind == "input":
                t = value
                vc = t._vc
                now = 0 if vc is None else vc[0]
            elif kind == "packed":  # (Packed, output number or None)
                p, k = value
                t = value[0].tensor()
                now = version  # the hooks own the value (not checked, as in PyTorch)
            else:  # "output": (array, version counter, output number)
                data, vc, k = value
                now = vc[0]
                t = make(data, False, None)
                t._vc = vc
            if k is not None:
                node = self._node
                if grad_enabled() and node is not None:  # backward records: keep history
                    t._requires_grad = True
                    t._node = Output(node, k)
            if now != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{t.dtype} tensor of shape {list(t.shape)}], which "
                    f"is saved by {type(self._node).__name__ if self._node else 'a Function'}, "
                    f"is at version {now}; expected version {version} instead. hint: clone() "
                    "the tensor before modifying it in place, or save a copy"
                )
            out.append(t)
        return tuple(out)

    @property
    def saved_variables(self) -> tuple:  # PyTorch's deprecated alias
        return self.saved_tensors


class FunctionNode(MultiNode):
    """The node of one ``Function.apply`` call: its rule is the user's ``backward``."""

    __slots__ = ("fn", "ctx", "tensor_pos", "in_meta", "out_meta", "released")

    def __init__(self, fn: type, ctx: FunctionCtx, nxt: tuple, nout: int) -> None:
        super().__init__(nxt, nout)
        self.fn = fn
        self.ctx = ctx
        self.tensor_pos: tuple = ()  # positions of the tensor arguments (one edge each)
        self.in_meta: tuple = ()  # (shape, dtype) per tensor argument
        self.out_meta: tuple = ()  # (shape, dtype) per output (None for non-tensors)
        self.released = False

    def name(self) -> str:
        return f"{self.fn.__name__}Backward"

    @property
    def freed(self) -> bool:
        return self.released

    def release(self) -> None:
        self.released = True
        self.ctx._saved = _FREED

    def apply(self, grads: list, create_graph: bool) -> list:
        ctx = self.ctx
        if self.released:
            raise freed_error(self)
        if ctx.materialize_grads:
            like = next((g for g in grads if g is not None), None)
            grads = [
                g if g is not None or m is None else _zeros(like, m)
                for g, m in zip(grads, self.out_meta)
            ]
        res = self.fn.backward(ctx, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        n_args = len(ctx.needs_input_grad)
        name = self.name()
        if len(res) < n_args or any(r is not None for r in res[n_args:]):
            raise RuntimeError(
                f"function {name} returned an incorrect number of gradients (expected "
                f"{n_args}, got {len(res)}); hint: backward returns one gradient per argument "
                "of forward (None for arguments that are not tensors or need no gradient)"
            )
        out = []
        tpos = set(self.tensor_pos)
        for i, r in enumerate(res[:n_args]):
            if i not in tpos:
                if r is not None:
                    raise RuntimeError(
                        f"function {name} returned a gradient different than None at position "
                        f"{i + 1}, but the corresponding forward input was not a Variable"
                    )
                continue
            out.append(r)
        checked = []
        for k, (r, e, meta) in enumerate(zip(out, self.next, self.in_meta)):
            if r is None or e is None:
                checked.append(None)
                continue
            if not isinstance(r, Tensor):
                r = to_tensor(r)
            shape, dt = meta
            if tuple(r._data.shape) != tuple(shape):
                if not _expandable(shape, tuple(r._data.shape)):
                    raise RuntimeError(
                        f"Function {name} returned an invalid gradient at index "
                        f"{self.tensor_pos[k]} - got {list(r.shape)} but expected shape "
                        f"compatible with {list(shape)}; hint: return a gradient with the "
                        "input's shape"
                    )
                from .._core.op_node import unbroadcast

                r = unbroadcast(r, tuple(shape))
            if r._data.dtype != dt:
                from .._core.op_node import cast

                r = cast(r, dt)
            checked.append(r)
        return checked


def _expandable(shape: tuple, target: tuple) -> bool:
    """True when ``shape`` broadcasts to ``target`` (so a gradient of ``target`` sums back)."""
    if len(shape) > len(target):
        return False
    return all(not (s != t and s != 1) for s, t in zip(reversed(shape), reversed(target)))


def _zeros(like: Any, meta: tuple) -> Tensor:
    xp = _backend.namespace(like._data) if like is not None else _backend.namespace()
    return make(xp.zeros(meta[0], dtype=meta[1]))


class Function:
    """Base class of custom differentiable operations (see the module docstring)."""

    generate_vmap_rule = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. hint: call "
            f"{type(self).__name__}.apply(...) instead of {type(self).__name__}()(...)"
        )

    @staticmethod
    def forward(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple, output: Any) -> None:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def jvp(ctx: FunctionCtx, *grad_inputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD."
        )

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(
                f"{cls.__name__}.apply() takes positional arguments only; hint: pass keyword "
                "values positionally, in forward's order"
            )
        return _apply(cls, args)


def _overrides(cls: type, name: str) -> bool:
    return getattr(cls, name) is not getattr(Function, name)


def _apply(cls: type, args: tuple) -> Any:
    if _VMAP[0] and any(type(a) is BatchedTensor for a in args):
        # Under vmap: once per entry, so forward, backward and jvp see the shapes they were
        # written for, and the graph of each entry is recorded as usual (PyTorch instead asks
        # for a vmap staticmethod or generate_vmap_rule=True)
        from ..ops.batching import loop_call

        return loop_call(f"the custom Function '{cls.__name__}'", _apply_entry(cls), args, {})
    ctx = FunctionCtx()
    tensor_pos = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
    ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
    record = grad_enabled() and any(ctx.needs_input_grad)
    new_style = _overrides(cls, "setup_context")
    token = _GRAD.set(False)
    try:
        output = cls.forward(*args) if new_style else cls.forward(ctx, *args)
    finally:
        _GRAD.reset(token)
    if new_style:
        cls.setup_context(ctx, args, output)
    single = not isinstance(output, tuple)
    outs = [output] if single else list(output)
    dirty = {id(t) for t in ctx._dirty}
    inputs_by_id = {id(args[i]): i for i in tensor_pos}
    for k, o in enumerate(outs):
        if isinstance(o, Tensor) and id(o) in inputs_by_id and id(o) not in dirty:
            # an input returned as it is: the output is a new tensor on the same memory, so the
            # input keeps its own history (as PyTorch's view of it)
            alias = make(o._data)
            alias._vc = o._shared_vc()
            if id(o) in ctx._non_diff:
                ctx._non_diff.add(id(alias))
            outs[k] = alias
    for t in ctx._dirty:
        if t._node is None and t._requires_grad and grad_enabled():
            raise RuntimeError(
                "a leaf Variable that requires grad has been used in an in-place operation. "
                "hint: do the in-place update under `with ndgrad.no_grad():`, or clone() first"
            )
        t._bump_version()
    node = None
    if record:
        nxt = tuple(
            None
            if not args[i]._requires_grad
            else (args[i]._node if args[i]._node is not None else args[i])
            for i in tensor_pos
        )
        node = FunctionNode(cls, ctx, nxt, len(outs))
        node.tensor_pos = tensor_pos
        node.in_meta = tuple((args[i]._data.shape, args[i]._data.dtype) for i in tensor_pos)
        node.out_meta = tuple(
            (o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None for o in outs
        )
        ctx._node_ref = weakref.ref(node)
        if _anomaly.ACTIVE[0]:  # the forward traceback: See Note [Anomaly mode ...]
            _anomaly.on_record(node, [o._data if isinstance(o, Tensor) else None for o in outs])
        for k, o in enumerate(outs):
            if not isinstance(o, Tensor) or id(o) in ctx._non_diff:
                continue
            if not (o.dtype.is_floating_point or o.dtype.is_complex):
                continue
            o._requires_grad = True
            o._node = Output(node, k)
    for o in outs:
        if isinstance(o, Tensor) and id(o) in ctx._non_diff:
            o._requires_grad = False
            o._node = None
    ctx._saved = _pack_saved(ctx._to_save, outs)
    ctx._to_save = ()
    if _fw.ACTIVE[0]:
        _forward_mode(cls, ctx, args, outs)
    return outs[0] if single else tuple(outs)


def _apply_entry(cls: type) -> Callable[..., Any]:
    return lambda *a: _apply(cls, a)


def _pack_saved(tensors: tuple, outs: list) -> tuple:
    """Saved entries with their versions; outputs kept without a cycle (See Note above)."""
    out_ids = {id(o): k for k, o in enumerate(outs) if isinstance(o, Tensor)}
    packed = []
    for t in tensors:
        if t is None:
            packed.append(("none", None, 0))
            continue
        vc = t._vc
        version = 0 if vc is None else vc[0]
        k = out_ids.get(id(t))
        hooks = _saved_hooks.current() if _saved_hooks.ACTIVE[0] else None
        if hooks is not None:  # See Note [Saved-tensor hooks] in _core/saved_hooks.py
            out = k is not None and t._node is not None
            packed.append(("packed", (_saved_hooks.Packed(t, hooks, out), k if out else None), 0))
        elif k is not None and t._node is not None:
            packed.append(("output", (t._data, t._shared_vc(), k), version))
        else:
            packed.append(("input", t, version))
    return tuple(packed)


def _forward_mode(cls: type, ctx: FunctionCtx, args: tuple, outs: list) -> None:
    for level in _fw.open_levels():
        tangents = [_fw.get_tangent(a, level) if isinstance(a, Tensor) else None for a in args]
        if all(t is None for t in tangents):
            continue
        res = cls.jvp(ctx, *tangents)
        if not isinstance(res, tuple):
            res = (res,)
        for o, t in zip(outs, res):
            if t is not None and isinstance(o, Tensor):
                _fw.set_tangent(o, level, t if isinstance(t, Tensor) else to_tensor(t))


class InplaceFunction(Function):
    """PyTorch's base class for Functions that may modify their input in place."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


class _DelayedErrorNode(MultiNode):
    """Backward through the result of a ``once_differentiable`` backward: a clear error."""

    __slots__ = ("what",)

    def __init__(self, nxt: tuple, what: str) -> None:
        super().__init__(nxt, 1)
        self.what = what

    def name(self) -> str:
        return "DelayedError"

    def apply(self, grads: list, create_graph: bool) -> list:
        raise RuntimeError(
            f"trying to differentiate twice a function that was marked with "
            f"@once_differentiable ({self.what}); hint: write its backward in ndgrad ops and "
            "drop @once_differentiable to get higher-order derivatives"
        )


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a ``backward`` that is not itself differentiable: it runs without recording, and a
    higher-order derivative through it raises a clear error instead of a wrong zero."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        token = _GRAD.set(0)
        try:
            outputs = fn(ctx, *args)
        finally:
            _GRAD.reset(token)
        if not grad_enabled():
            return outputs
        needs = [a for a in args if isinstance(a, Tensor) and a._requires_grad]
        if not needs:
            return outputs
        single = not isinstance(outputs, tuple)
        outs = [outputs] if single else list(outputs)
        edges = tuple(a._node if a._node is not None else a for a in needs)
        for k, o in enumerate(outs):
            if isinstance(o, Tensor) and (o.dtype.is_floating_point or o.dtype.is_complex):
                t = make(o._data, True, None)
                t._node = Output(_DelayedErrorNode(edges, fn.__qualname__), 0)
                outs[k] = t
        return outs[0] if single else tuple(outs)

    return wrapper
