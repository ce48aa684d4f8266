"""The backward engine: ``backward`` and ``grad``, iterative, in reverse creation order.

Algorithm (no recursion anywhere, so a 1,000,000-node chain is fine):

1. Put the roots' gradients in a buffer and their nodes on a heap keyed by sequence number
   (See Note [Sequence numbers] in ``_run``): the largest number is always safe to run next.
2. Pop a node: run its tensor hooks on its summed gradient, call the rule of each input that
   needs a gradient, sum the result back to the input's shape and dtype, and add it to the input's
   buffer (pushing the input's node on the heap the first time it gets one).
3. Unless ``retain_graph``, a Node drops its saved values right after its rules ran
   (See Note [Saved values and versions] in node.py).
4. When the heap is empty, every leaf has its whole gradient: accumulate it into ``.grad`` and run
   the post-accumulate hooks.

Rules run with grad mode set to ``create_graph``: when it is True the backward pass is itself
recorded, which is all that higher-order derivatives need.
"""

from __future__ import annotations

from heapq import heappop, heappush, heappushpop
from sys import getrefcount
from typing import Any

import numpy as np

from .. import _backend
from .grad_mode import _GRAD
from .node import FREED, Node, ShapeOnly
from .tensor import Tensor, _version_of, make

__all__ = ["backward", "grad"]

_ndarray = np.ndarray


def _cut_hint(t: Tensor) -> str:
    reason = None if t._ext is None else t._ext.cut
    if reason:
        fix = (
            "compute it outside the no_grad() block"
            if "no_grad" in reason
            else "use the tensor itself rather than .detach()"
            if "detach" in reason
            else "keep a floating dtype (an integer tensor has no gradient)"
            if "integer" in reason
            else "keep the computation in ndgrad ops"
        )
        return f" The chain from the leaves was cut upstream: {reason}. hint: {fix}."
    return (
        " hint: make sure a leaf has requires_grad=True, and that the chain from it was not cut by "
        "no_grad(), detach(), .item()/.tolist()/.numpy() followed by ndgrad.tensor(...), or a "
        "cast to an integer dtype."
    )


def _as_list(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _roots(outputs: list, grads: list | None, who: str) -> list:
    if grads is None or len(grads) == 0:
        grads = [None] * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(
            f"{who}: got {len(grads)} gradients for {len(outputs)} outputs; hint: pass one "
            "gradient (or None) per output"
        )
    roots = []
    for i, (t, g) in enumerate(zip(outputs, grads)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{who}: outputs must be Tensors, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn."
                + _cut_hint(t)
            )
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; this output has "
                    f"shape {tuple(t.shape)}. hint: pass a gradient of the same shape, e.g. "
                    "y.backward(ndgrad.ones_like(y)) to sum the components, or reduce first: "
                    "y.sum().backward()"
                )
            xp = _backend.namespace(t._data)
            g = make(xp.ones_like(t._data))
        else:
            if not isinstance(g, Tensor):
                from ..ops.registry import to_tensor

                g = to_tensor(g)
            if tuple(g._data.shape) != tuple(t._data.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {t.shape}. hint: the gradient weights each "
                    "component of the output, so it needs the output's shape"
                )
            if g._data.dtype != t._data.dtype and t.dtype.is_floating_point:
                g = g.to(t.dtype)
        roots.append((t._node if t._node is not None else t, g))
    return roots


def _freed_error(node: Node) -> RuntimeError:
    return RuntimeError(
        "Trying to backward through the graph a second time (or directly access saved tensors "
        "after they have already been freed). Saved intermediate values of the graph are freed "
        "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
        "backward through the graph a second time or if you need to access saved tensors after "
        f"calling backward. (The freed node is {node.name()}.)"
    )


def _version_error(node: Node, i: int, t: Tensor, saved: int) -> RuntimeError:
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{t.dtype} tensor of shape {list(t.shape)}], which is input {i} of "
        f"{node.name()}, is at version {_version_of(t)}; expected version {saved} instead. "
        "hint: use the out-of-place op (x = x * 2 rather than x *= 2) or clone() the tensor "
        "before modifying it"
    )


def _unbroadcast(r: Tensor, shape: tuple) -> Tensor:
    """Sum ``r`` over the dimensions broadcasting added, back to ``shape``."""
    rshape = r._data.shape
    lead = len(rshape) - len(shape)
    kept = [lead + i for i, s in enumerate(shape) if s == 1 and rshape[lead + i] != 1]
    if kept:
        r = r.sum(dim=tuple(kept), keepdim=True)
    if lead:  # the leading dimensions go without a reshape (a reshape would be a view)
        r = r.sum(dim=tuple(range(lead)))
    if r._data.shape != shape:
        r = r.reshape(shape)
    return r


def _cast(r: Tensor, dt: Any) -> Tensor:
    from . import dtypes as _dt

    d = _dt.from_np_dtype(dt)
    if d.is_floating_point or d.is_complex:
        return r.to(d)
    return r


def _needed(roots: list, targets: set) -> set:
    """The vertices that lie on a path to a target: the others need not run."""
    seen: set = set()
    stack = [v for v, _ in roots]
    nodes = []
    add = seen.add
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        add(v)
        if type(v) is Node:
            nodes.append(v)
            nxt = v.next
            if v.pos >= 0:
                stack.append(nxt)
            else:
                for e in nxt:
                    if e is not None:
                        stack.append(e)
    need = {v for v in targets if v in seen}
    nodes.sort(key=_seq)  # inputs before outputs: See Note [Sequence numbers]
    for v in nodes:
        if v in need:
            continue
        nxt = v.next
        if v.pos >= 0:
            if nxt in need:
                need.add(v)
        else:
            for e in nxt:
                if e is not None and e in need:
                    need.add(v)
                    break
    return need


def _seq(v: Node) -> int:
    return v.seq


def _run(
    roots: list,
    retain_graph: bool,
    create_graph: bool,
    capture: dict | None,
    accumulate: bool,
    accumulate_only: set | None = None,
) -> dict:
    """Run backward from ``roots``; return {vertex: grad} for the vertices in ``capture``.

    # Note [Sequence numbers]
    Every Node takes a number from one counter when it is made, and its inputs' nodes existed
    before it, so numbers decrease along every path of the graph. Popping the largest number
    first from a heap therefore runs each node after all the nodes that send it a gradient, with
    no pass to count dependencies first. Leaves run last, once the heap is empty, so a leaf's hooks
    see its whole gradient.
    """
    targets = None
    if not accumulate:
        targets = set(capture)
    elif accumulate_only is not None:
        targets = accumulate_only | set(capture or ())
    need = _needed(roots, targets) if targets is not None else None

    buffers: dict = {}
    borrowed = set()
    heap: list = []
    leaves: list = []
    for v, g in roots:
        borrowed.add(id(g._data))
        prev = buffers.get(v)
        if prev is None:
            buffers[v] = g
            if type(v) is Node:
                heappush(heap, (-v.seq, v))
            else:
                leaves.append(v)
        else:
            buffers[v] = prev + g
    captured: dict = {}
    get = buffers.get
    token = _GRAD.set(True if create_graph else 0)
    try:
        carry = None  # the next node when it is the only one pending: no heap round trip
        while heap or carry is not None:
            if carry is None:
                v = heappop(heap)[1]
            elif heap and heap[0][0] < -carry.seq:  # a later node is pending: it goes first
                v = heappushpop(heap, (-carry.seq, carry))[1]
                carry = None
            else:
                v = carry
                carry = None
            g = buffers.pop(v)
            if need is not None and v not in need:
                continue
            x = v.x
            if x is not None:
                if x.hooks:
                    for h in list(x.hooks):
                        r = h(g)
                        if r is not None:
                            g = r
                if x.retain is not None:
                    _retain(x.retain, g, create_graph)
            if capture is not None and v in capture:
                captured[v] = g
            op = v.op
            if v.saved is None and not op.stubs and not op.save_ans:  # add, neg, ...: no unpack
                n = len(op.inputs) if v.pos >= 0 else len(v.next)
                args = _NONES[n] if n < 16 else (None,) * n
                ans = None
            else:
                args, ans = _unpack(v, g, create_graph)
            pos = v.pos
            if pos >= 0:  # one input takes a gradient: ``next`` is its edge
                e = v.next
                if need is None or e in need:
                    rules = op.vjp
                    rule = rules[pos] if pos < len(rules) else None
                    if rule is None or v.meta is not None:
                        r = _rule(v, pos, g, ans, args)
                    else:  # the common case, inline: See _rule
                        params = v.params
                        r = rule(g, ans, *args, **params) if params else rule(g, ans, *args)
                        if r is not None and type(r) is not Tensor:
                            r = _as_tensor(r)
                    if r is not None:
                        prev = get(e)
                        if prev is None:
                            buffers[e] = r
                            if type(e) is Node:
                                if carry is None and not heap:
                                    carry = e
                                else:
                                    heappush(heap, (-e.seq, e))
                            else:
                                leaves.append(e)
                        else:
                            buffers[e] = _add(prev, r, create_graph)
            else:  # the same routing as above, per edge (inlined: this is the hottest loop)
                i = 0
                rules = op.vjp
                plain = v.meta is None and not v.params and len(rules) >= len(v.next)
                for e in v.next:
                    if e is not None and (need is None or e in need):
                        rule = rules[i] if plain else None
                        if rule is None:
                            r = _rule(v, i, g, ans, args)
                        else:  # the common case, inline: See _rule
                            r = rule(g, ans, *args)
                            if r is not None and type(r) is not Tensor:
                                r = _as_tensor(r)
                        if r is not None:
                            prev = get(e)
                            if prev is None:
                                buffers[e] = r
                                if type(e) is Node:
                                    if carry is None and not heap:
                                        carry = e
                                    else:
                                        heappush(heap, (-e.seq, e))
                                else:
                                    leaves.append(e)
                            else:
                                buffers[e] = _add(prev, r, create_graph)
                    i += 1
            if not retain_graph and (v.saved is not None or v.ans is not None):
                v.saved = FREED
                v.ans = None
        for v in leaves:  # leaves that require grad, each with its whole gradient
            g = buffers.pop(v)
            ext = v._ext
            if ext is not None and ext.hooks:
                for h in list(ext.hooks):
                    r = h(g)
                    if r is not None:
                        g = r
            if capture is not None and v in capture:
                captured[v] = g
            if accumulate and (accumulate_only is None or v in accumulate_only):
                _accumulate(v, g, create_graph, borrowed)
                if ext is not None and ext.post_hooks:
                    for h in list(ext.post_hooks):
                        h(v)
    finally:
        _GRAD.reset(token)
    return captured


def _unpack(v: Node, g: Tensor, create_graph: bool) -> tuple:
    """The arguments and output the rules of ``v`` read, checked against in-place changes."""
    op = v.op
    saved = v.saved
    if saved is FREED:
        raise _freed_error(v)
    meta = v.meta
    if saved is not None:
        if type(saved) is not tuple:  # a unary op saves its input bare
            saved = (saved,)
        vers = v.vers
        i = 0
        stub = False
        for a in saved:
            if isinstance(a, Tensor):
                want = 0 if vers is None else vers[i]
                vc = a._vc
                if (0 if vc is None else vc[0]) != want:
                    raise _version_error(v, i, a, want)
            elif a is None:
                stub = True
            i += 1
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
            args = _NONES[n] if n < 16 else (None,) * n
    ans = None
    if op.save_ans:
        avc = v.ans_vc
        if avc is not None and avc[0]:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [tensor of shape {list(v.ans.shape)}], which is output 0 of "
                f"{v.name()}, is at version {avc[0]}; expected version 0 instead. hint: use the "
                "out-of-place op (y = y + 1 rather than y += 1) or clone() the output first"
            )
        ans = make(v.ans, create_graph, v if create_graph else None)
    return args, ans


def _rule(v: Node, i: int, g: Tensor, ans: Any, args: Any) -> Tensor | None:
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
    if r is None:
        return None
    if type(r) is not Tensor:
        r = _as_tensor(r)
    meta = v.meta
    if meta is not None:  # None: every input had the output's shape and dtype
        shape, dt = meta[i]
        d = r._data
        if d.shape != shape:
            r = _unbroadcast(r, shape)
        if d.dtype != dt:
            r = _cast(r, dt)
    return r


_NONES = [(None,) * k for k in range(16)]


def _as_tensor(r: Any) -> Tensor:
    """A rule's result as a Tensor (rules may return arrays or a Tensor subclass)."""
    if isinstance(r, Tensor):
        return r
    from ..ops.registry import to_tensor

    return to_tensor(r)


def _meta(meta: tuple | None, i: int, g: Tensor) -> tuple:
    """(shape, dtype) of input ``i``; ``meta`` None means: the output's, which ``g`` has."""
    if meta is None:
        return (g._data.shape, g._data.dtype)
    return meta[i]


def _add(prev: Tensor, r: Tensor, create_graph: bool) -> Tensor:
    """``prev + r`` for a gradient buffer, in place when nothing else refers to ``prev``.

    The reference counts tell (as PyTorch's use counts do): the buffer, ``_run``'s local and this
    frame hold ``prev``; only ``prev`` holds its array. Anything more (a user's tensor passed
    through by an identity rule, a saved input, a view) and the sum goes to a new array.
    """
    p = prev._data
    d = r._data
    if (
        not create_graph
        and type(p) is _ndarray
        and type(d) is _ndarray
        and p.base is None
        and p.shape == d.shape
        and p.dtype == d.dtype
        and p.flags.writeable
        and getrefcount(prev) <= 4  # the buffer, _run's local, this frame, the call's argument
        and getrefcount(p) <= 3  # prev._data, this local, the call's argument
    ):
        np.add(p, d, out=p)
        return prev
    return prev + r


def _retain(ref: Any, g: Tensor, create_graph: bool) -> None:
    t = ref()
    if t is None:
        return
    if t._grad is None:
        t._grad = g if create_graph else _copy(g)
    else:
        t._grad = t._grad + g


def _copy(g: Tensor) -> Tensor:
    d = g._data
    if type(d) is _ndarray:
        return make(d.copy())
    return make(_backend.namespace(d).asarray(d, copy=True))


def _accumulate(leaf: Tensor, g: Tensor, create_graph: bool, borrowed: set) -> None:
    """Add ``g`` into ``leaf.grad`` (in place when safe, as PyTorch's AccumulateGrad)."""
    if create_graph:
        leaf._grad = g if leaf._grad is None else leaf._grad + g
        return
    if g._requires_grad:
        g = make(g._data)
    cur = leaf._grad
    if cur is None:
        d = g._data
        owned = (
            type(d) is _ndarray and d.base is None and d.flags.writeable and id(d) not in borrowed
        )
        if owned:
            borrowed.add(id(d))
            leaf._grad = g
        else:
            leaf._grad = _copy(g)
            borrowed.add(id(leaf._grad._data))
        return
    cd = cur._data
    if type(cd) is _ndarray and cd.flags.writeable and cd.shape == g._data.shape:
        np.add(cd, g._data, out=cd, casting="unsafe")
    elif cur._requires_grad:
        leaf._grad = make(cur._data + g._data)
    else:
        try:
            cd[...] = cd + g._data
        except (TypeError, ValueError):
            leaf._grad = make(cd + g._data)


# --------------------------------------------------------------------------------------------
# Public entry points (re-exported by ndgrad.autograd).


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves of the graph."""
    outputs = _as_list(tensors)
    grads = _as_list(grad_tensors) if grad_tensors is not None else None
    roots = _roots(outputs, grads, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    only = None
    if inputs is not None:
        ins = _as_list(inputs)
        if not ins:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        only = set()
        for t in ins:
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            if t._node is None:
                only.add(t)
        nonleaf = {t._node: t for t in ins if t._node is not None}
        for t in nonleaf.values():  # non-leaf inputs retain their grad, as in PyTorch
            t.retain_grad()
        _run(roots, retain_graph, create_graph, nonleaf, True, only)
        return
    _run(roots, retain_graph, create_graph, None, True)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple:
    """Return d(outputs)/d(inputs) (weighted by ``grad_outputs``) without touching ``.grad``."""
    outs = _as_list(outputs)
    single = isinstance(inputs, Tensor)
    ins = _as_list(inputs)
    if not ins:
        raise RuntimeError("grad requires non-empty inputs.")
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    grads = _as_list(grad_outputs) if grad_outputs is not None else None
    roots = _roots(outs, grads, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    capture: dict = {}
    for t in ins:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs must be Tensors, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(
                "One of the differentiated Tensors does not require grad; hint: create it with "
                "requires_grad=True or call .requires_grad_() on it"
            )
        capture[t._node if t._node is not None else t] = True
    captured = _run(roots, retain_graph, create_graph, capture, False)
    result = []
    for i, t in enumerate(ins):
        g = captured.get(t._node if t._node is not None else t)
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}, shape {tuple(t.shape)}) "
                    "appears to not have been used in the graph. Set allow_unused=True if this "
                    "is the desired behavior."
                )
            if materialize_grads:
                xp = _backend.namespace(t._data)
                g = make(xp.zeros_like(t._data))
        elif not create_graph and g._requires_grad:
            g = make(g._data)
        result.append(g)
    del single
    return tuple(result)
