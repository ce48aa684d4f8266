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

import threading
import weakref
from heapq import heappop, heappush, heappushpop
from typing import Any

import numpy as np

from .. import _backend
from . import anomaly as _anomaly
from .forward_ad import copy_tangents as _copy_tangents
from .grad_mode import _GRAD
from .node import FREED, OPS, Node, Output
from .op_node import NONES, as_tensor, fit, output_version_error, unpack_inputs
from .op_node import rule as call_rule
from .saved_hooks import Packed
from .tensor import Tensor, make

__all__ = ["backward", "grad"]

_ndarray = np.ndarray


def _cut_hint(t: Tensor) -> str:
    """The short form of ``ndgrad.explain(t)`` for backward's "does not require grad" error.

    The reason may end in " at FILE:LINE" (See Note [Where a cut happened] in tensor.py).
    """
    reason = None if t._ext is None else t._ext.cut
    if reason:
        fix = (
            "compute it outside the no_grad() block"
            if "no_grad" in reason
            else "use the tensor itself rather than .detach()"
            if reason.startswith("detach")
            else "use the tensor itself rather than .data (its values without history)"
            if reason.startswith(".data")
            else "keep a floating dtype (an integer tensor has no gradient)"
            if "integer" in reason
            else "keep the computation in ndgrad ops"
        )
        where = "" if " at " in reason else " (ndgrad.set_debug(True) adds the line)"
        return (
            f" The chain from the leaves was cut upstream: {reason}. hint: {fix}; "
            f"ndgrad.explain(tensor) says more{where}."
        )
    return (
        " hint: make sure a leaf has requires_grad=True, and that the chain from it was not cut by "
        "no_grad(), detach(), .item()/.tolist()/.numpy() followed by ndgrad.tensor(...), or a "
        "cast to an integer dtype; ndgrad.explain(tensor) says more."
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
            if t.dtype.is_complex:  # a complex output is no loss: which direction would be 1?
                raise RuntimeError(
                    "grad can be implicitly created only for real scalar outputs but got "
                    f"{t.dtype}; hint: reduce it to a real loss first, e.g. z.abs().sum() or "
                    "z.real.sum(), or pass a gradient of the output's shape"
                )
            xp = _backend.namespace(t._data)
            g = make(xp.ones_like(t._data))
        else:
            if not isinstance(g, Tensor):
                g = OPS.to_tensor(g)
            if tuple(g._data.shape) != tuple(t._data.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {t.shape}. hint: the gradient weights each "
                    "component of the output, so it needs the output's shape"
                )
            if g._data.dtype != t._data.dtype and t.dtype.is_floating_point:
                g = OPS.cast(g, t._data.dtype)
        roots.append((t._node if t._node is not None else t, g))
    return roots


def _needed(roots: list, targets: set) -> tuple:
    """The vertices that lie on a path to a target (the others need not run), and the target
    nodes whose rules need not run either (no other target lies beyond them), as PyTorch's
    ``grad`` stops at its inputs."""
    seen: set = set()
    stack = [v for v, _ in roots]
    nodes = []
    outs = []
    add = seen.add
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        add(v)
        t = type(v)
        if t is Output:  # See Note [Outputs of multi-output nodes] in node.py
            outs.append(v)
            stack.append(v.node)
        elif t is Node or not isinstance(v, Tensor):
            nodes.append(v)
            nxt = v.next
            if v.pos >= 0:
                stack.append(nxt)
            else:
                for e in nxt:
                    if e is not None:
                        stack.append(e)
    need = set()
    for v in targets:
        if v in seen:
            need.add(v.node if type(v) is Output else v)
    nodes.sort(key=_seq)  # inputs before outputs: See Note [Sequence numbers]
    for v in nodes:
        if v in need:
            continue
        nxt = v.next
        if v.pos >= 0:  # a bare edge: See Note [Bare edges] in node.py
            if (nxt.node if type(nxt) is Output else nxt) in need:
                need.add(v)
            continue
        for e in nxt:
            if e is not None and (e.node if type(e) is Output else e) in need:
                need.add(v)
                break
    stop = set()
    for v in targets:
        node = v.node if type(v) is Output else v
        if node in need and not isinstance(node, Tensor):
            nxt = node.next
            edges = (nxt,) if node.pos >= 0 else nxt
            if not any(e is not None and (e.node if type(e) is Output else e) in need
                       for e in edges):  # fmt: skip
                stop.add(node)
    for o in outs:
        if o.node in need:
            need.add(o)
    return need, stop


# Note [Reused graphs]
# ``grad(g, x, e_i, retain_graph=True)`` once per row of a Hessian walks the same graph each
# time, and which vertices lie on a path to the inputs cannot change between the calls: a node's
# edges are fixed when it is made (in-place ops make new nodes, they do not rewire old ones). So
# the answer is kept per root node, in a weak dictionary: the entry goes when the root does. It
# must not hold the root itself (that would keep the root, and so the entry, alive for ever), so
# the root is left out of the stored sets and put back on use; the other vertices in them are
# reachable from the root anyway, so keeping them adds no lifetime. The inputs are keyed by weak
# references too.
_NEEDED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _needed_reused(roots: list, targets: set, retain_graph: bool) -> tuple:
    """``_needed``, remembered for a single root of a retained graph. See Note [Reused graphs]."""
    root = roots[0][0] if len(roots) == 1 else None
    if not retain_graph or type(root) is not Node or any(type(t) is Output for t in targets):
        return _needed(roots, targets)
    key = frozenset(weakref.ref(t) for t in targets)
    hit = _NEEDED.get(root)
    if hit is not None and hit[0] == key:
        _, need, stop, in_need, in_stop = hit
        if in_need:
            need = need | {root}
        if in_stop:
            stop = stop | {root}
        return need, stop
    need, stop = _needed(roots, targets)
    _NEEDED[root] = (key, need - {root}, stop - {root}, root in need, root in stop)
    return need, stop


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
    Every node takes a number from one counter when it is made, and its inputs' nodes existed
    before it, so numbers decrease along every path of the graph. Popping the largest number
    first from a heap therefore runs each node after all the nodes that send it a gradient, with
    no pass to count dependencies first. Leaves run last, once the heap is empty, so a leaf's hooks
    see its whole gradient.

    # Note [Gradient buffers the engine owns]
    A buffer may be summed in place only if nothing outside the engine can see its array. The
    engine knows which buffers it allocated itself: the sums ``_add`` made (``owned``). A rule's
    result may alias the incoming gradient, a user's tensor or a saved value (identity rules
    return ``g`` itself), so it is never written; an owned buffer stops being owned the moment it
    is handed to hooks and rules (popped).
    """
    targets = None
    if not accumulate:
        targets = set(capture)
    elif accumulate_only is not None:
        targets = accumulate_only | set(capture or ())
    need, stop = (
        _needed_reused(roots, targets, retain_graph) if targets is not None else (None, None)
    )

    buffers: dict = {}
    owned: set = set()  # See Note [Gradient buffers the engine owns]
    borrowed = set()
    heap: list = []
    leaves: list = []
    pending: set = set()  # multi-output nodes already on the heap
    for v, g in roots:
        borrowed.add(id(g._data))
        prev = buffers.get(v)
        if prev is None:
            buffers[v] = g
            _schedule(v, heap, leaves, pending)
        else:
            buffers[v] = _add(prev, g, create_graph, owned)
    captured: dict = {}
    get = buffers.get
    token = _GRAD.set(True if create_graph else 0)
    anomaly = _anomaly.ACTIVE[0] and _anomaly.is_anomaly_enabled()  # See Note [Anomaly mode ...]
    atoken = _anomaly.enter_backward(None) if anomaly else None
    v = None
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
            if anomaly:
                _anomaly.enter_backward(v)
            if type(v) is not Node:  # a node of several outputs, or a custom Function's
                res = _run_multi(v, buffers, owned, need, stop, capture, captured, create_graph)
                if anomaly:
                    for k, r in enumerate(res):
                        _anomaly.check_nan(v, k, r)
                pending.discard(v)
                for e, r in zip(v.next, res):
                    if r is not None and e is not None and (need is None or e in need):
                        prev = get(e)
                        if prev is None:
                            buffers[e] = r
                            _schedule(e, heap, leaves, pending)
                        else:
                            buffers[e] = _add(prev, r, create_graph, owned)
                if not retain_graph:
                    v.release()
                continue
            g = buffers.pop(v)
            if need is not None and v not in need:
                continue
            if owned:
                owned.discard(g)
            x = v.x
            if x is not None:
                if x.hooks:
                    g = _run_hooks(x.hooks, g)
                if x.retain is not None:
                    _retain(x.retain, g, create_graph)
            if capture is not None and v in capture:
                captured[v] = g
            if stop and v in stop:  # a target with nothing needed beyond it
                continue
            op = v.op
            if v.saved is None and not op.stubs and not op.save_ans:  # add, neg, ...: no unpack
                n = len(op.inputs) if v.pos >= 0 else len(v.next)
                args = NONES[n] if n < 16 else (None,) * n
                ans = None
            else:  # unpack, inlined: See op_node.unpack
                args = unpack_inputs(v, g)
                ans = None
                if op.save_ans:
                    avc = v.ans_vc
                    if avc is not None and avc[0]:
                        raise output_version_error(v, 0, v.ans.shape, avc[0])
                    a = v.ans
                    if type(a) is Packed:  # See Note [Saved-tensor hooks] in saved_hooks.py
                        a = a.array()
                    ans = make(a, create_graph, v if create_graph else None)
                    x = v.x
                    if x is not None and x.ans_tan is not None:
                        _copy_tangents(ans, x.ans_tan[0])  # Note [Tangents of saved outputs]
            pos = v.pos
            if pos >= 0:  # one input takes a gradient: ``next`` is its edge
                e = v.next
                if need is None or e in need:
                    rules = op.vjp
                    rule = rules[pos] if pos < len(rules) else None
                    if rule is None or v.meta is not None:
                        r = call_rule(v, pos, g, ans, args)
                    else:  # the common case, inline: See op_node.rule
                        params = v.params
                        r = rule(g, ans, *args, **params) if params else rule(g, ans, *args)
                        if r is not None and type(r) is not Tensor:
                            r = as_tensor(r)
                    if anomaly:
                        _anomaly.check_nan(v, pos, r)
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
                                _schedule(e, heap, leaves, pending)
                        else:
                            buffers[e] = _add(prev, r, create_graph, owned)
            else:  # the same routing as above, per edge (inlined: this is the hottest loop)
                i = 0
                rules = op.vjp
                plain = v.meta is None and not v.params and len(rules) >= len(v.next)
                every = None
                if op.vjp_all is not None:  # cat, stack: every input's gradient in one call
                    every = op.vjp_all(g, ans, *args, **v.params)
                    plain = False
                for e in v.next:
                    if e is not None and (need is None or e in need):
                        rule = rules[i] if plain else None
                        if every is not None:
                            r = fit(v, i, every[i])
                        elif rule is None:
                            r = call_rule(v, i, g, ans, args)
                        else:  # the common case, inline: See op_node.rule
                            r = rule(g, ans, *args)
                            if r is not None and type(r) is not Tensor:
                                r = as_tensor(r)
                        if anomaly:
                            _anomaly.check_nan(v, i, r)
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
                                    _schedule(e, heap, leaves, pending)
                            else:
                                buffers[e] = _add(prev, r, create_graph, owned)
                    i += 1
            if not retain_graph and (v.saved is not None or v.ans is not None):
                v.saved = FREED
                v.ans = None
        for v in leaves:  # leaves that require grad, each with its whole gradient
            g = buffers.pop(v)
            ext = v._ext
            if ext is not None and ext.hooks:
                g = _run_hooks(ext.hooks, g)
            if capture is not None and v in capture:
                captured[v] = g
            if accumulate and (accumulate_only is None or v in accumulate_only):
                _accumulate(v, g, create_graph, borrowed)
                if ext is not None and ext.post_hooks:
                    for h in list(ext.post_hooks):
                        h(v)
    except Exception as exc:
        if anomaly and v is not None and not isinstance(v, Tensor):
            _anomaly.annotate(exc, v)
        raise
    finally:
        _GRAD.reset(token)
        if atoken is not None:
            _anomaly.exit_backward(atoken)
    return captured


def _schedule(e: Any, heap: list, leaves: list, pending: set) -> None:
    """Put a vertex that just got its first gradient where the loop will find it."""
    t = type(e)
    if t is Node:
        heappush(heap, (-e.seq, e))
    elif t is Output:  # the buffer is per output; the node goes on the heap once
        node = e.node
        if node not in pending:
            pending.add(node)
            heappush(heap, (-node.seq, node))
    else:
        leaves.append(e)


def _run_multi(
    v: Any,
    buffers: dict,
    owned: set,
    need: set | None,
    stop: set | None,
    capture: dict | None,
    captured: dict,
    create_graph: bool,
) -> Any:
    """Gather one gradient per output of ``v``, run its hooks; return ``v.apply``'s gradients."""
    grads = []
    outx = v.outx
    for k in range(v.nout):
        o = Output(v, k)
        g = buffers.pop(o, None)
        if g is not None:
            owned.discard(g)
            x = outx[k]
            if x is not None:
                if x.hooks:
                    g = _run_hooks(x.hooks, g)
                if x.retain is not None:
                    _retain(x.retain, g, create_graph)
            if capture is not None and o in capture:
                captured[o] = g
        grads.append(g)
    if (need is not None and v not in need) or (stop and v in stop):
        return ()
    pre = None if v.x is None else v.x.hooks
    if pre:
        for h in list(pre):
            r = h(tuple(grads))
            if r is not None:
                grads = list(r)
    return v.apply(grads, create_graph)


def _run_hooks(hooks: list, g: Tensor) -> Tensor:
    """Run tensor hooks in order; a returned tensor replaces the gradient (checked as PyTorch)."""
    for h in list(hooks):
        r = h(g)
        if r is not None:
            if not isinstance(r, Tensor):
                raise TypeError(
                    f"expected Variable, but hook returned '{type(r).__name__}'; hint: a hook "
                    "returns a tensor that replaces the gradient, or None to keep it"
                )
            if r._data.shape != g._data.shape:
                raise RuntimeError(
                    f"hook '{_hook_name(h)}' has changed the size of value: the gradient has "
                    f"shape {tuple(g.shape)} but the hook returned shape {tuple(r.shape)}; "
                    "hint: return a tensor of the gradient's shape"
                )
            if r._data.dtype != g._data.dtype:
                raise RuntimeError(
                    f"hook '{_hook_name(h)}' has changed the type of value (was {g.dtype} got "
                    f"{r.dtype}); hint: return a tensor of the gradient's dtype, e.g. "
                    f"r.to({g.dtype})"
                )
            g = r
    return g


def _hook_name(h: Any) -> str:
    return getattr(h, "__name__", type(h).__name__)


def _add(prev: Tensor, r: Tensor, create_graph: bool, owned: set) -> Tensor:
    """``prev + r`` for a gradient buffer: in place into a buffer the engine owns.

    See Note [Gradient buffers the engine owns] in ``_run``.
    """
    if not create_graph:
        p = prev._data
        d = r._data
        if (
            prev in owned
            and type(p) is _ndarray
            and type(d) is _ndarray
            and p.shape == d.shape
            and p.dtype == d.dtype
        ):
            np.add(p, d, out=p)
            return prev
        s = OPS.add(prev, r)
        owned.add(s)
        return s
    return OPS.add(prev, r)


def _retain(ref: Any, g: Tensor, create_graph: bool) -> None:
    t = ref()
    if t is None:
        return
    if t._grad is None:
        t._grad = g if create_graph else _copy(g)
    else:
        t._grad = OPS.add(t._grad, g)


def _copy(g: Tensor) -> Tensor:
    d = g._data
    if type(d) is _ndarray:
        return make(d.copy())
    return make(_backend.namespace(d).asarray(d, copy=True))


_ACCUMULATE_LOCK = threading.Lock()


def _accumulate(leaf: Tensor, g: Tensor, create_graph: bool, borrowed: set) -> None:
    """Add ``g`` into ``leaf.grad`` (in place when safe, as PyTorch's AccumulateGrad).

    Atomic per call: backward passes in several threads that share a leaf never lose an update.
    """
    with _ACCUMULATE_LOCK:
        if create_graph:
            leaf._grad = g if leaf._grad is None else OPS.add(leaf._grad, g)
            return
        if g._requires_grad:
            g = make(g._data)
        cur = leaf._grad
        if cur is None:
            d = g._data
            owned = (
                type(d) is _ndarray
                and d.base is None
                and d.flags.writeable
                and id(d) not in borrowed
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
    """Return d(outputs)/d(inputs) (weighted by ``grad_outputs``) without touching ``.grad``.

    ``is_grads_batched=True``: each of ``grad_outputs`` carries a leading batch dimension; the
    result is one vector-Jacobian product per batch entry, stacked along a new first dimension
    (one backward pass per entry).
    """
    if not only_inputs:
        import warnings

        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To "
            "accumulate gradient for other parts of the graph, please use "
            "torch.autograd.backward.",
            FutureWarning,
            stacklevel=2,
        )
    if is_grads_batched:
        return _batched_grad(
            outputs,
            inputs,
            grad_outputs,
            retain_graph,
            create_graph,
            allow_unused,
            materialize_grads,
        )
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
            raise RuntimeError(
                f"all inputs have to be Tensors or GradientEdges, but got {type(t).__name__}; "
                "hint: pass the tensors to differentiate with respect to, e.g. grad(y, [x, w])"
            )
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


def _batched_grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any,
    retain_graph: bool | None,
    create_graph: bool,
    allow_unused: bool | None,
    materialize_grads: bool,
) -> tuple:
    """``grad(..., is_grads_batched=True)``: one backward per batch entry, results stacked."""
    gos = _as_list(grad_outputs)
    if not gos or any(g is None for g in gos):
        raise RuntimeError(
            "grad: is_grads_batched=True needs a batched gradient for every output; hint: pass "
            "grad_outputs whose first dimension is the batch"
        )
    gos = [g if isinstance(g, Tensor) else OPS.to_tensor(g) for g in gos]
    sizes = {int(g.shape[0]) if g.ndim else -1 for g in gos}
    if len(sizes) != 1 or -1 in sizes:
        raise RuntimeError(
            "grad: with is_grads_batched=True every grad_output needs the same leading batch "
            f"dimension; got shapes {[tuple(g.shape) for g in gos]}"
        )
    (n,) = sizes
    keep = create_graph if retain_graph is None else retain_graph
    rows = []
    for b in range(n):
        row = grad(
            outputs,
            inputs,
            [make(g._data[b]) if not g._requires_grad else g[b] for g in gos],
            retain_graph=True if b < n - 1 else keep,
            create_graph=create_graph,
            allow_unused=allow_unused,
            materialize_grads=materialize_grads,
        )
        rows.append(row)
    out = []
    for k in range(len(rows[0]) if rows else 0):
        col = [r[k] for r in rows]
        out.append(None if any(c is None for c in col) else OPS.stack(col))
    return tuple(out)
