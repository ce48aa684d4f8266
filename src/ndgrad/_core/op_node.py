"""How a recorded table op sends gradients back: unpacking saved values, rules, shapes.

The engine's loop (engine.py) pops nodes and routes gradients; what happens inside a table op's
node is here, once: the saved values are unpacked and checked against in-place changes
(See Note [Saved values and versions] in node.py), each input's rule is called, and its result is
summed back to the input's shape and cast to its dtype. ``OpNode`` is the table op's node with
several outputs (``sort``, ``max(x, dim)``, ``svd``...), which runs on the same helpers.
"""

from __future__ import annotations

from typing import Any

from . import forward_ad as _fw
from .node import FREED, OPS, MultiNode, Node, Output, ShapeOnly
from .saved_hooks import Packed, ans_array
from .tensor import Tensor, _version_of, make

__all__ = ["unpack", "rule", "OpNode", "apply_node", "freed_error", "version_error", "NONES", "fit"]


def freed_error(node: Node) -> RuntimeError:
    return RuntimeError(
        "Trying to backward through the graph a second time (or directly access saved tensors "
        "after they have already been freed). Saved intermediate values of the graph are freed "
        "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
        "backward through the graph a second time or if you need to access saved tensors after "
        f"calling backward. (The freed node is {node.name()}.)"
    )


def version_error(node: Node, i: int, t: Tensor, saved: int) -> RuntimeError:
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{t.dtype} tensor of shape {list(t.shape)}], which is input {i} of "
        f"{node.name()}, is at version {_version_of(t)}; expected version {saved} instead. "
        "hint: use the out-of-place op (x = x * 2 rather than x *= 2) or clone() the tensor "
        "before modifying it"
    )


def unbroadcast(r: Tensor, shape: tuple) -> Tensor:
    """Sum ``r`` over the dimensions broadcasting added, back to ``shape``."""
    return OPS.sum_to(r, shape)


def cast(r: Tensor, dt: Any) -> Tensor:
    kind = getattr(dt, "kind", "f")
    if kind in "fc":
        return OPS.cast(r, dt)
    return r


def unpack(v: Node, g: Tensor, create_graph: bool) -> tuple:
    """The arguments and output the rules of ``v`` read, checked against in-place changes."""
    args = unpack_inputs(v, g)
    ans = None
    if v.op.save_ans:
        avc = v.ans_vc
        if avc is not None and avc[0]:
            raise output_version_error(v, 0, v.ans.shape, avc[0])
        ans = make(ans_array(v.ans), create_graph, v if create_graph else None)
        x = v.x
        if x is not None and x.ans_tan is not None:  # See Note [Tangents of saved outputs]
            _fw.copy_tangents(ans, x.ans_tan[0])
    return args, ans


def output_version_error(v: Any, k: int, shape: tuple, version: int) -> RuntimeError:
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [tensor of shape {list(shape)}], which is output {k} of "
        f"{v.name()}, is at version {version}; expected version 0 instead. hint: use the "
        "out-of-place op (y = y + 1 rather than y += 1) or clone() the output first"
    )


def unpack_inputs(v: Any, g: Any) -> Any:
    """The saved inputs of ``v`` (shape-only stubs for the unsaved ones the rules may read)."""
    op = v.op
    saved = v.saved
    if saved is FREED:
        raise freed_error(v)
    meta = v.meta
    if saved is not None:
        if type(saved) is not tuple:  # a unary op saves its input bare
            saved = (saved,)
        vers = v.vers
        i = 0
        stub = packed = False
        for a in saved:
            if isinstance(a, Tensor):
                want = 0 if vers is None else vers[i]
                vc = a._vc
                if (0 if vc is None else vc[0]) != want:
                    raise version_error(v, i, a, want)
            elif a is None:
                stub = True
            elif type(a) is Packed:
                packed = True
            i += 1
        if packed:  # See Note [Saved-tensor hooks] in saved_hooks.py
            saved = _unpack_all(v, saved)
        args = saved
        if stub and op.stubs:
            args = [
                ShapeOnly(_meta(meta, i, g))
                if a is None and (meta is None or meta[i] is not None)
                else a
                for i, a in enumerate(saved)
            ]
    else:
        n = len(op.inputs) if v.pos >= 0 else len(v.next)
        if op.stubs:
            edges = v.edges()
            args = [
                ShapeOnly(_meta(meta, i, g))
                if (meta is None and edges[i] is not None) or (meta is not None and meta[i])
                else None
                for i in range(n)
            ]
        else:
            args = NONES[n] if n < 16 else (None,) * n
    return args


def _unpack_all(v: Any, saved: tuple) -> tuple:
    """The saved inputs with the hooked ones unpacked (their versions are not checked: the
    hooks own them, as in PyTorch)."""
    return tuple(a.tensor() if type(a) is Packed else a for a in saved)


def rule(v: Node, i: int, g: Tensor, ans: Any, args: Any) -> Tensor | None:
    """The gradient for input ``i`` of ``v``, summed back to that input's shape and dtype."""
    op = v.op
    rules = op.vjp
    rule = rules[i] if i < len(rules) else None
    if rule is None:
        raise NotImplementedError(
            f"vjp of '{op.name}' with respect to input {i} is not implemented; hint: "
            f"detach() that input if its gradient is not needed"
        )
    params = v.params
    r = rule(g, ans, *args, **params) if params else rule(g, ans, *args)
    if r is None:  # fit(v, i, r), inlined: this runs for every input of every node
        return None
    if type(r) is not Tensor:
        r = as_tensor(r)
    meta = v.meta
    if meta is not None:
        shape, dt = meta[i]
        d = r._data
        if d.shape != shape:
            r = unbroadcast(r, shape)
        if d.dtype != dt:
            r = cast(r, dt)
    return r


def fit(v: Node, i: int, r: Any) -> Tensor | None:
    """A rule's result for input ``i``, summed back to its shape and cast to its dtype."""
    if r is None:
        return None
    if type(r) is not Tensor:
        r = as_tensor(r)
    meta = v.meta
    if meta is not None:  # None: every input had the output's shape and dtype
        shape, dt = meta[i]
        d = r._data
        if d.shape != shape:
            r = unbroadcast(r, shape)
        if d.dtype != dt:
            r = cast(r, dt)
    return r


NONES = [(None,) * k for k in range(16)]


def as_tensor(r: Any) -> Tensor:
    """A rule's result as a Tensor (rules may return arrays or a Tensor subclass)."""
    if isinstance(r, Tensor):
        return r
    return OPS.to_tensor(r)


def _meta(meta: tuple | None, i: int, g: Tensor) -> tuple:
    """(shape, dtype) of input ``i``; ``meta`` None means: the output's, which ``g`` has."""
    if meta is None:
        return (g._data.shape, g._data.dtype)
    return meta[i]


def apply_node(v: Node, g: Tensor, create_graph: bool) -> list:
    """The protocol's ``apply`` for a table op's node: one gradient per input edge."""
    args, ans = unpack(v, g, create_graph)
    edges = v.edges()
    if v.op.vjp_all is not None:
        rs = v.op.vjp_all(g, ans, *args, **v.params)
        return [None if e is None else fit(v, i, rs[i]) for i, e in enumerate(edges)]
    out = []
    for i, e in enumerate(edges):
        out.append(None if e is None else rule(v, i, g, ans, args))
    return out


class OpNode(MultiNode):
    """The node of a table op with several outputs (``sort``, ``max(x, dim)``, ``svd``...).

    Its rules take one gradient per output (None where none flowed, or zeros when the record
    asks with ``materialize_grads``) and the tuple of outputs: ``rule(grads, ans, *inputs)``.
    ``ometa`` is (shape, dtype) of each output; ``ans`` the outputs the rules read (arrays, or
    None for those not saved) with their version counters in ``ans_vc``.
    """

    __slots__ = ("op", "saved", "vers", "ans", "params", "meta", "ometa", "ans_vc")

    def __init__(
        self,
        op: Any,
        nxt: tuple,
        saved: Any,
        vers: Any,
        ans: tuple | None,
        params: dict,
        meta: tuple,
        ometa: tuple,
    ) -> None:
        super().__init__(nxt, len(ometa))
        self.op = op
        self.saved = saved
        self.vers = vers
        self.ans = ans
        self.params = params
        self.meta = meta
        self.ometa = ometa
        self.ans_vc: list | None = None

    def name(self) -> str:
        return self.op.backward_name

    @property
    def freed(self) -> bool:
        return self.saved is FREED

    def release(self) -> None:
        self.saved = FREED
        self.ans = None

    def apply(self, grads: list, create_graph: bool) -> list:
        op = self.op
        if self.saved is FREED:
            raise freed_error(self)
        first = next((g for g in grads if g is not None), None)
        args = unpack_inputs(self, first)
        ans = None
        if self.ans is not None:
            vcs = self.ans_vc or ()
            outs = []
            for k, a in enumerate(self.ans):
                if a is None:
                    outs.append(None)
                    continue
                a = ans_array(a)
                vc = vcs[k] if k < len(vcs) else None
                if vc is not None and vc[0]:
                    raise output_version_error(self, k, a.shape, vc[0])
                if create_graph and k in op.diff_outputs:  # the output, differentiable again
                    outs.append(make(a, True, Output(self, k)))
                else:
                    outs.append(make(a))
            x = self.x
            if x is not None and x.ans_tan is not None:  # See Note [Tangents of saved outputs]
                for o, gh in zip(outs, x.ans_tan):
                    if o is not None and gh is not None:
                        _fw.copy_tangents(o, gh)
            ans = tuple(outs)
        if op.materialize_grads:
            grads = [g if g is not None else _zeros(first, m) for g, m in zip(grads, self.ometa)]
        gs = tuple(grads)
        params = self.params
        rules = op.vjp
        out = []
        for i, e in enumerate(self.next):
            if e is None:
                out.append(None)
                continue
            r = rules[i] if i < len(rules) else None
            if r is None:
                raise NotImplementedError(
                    f"vjp of '{op.name}' with respect to input {i} is not implemented; hint: "
                    "detach() that input if its gradient is not needed"
                )
            res = r(gs, ans, *args, **params)
            if res is not None:
                if type(res) is not Tensor:
                    res = as_tensor(res)
                shape, dt = self.meta[i]
                d = res._data
                if d.shape != shape:
                    res = unbroadcast(res, shape)
                if d.dtype != dt:
                    res = cast(res, dt)
            out.append(res)
        return out


def _zeros(like: Any, meta: tuple) -> Tensor:
    from .. import _backend

    xp = _backend.namespace(like._data)
    return make(xp.zeros(meta[0], dtype=meta[1]))


def saved_attribute(v: Any, name: str) -> Any:
    """``grad_fn._saved_self``, ``_saved_other``, ``_saved_result``, ``_saved_dim``..., as PyTorch.

    Inputs go by the names of the op's signature (``input`` is PyTorch's ``self``); an input the
    op did not save (it was not needed) is None; ``_raw_saved_*`` gives the same value (ndgrad
    has no separate SavedTensor object); a value saved under saved-tensor hooks is unpacked.
    """
    raw = name.startswith("_raw_saved_")
    key = name[len("_raw_saved_") :] if raw else name[len("_saved_") :]
    op = v.op
    if key == "result":
        if not op.save_ans:
            raise AttributeError(f"'{v.name()}' object has no attribute '{name}'")
        if v.ans is None:
            raise freed_error(v)
        return make(ans_array(v.ans), True, v)
    names = ["self" if n == "input" else n for n in op.inputs]
    if key in names:
        i = names.index(key)
        saved = v.saved
        if saved is FREED:
            raise freed_error(v)
        if saved is None:
            return None
        if type(saved) is not tuple:
            saved = (saved,)
        a = saved[i] if i < len(saved) else None
        return a.tensor() if type(a) is Packed else a
    params = v.params or {}
    if key in params:
        return params[key]
    raise AttributeError(f"'{v.name()}' object has no attribute '{name}'")
