"""What the pictures draw: the recorded graph of a tensor, walked once into plain data.

# Note [Walking the graph for pictures]
``build`` starts at the output's ``grad_fn`` and follows ``next_functions`` (the engine's node
contract: ``((node_or_None, output_nr), ...)``, leaves as ``AccumulateGrad`` with ``.variable``)
with an explicit stack, depth first, the first input first, so a 1,000,000-node chain costs no
Python recursion. A node is keyed by the object itself (all of them are held in a list for the
whole walk, so no ``id`` is reused), which makes a shared subgraph, and every output of a
multi-output node (``Output`` in ``_core/node.py``), appear once.

A node records the (shape, dtype) of its inputs, not of its output, unless it saved the output
or has several: so the shapes are pushed down the walk. The output tensor gives the first node's;
a consumer's ``meta[i]`` (None: the input had the consumer's own output shape and dtype) gives the
shape of output ``nr`` of the node on its edge ``i``.

The result (``Model``) holds strings and numbers only, never a node or a tensor: a ``Graph`` kept
in a notebook does not keep the recorded graph (and what it saved) alive.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._core.dtypes import from_np_dtype
from .._core.node import FREED
from .._core.saved_hooks import Packed
from .._core.tensor import Tensor

__all__ = ["Model", "VNode", "build", "frame_names"]

_BACKWARD_SUFFIX = re.compile(r"Backward\d*$")


@dataclass
class VNode:
    """One node of the picture: an op's node, a leaf, or an output without history."""

    name: str  # the grad_fn's name: MulBackward0, AccumulateGrad, ...
    forward_name: str  # the op as the forward pass called it: mul, x, ...
    kind: str  # "op", "leaf" or "const" (an output that records nothing)
    label: str | None = None  # a leaf's name
    outputs: list = field(default_factory=list)  # "[3] float32" per output ("?" when unknown)
    saved: list = field(default_factory=list)  # (key, description) of each saved value
    children: list = field(default_factory=list)  # (child index, output_nr), in input order
    highlight: bool = False


@dataclass
class Model:
    """The walked graph: nodes in depth-first order, the roots, what is highlighted."""

    nodes: list
    roots: list  # (node index, output_nr) per output tensor
    highlight_edges: set  # (parent index, position in parent.children)
    show_saved: bool
    saved_bytes: int = 0  # of the distinct arrays saved, when show_saved
    saved_arrays: int = 0


def fmt_meta(shape: Any, dtype: Any) -> str:
    """``[2, 3] float32``: PyTorch's ``list(shape)`` and the dtype's name."""
    try:
        name = str(from_np_dtype(dtype)).removeprefix("ndgrad.")
    except Exception:  # a backend's dtype ndgrad has no name for
        name = str(dtype)
    return f"[{', '.join(str(int(s)) for s in shape)}] {name}"


def _tensor_meta(t: Tensor) -> str:
    d = t._data
    return fmt_meta(d.shape, d.dtype)


def frame_names(frame: Any) -> dict:
    """``{id(tensor): name}`` for the tensors in a frame's local, then global variables.

    A variable whose value is a module (anything with ``named_parameters()``) names its
    parameters ``var.weight``. Names starting with ``_`` are skipped (``_`` is the REPL's last
    value). The tensors themselves are kept in the dict's values' owner (the frame) while used.
    """
    out: dict = {}
    if frame is None:
        return out
    modules = []
    for scope in (frame.f_locals, frame.f_globals):
        for var, value in list(scope.items()):
            if var.startswith("_"):
                continue
            if isinstance(value, Tensor):
                out.setdefault(id(value), var)
            elif callable(getattr(type(value), "named_parameters", None)):
                modules.append((var, value))
    for var, module in modules:
        try:
            named = list(module.named_parameters())
        except Exception:  # a class, or a module that cannot list its parameters now
            continue
        for pname, p in named:
            out.setdefault(id(p), f"{var}.{pname}")
    return out


def _param_names(params: Any) -> dict:
    if params is None:
        return {}
    items = params.items() if isinstance(params, Mapping) else params
    out = {}
    try:
        for name, t in items:
            if not isinstance(t, Tensor):
                raise TypeError
            out.setdefault(id(t), str(name))
    except (TypeError, ValueError):
        raise TypeError(
            "params must be a dict of name -> tensor (or pairs like model.named_parameters()); "
            "hint: params=dict(model.named_parameters())"
        ) from None
    return out


def _forward_name(obj: Any, name: str) -> str:
    op = getattr(obj, "op", None)
    if op is not None and getattr(op, "name", None):
        return str(op.name)
    fn = getattr(obj, "fn", None)
    if isinstance(fn, type):
        return fn.__name__
    return _BACKWARD_SUFFIX.sub("", name) or name


def _node_name(obj: Any) -> str:
    name = getattr(obj, "name", None)
    if callable(name):
        return str(name())
    return type(obj).__name__


def _own_outputs(obj: Any) -> list | None:
    """The (shape, dtype) strings of a node's outputs, when the node itself knows them."""
    ometa = getattr(obj, "ometa", None) or getattr(obj, "out_meta", None)
    if ometa:
        return [None if m is None else fmt_meta(*m) for m in ometa]
    ans = getattr(obj, "ans", None)
    if ans is not None and type(ans) is not tuple:
        if type(ans) is Packed:
            return None
        if hasattr(ans, "shape") and hasattr(ans, "dtype"):
            return [fmt_meta(ans.shape, ans.dtype)]
    return None


def _input_meta(obj: Any, i: int, own: list) -> str | None:
    """The (shape, dtype) string of input ``i`` of ``obj``, or None when it does not say."""
    meta = getattr(obj, "in_meta", None)
    if meta is None:
        meta = getattr(obj, "meta", None)
        if meta is None and hasattr(obj, "op") and hasattr(obj, "pos"):
            # a table op's node: None means the inputs had the output's shape and dtype
            return own[0] if own else None
    if not meta or i >= len(meta) or meta[i] is None:
        return None
    return fmt_meta(*meta[i])


def _nbytes(a: Any) -> int | None:
    if isinstance(a, Tensor):
        a = a._data
    n = getattr(a, "nbytes", None)
    return None if n is None else int(n)


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


class _Saved:
    """Describes saved values; counts the distinct arrays and their bytes."""

    def __init__(self, names: dict) -> None:
        self.names = names
        self.arrays: dict = {}  # id(array) -> (array, nbytes): held, so ids stay unique

    def _count(self, arr: Any) -> int | None:
        n = _nbytes(arr)
        if n is not None:
            self.arrays.setdefault(id(arr), (arr, n))
        return n

    def describe(self, v: Any) -> str:
        if isinstance(v, Tensor):
            n = self._count(v._data)
            name = self.names.get(id(v))
            text = f"{_tensor_meta(v)}, {n} bytes"
            return f"{text} ({name})" if name else text
        if type(v) is Packed:
            inner = v.value
            n = None
            if isinstance(inner, Tensor):
                n = self._count(inner._data)
            elif hasattr(inner, "nbytes"):
                n = self._count(inner)
            size = "size unknown" if n is None else f"{n} bytes"
            shape = ", ".join(str(s) for s in v.shape)
            return f"[{shape}] packed by saved-tensor hooks as {type(inner).__name__}, {size}"
        if hasattr(v, "shape") and hasattr(v, "dtype") and hasattr(v, "nbytes"):  # an array
            n = self._count(v)
            return f"{fmt_meta(v.shape, v.dtype)}, {n} bytes"
        return _short(v)

    def of(self, obj: Any) -> list:
        """(key, description) of what ``obj`` saved for backward, in PyTorch's names."""
        out: list = []
        ctx = getattr(obj, "ctx", None)
        if ctx is not None and hasattr(ctx, "_saved"):  # a custom Function's node
            return self._of_ctx(ctx)
        op = getattr(obj, "op", None)
        if op is None:
            return out
        saved = getattr(obj, "saved", None)
        if saved is FREED:
            return [("", "freed by backward (call it with retain_graph=True to keep it)")]
        if saved is not None:
            if type(saved) is not tuple:
                saved = (saved,)
            names = ["self" if n == "input" else n for n in getattr(op, "inputs", ())]
            for i, v in enumerate(saved):
                if v is None:
                    continue
                key = names[i] if i < len(names) else f"input{i}"
                out.append((key, self.describe(v)))
        ans = getattr(obj, "ans", None)
        if type(ans) is tuple:
            for k, a in enumerate(ans):
                if a is not None:
                    out.append((f"result{k}", self.describe(a)))
        elif ans is not None:
            out.append(("result", self.describe(ans)))
        for key, v in (getattr(obj, "params", None) or {}).items():
            out.append((key, self.describe(v)))
        return out

    def _of_ctx(self, ctx: Any) -> list:
        out = []
        if not isinstance(ctx._saved, tuple):  # released by backward
            return [("", "freed by backward (call it with retain_graph=True to keep it)")]
        for k, (kind, value, _version) in enumerate(ctx._saved):
            key = f"saved_tensors[{k}]"
            if kind == "none":
                continue
            if kind == "packed":
                out.append((key, self.describe(value[0])))
            elif kind == "output":
                data = value[0]
                n = self._count(data)
                out.append((key, f"{fmt_meta(data.shape, data.dtype)}, {n} bytes (output)"))
            else:
                out.append((key, self.describe(value)))
        skip = {"materialize_grads", "needs_input_grad"}
        for key, v in vars(ctx).items():
            if not key.startswith("_") and key not in skip:
                out.append((f"ctx.{key}", self.describe(v)))
        return out


def _as_roots(t: Any) -> list:
    if isinstance(t, Tensor):
        return [t]
    if isinstance(t, (list, tuple)) and t and all(isinstance(o, Tensor) for o in t):
        return list(t)
    raise TypeError(
        f"expected a Tensor (or a list of tensors) to draw the graph of, got {type(t).__name__}; "
        "hint: pass the output, e.g. ndgrad.viz.to_text(loss)"
    )


def _highlights(highlight: Any) -> list:
    if highlight is None:
        return []
    items = [highlight] if isinstance(highlight, Tensor) else list(highlight)
    for h in items:
        if not isinstance(h, Tensor):
            raise TypeError(
                f"highlight must be a tensor or a list of tensors, got {type(h).__name__}"
            )
    return items


def build(
    t: Any,
    params: Any = None,
    *,
    show_saved: bool = False,
    highlight: Any = None,
    names: Any = "auto",
    frame: Any = None,
) -> Model:
    """Walk the graph of ``t`` (See Note [Walking the graph for pictures])."""
    roots = _as_roots(t)
    marks = _highlights(highlight)
    if names not in ("auto", None, False):
        raise ValueError(f"names must be 'auto' or None, got {names!r}")
    given = _param_names(params)
    nodes: list = []
    objs: list = []  # every object met, held: See Note [Walking the graph for pictures]
    walked: list = []  # the nodes' objects, in node order
    index: dict = {}  # id(obj) -> node index
    leaves: dict = {}  # node index -> leaf tensor
    pending: dict = {}  # id(obj) -> {output_nr: meta string} pushed down by consumers
    edges: list = []  # (parent index, child obj) in the order of parent.children
    root_refs: list = []
    stack: list = []
    for r in roots:
        n = r._node
        if n is None:
            obj = _leaf_object(r)
            nr = 0
        else:
            obj = r.grad_fn
            nr = r.output_nr
        root_refs.append((obj, nr))
        pending.setdefault(id(obj), {}).setdefault(nr, _tensor_meta(r))
    for obj, _ in reversed(root_refs):
        stack.append(obj)
    while stack:
        obj = stack.pop()
        if id(obj) in index:
            continue
        k = len(nodes)
        index[id(obj)] = k
        objs.append(obj)
        walked.append(obj)
        v = _make_node(obj, pending.pop(id(obj), {}), leaves, k)
        nodes.append(v)
        kids = []
        for i, (c, nr) in enumerate(getattr(obj, "next_functions", ()) or ()):
            if c is None:
                continue
            m = _input_meta(obj, i, v.outputs)
            if m is not None and id(c) not in index:
                pending.setdefault(id(c), {}).setdefault(nr, m)
            v.children.append((None, nr))
            edges.append((k, len(v.children) - 1, c))
            objs.append(c)
            kids.append(c)
        for c in reversed(kids):
            if id(c) not in index:
                stack.append(c)
    for k, pos, c in edges:
        _, nr = nodes[k].children[pos]
        nodes[k].children[pos] = (index[id(c)], nr)
    model = Model(
        nodes=nodes,
        roots=[(index[id(o)], nr) for o, nr in root_refs],
        highlight_edges=set(),
        show_saved=show_saved,
    )
    label = dict(frame_names(frame)) if names == "auto" else {}
    label.update(given)
    for k, leaf in leaves.items():
        nodes[k].label = label.get(id(leaf))
        if nodes[k].kind == "leaf" and nodes[k].label:
            nodes[k].forward_name = nodes[k].label
    if show_saved:
        saved = _Saved(label)
        for v, obj in zip(nodes, walked):
            v.saved = saved.of(obj)
        model.saved_arrays = len(saved.arrays)
        model.saved_bytes = sum(n for _, n in saved.arrays.values())
    if marks:
        _mark(model, marks, index, roots)
    return model


def _leaf_object(t: Tensor) -> Any:
    if t._requires_grad:
        from .._core.node import AccumulateGrad

        return AccumulateGrad.of(t)
    return _Const(t)


class _Const:
    """A root that recorded nothing (it does not require grad)."""

    __slots__ = ("variable",)

    def __init__(self, t: Tensor) -> None:
        self.variable = t

    def name(self) -> str:
        return "no grad_fn (requires_grad=False)"

    next_functions = ()


def _make_node(obj: Any, pending: dict, leaves: dict, k: int) -> VNode:
    name = _node_name(obj)
    variable = getattr(obj, "variable", None)
    if isinstance(variable, Tensor):
        leaves[k] = variable
        kind = "const" if isinstance(obj, _Const) else "leaf"
        return VNode(name, "tensor", kind, outputs=[_tensor_meta(variable)])
    outs = _own_outputs(obj)
    if outs is None:
        n = max(getattr(obj, "nout", 1), max(pending, default=0) + 1)
        outs = [pending.get(nr) for nr in range(n)]
    else:
        for nr, m in pending.items():
            if nr < len(outs) and outs[nr] is None:
                outs[nr] = m
    return VNode(name, _forward_name(obj, name), "op", outputs=outs)


def _mark(model: Model, marks: list, index: dict, roots: list) -> None:
    """Highlight every node and edge on a path from a marked tensor to an output."""
    from .._core.node import AccumulateGrad

    targets = []
    for h in marks:
        obj = h.grad_fn if h._node is not None else AccumulateGrad.of(h)
        k = index.get(id(obj)) if h._requires_grad else None
        if k is None:
            raise ValueError(
                f"highlight: the tensor of shape {list(h.shape)} is not in the graph of this "
                "output; hint: pass a leaf (or an intermediate tensor) that the output was "
                "computed from, with requires_grad=True"
            )
        targets.append(k)
    parents: list = [[] for _ in model.nodes]
    for p, v in enumerate(model.nodes):
        for pos, (c, _) in enumerate(v.children):
            parents[c].append((p, pos))
    stack = list(targets)
    on_path = set(targets)
    while stack:
        c = stack.pop()
        for p, pos in parents[c]:
            model.highlight_edges.add((p, pos))
            if p not in on_path:
                on_path.add(p)
                stack.append(p)
    for k in on_path:
        model.nodes[k].highlight = True
