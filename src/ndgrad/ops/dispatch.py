"""Dispatch: running a table op and recording its node, the hot path of every op call.

Phases, See Note [One recording path]: unwrap (``_parser`` for the arguments, then Tensors to
backend arrays, the namespace and PyTorch's type promotion), forward, ``record``, ``note_cut``
and ``finish``. ``apply`` is the general path, ``apply_multi`` the one for records with several
outputs; ``_unary_fn`` and ``_binary_fn`` build the NumPy fast paths of one- and two-input ops.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _backend
from .._core import anomaly as _anomaly
from .._core import dtypes as _dt
from .._core import forward_ad as _fw
from .._core import saved_hooks as _saved_hooks
from .._core.batched import VMAP as _VMAP
from .._core.grad_mode import _GRAD, _INFERENCE
from .._core.node import Node, Output, _NodeExt, next_seq
from .._core.tensor import DEBUG as _DEBUG
from .._core.tensor import Tensor, make
from .._core.tensor import cut_site as _cut_site
from .out import write_out

_new = object.__new__
_next_seq = next_seq
_ANOMALY = _anomaly.ACTIVE
_SAVED_HOOKS = _saved_hooks.ACTIVE

if TYPE_CHECKING:
    from .registry import OpDef

_EMPTY: dict = {}
_grad_enabled = _GRAD.get
# vmap: the number of open levels, and the handlers of ops/batching.py (See Note [Batched tensors]).
BATCH_HOOKS: list = [None, None]
_ndarray = np.ndarray
_PY_SCALARS = (int, float, bool, complex)


def to_tensor(a: Any) -> Tensor:
    """A Tensor for ``a``: Tensors as they are, backend arrays wrapped, Python data converted."""
    if isinstance(a, Tensor):
        return a
    if _backend.is_array(a):
        return make(a)
    from .._core.factories import tensor

    return tensor(a)


# --------------------------------------------------------------------------------------------
# Dispatch: the hot path of every op call.


def _promote(op: OpDef, raws: list) -> None:
    """Cast ``raws`` in place to PyTorch's result dtype (only when inputs disagree)."""
    kind = op.promote
    if kind == "binary_tail":  # where(condition, x, y): the condition takes no part
        head = raws[:1]
        tail = raws[1:]
        _promote_list(tail, "binary")
        raws[:] = head + tail
        return
    _promote_list(raws, kind)


def _kind(d: Any) -> str:
    k = getattr(d, "kind", None)
    return k if isinstance(k, str) else _dt.from_np_dtype(d).np.kind


def _promote_list(raws: list, kind: str) -> None:
    if len(raws) == 2:  # fast path: the common binary cases need no casts
        a, b = raws
        ta, tb = type(a), type(b)
        if ta is _ndarray:
            if tb is _ndarray and a.dtype is b.dtype and (kind != "float" or a.dtype.kind in "fc"):
                return
            if (tb is float and a.dtype.kind in "fc") or (tb is int and kind != "float"):
                return
        elif tb is _ndarray and (
            (ta is float and b.dtype.kind in "fc") or (ta is int and kind != "float")
        ):
            return
    if kind == "float":  # int/bool -> default float (sin, exp, div ...)
        for i, r in enumerate(raws):
            if r is not None and not isinstance(r, _PY_SCALARS) and _kind(r.dtype) in "biu":
                raws[i] = _astype(r, _dt.get_default_dtype())
        if len(raws) == 1:
            return
    dts = [r.dtype for r in raws if r is not None and not isinstance(r, _PY_SCALARS)]
    if not dts:
        return
    same = all(d == dts[0] for d in dts)
    has_scalar = any(isinstance(r, _PY_SCALARS) for r in raws)
    if same and (not has_scalar or _kind(dts[0]) in "fc"):
        return
    ops = [r if isinstance(r, _PY_SCALARS) else _Meta(r) for r in raws if r is not None]
    target = _dt.result_type(*ops)
    if kind == "float" and not (target.is_floating_point or target.is_complex):
        target = _dt.get_default_dtype()
    for i, r in enumerate(raws):
        if r is None:
            continue
        if isinstance(r, _PY_SCALARS):
            if target.is_floating_point and not isinstance(r, (float, complex)):
                raws[i] = float(r)
            continue
        if _dt.from_np_dtype(r.dtype) is not target:
            raws[i] = _astype(r, target)


class _Meta:
    __slots__ = ("dtype", "ndim")

    def __init__(self, r: Any) -> None:
        self.dtype = _dt.from_np_dtype(r.dtype)
        self.ndim = r.ndim


def _astype(r: Any, d: _dt.dtype) -> Any:
    if type(r) is _ndarray:
        return r.astype(d.np)
    xp = _backend.namespace(r)
    return xp.astype(r, getattr(xp, d.name))


# Note [One recording path]
# Every call runs in four phases: unwrap (Tensors to backend arrays, the namespace, promotion),
# forward, record, finish. ``apply`` is the general path; ``_unary_fn``/``_binary_fn`` specialise
# unwrap and forward for NumPy data (and work out edges, saves and shapes with fewer checks), but
# every path records through ``record`` (the node and its output) and ends with ``note_cut``
# (why a result that could have had history has none) and ``finish`` (views, forward mode).
# tests/test_recording_paths.py holds the nodes of the fast paths equal to the general path's.


def record(
    op: OpDef, res: Tensor, nxt: Any, pos: int, saved: Any, vers: Any, params: dict, meta: Any
) -> Node:
    """Phase 3: the node of a recorded call; ``res`` becomes its output.

    ``nxt`` is one edge per input, or the bare edge of input ``pos`` when only that one takes a
    gradient (See Note [Bare edges] in node.py); ``meta`` None means every input had the output's
    shape and dtype.
    """
    node = _new(Node)  # Node.__init__, without the call: this runs once per recorded op
    node.op = op
    node.seq = _next_seq()
    node.pos = pos
    node.next = nxt
    node.saved = saved
    node.vers = vers
    node.params = params
    node.meta = meta
    node.x = None
    res._requires_grad = True
    res._node = node
    if op.save_ans:
        node.ans = res._data
        res._vc = node.ans_vc = [0]
    else:
        node.ans = None
        node.ans_vc = None
    if _ANOMALY[0]:  # See Note [Anomaly mode costs nothing when off] in _core/anomaly.py
        _anomaly.on_record(node, (res._data,))
    if _SAVED_HOOKS[0]:  # See Note [Saved-tensor hooks] in _core/saved_hooks.py
        _saved_hooks.pack_node(node, res)
    return node


def note_cut(res: Tensor, mode: Any, recordable: bool, tensors: Sequence[Any]) -> None:
    """Phase 4a: remember why ``res`` has no history, for backward's error message.

    Under a user's ``no_grad()`` (``mode is False``; the engine's own no-grad pass is 0) a result
    that would have been recorded is marked; otherwise the first cut found on an input is
    carried on.
    """
    if recordable and mode is False:
        _mark_cut(res)
        return
    for t in tensors:
        if t is not None and t._ext is not None and t._ext.cut:
            res._x().cut = t._ext.cut
            return


def finish(
    op: OpDef, res: Tensor, args: Sequence[Any], tensors: Sequence[Any], params: dict
) -> None:
    """Phase 4b: a view shares memory and the version counter with its base; forward mode."""
    if op.view:
        src = tensors[0]
        res._vc = src._shared_vc()
        res._base = src._base if src._base is not None else src
    if _fw.ACTIVE[0]:
        _fw.propagate(op, res, args, tensors, params)
        if op.save_ans and res._ext is not None:
            keep_ans_tangents(res._node, (res,))


def keep_ans_tangents(node: Any, outs: Sequence[Any]) -> None:
    """Note [Tangents of saved outputs]: a node keeps its outputs as bare arrays, so the rule of
    ``exp`` (``g * ans``) would read ``ans`` without the tangent forward mode gave the output.
    When outputs carry tangents, the node keeps stand-ins holding them (not the outputs: no
    cycle), and ``unpack`` gives the rule's ``ans`` those tangents: the jvp of a vjp is right."""
    v = node.node if isinstance(node, Output) else node
    if v is None or not hasattr(v, "x"):
        return
    ghosts = []
    for r in outs:
        if r is None or r._ext is None:
            ghosts.append(None)
            continue
        gh = make(r._data)
        _fw.copy_tangents(gh, r)
        ghosts.append(gh)
    if any(g is not None for g in ghosts):
        if v.x is None:
            v.x = _NodeExt()
        v.x.ans_tan = tuple(ghosts)


def _unwrap_forward(op: OpDef, args: Sequence[Any], params: dict) -> tuple:
    """Phases 1 and 2 of the general paths: (raws, tensors, rg, xp, params, forward's result).

    ``tensors[i]`` is argument i as a Tensor (None for Python scalars and None); ``rg``: some
    argument requires grad.
    """
    raws = []
    tensors = []
    rg = False
    xp = None
    for a in args:
        if isinstance(a, Tensor):
            tensors.append(a)
            d = a._data
            raws.append(d)
            if a._requires_grad:
                rg = True
            if xp is None:
                xp = np if type(d) is _ndarray else _backend.namespace(d)
        elif a is None or isinstance(a, _PY_SCALARS):
            tensors.append(None)
            raws.append(a)
        else:
            t = to_tensor(a)
            tensors.append(t)
            raws.append(t._data)
            if xp is None:
                xp = _backend.namespace(t._data)
    if xp is None:
        raise TypeError(
            f"{op.name}(): expected at least one Tensor argument, got "
            f"{', '.join(type(a).__name__ for a in args)}; hint: wrap the data in ndgrad.tensor()"
        )
    if op.prepare is not None:
        params = op.prepare(tensors, params)
    if op.promote is not None:
        _promote(op, raws)
    try:
        out = op.forward(xp, *raws, **params)
    except ValueError as e:
        raise _explain_forward_error(op, e, raws) from e
    return raws, tensors, rg, xp, params, out


def _saved_inputs(op: OpDef, args: Sequence[Any], tensors: list) -> tuple:
    """(saved, versions) of a recorded call: what the rules read, with its versions."""
    save = op.save
    if op.save_for is not None:
        save = _save_positions(op, tensors)
    elif op.variadic and save:  # "inputs": every one of them
        save = tuple(range(len(args)))
    if not save:
        return None, None
    vers = None
    saved = [None] * len(args)
    for i in save:
        t = tensors[i]
        saved[i] = args[i] if t is None else t
        if t is not None and t._vc is not None and t._vc[0]:
            if vers is None:
                vers = [0] * len(args)
            vers[i] = t._vc[0]
    return tuple(saved), vers


def apply(op: OpDef, args: Sequence[Any], params: dict = _EMPTY) -> Tensor:
    """Run ``op`` on ``args`` (Tensors, arrays, scalars, None) and record a Node when needed."""
    if _VMAP[0]:
        r = BATCH_HOOKS[0](op, args, params)
        if r is not NotImplemented:
            return r
    raws, tensors, rg, xp, params, out = _unwrap_forward(op, args, params)
    if type(out) is not _ndarray and xp is np:
        out = np.asarray(out)
    mode = _grad_enabled()
    if rg and op.differentiable:
        if mode:
            if not op.complex:
                _refuse_complex(op, raws, out)
            nxt = []
            meta = []
            for t in tensors:
                if t is None:
                    nxt.append(None)
                    meta.append(None)
                else:
                    nxt.append(
                        t._node if t._node is not None else (t if t._requires_grad else None)
                    )
                    meta.append((t._data.shape, t._data.dtype))
            saved, vers = _saved_inputs(op, args, tensors)
            res = make(out)
            record(op, res, tuple(nxt), -1, saved, vers, params, tuple(meta))
        else:
            res = make(out)
            note_cut(res, mode, True, ())
    else:
        res = make(out)
        note_cut(res, mode, False, tensors)
    finish(op, res, args, tensors, params)
    return res


def _unary_fn(op: OpDef) -> Callable[..., Tensor]:
    """The public function of a one-input op: a NumPy fast path, inlined.

    Anything unusual (another backend, a dtype to promote, a view op) takes ``apply``.
    """
    forward = op.forward
    fast = op.ufunc
    promote = op.promote
    diff = op.differentiable
    save = bool(op.save)
    view = op.view
    cplx = op.complex
    fw_active = _fw.ACTIVE

    def core(a: Any, params: dict) -> Tensor:
        if type(a) is not Tensor:
            return apply(op, (a,), params)
        da = a._data
        if type(da) is not _ndarray or (promote is not None and da.dtype.kind not in "fc"):
            return apply(op, (a,), params)
        if params:
            try:
                out = forward(np, da, **params)
            except ValueError as e:
                raise _explain_forward_error(op, e, [da]) from e
        else:
            out = fast(da) if fast is not None else forward(np, da)
        if type(out) is not _ndarray:
            out = np.asarray(out)
        res = _new(Tensor)
        res._data = out
        res._grad = None
        res._vc = None
        res._base = None
        res._ext = None
        mode = a._requires_grad and diff and _grad_enabled()
        if mode:
            if not cplx and da.dtype.kind == "c":
                raise _complex_error(op)
            if save:
                saved = a  # bare: See Note [Bare edges] in node.py
                vers = None if a._vc is None or not a._vc[0] else (a._vc[0],)
            else:
                saved = vers = None
            meta = (
                None if da.dtype is out.dtype and da.shape == out.shape else ((da.shape, da.dtype),)
            )
            n = a._node
            record(op, res, a if n is None else n, 0, saved, vers, params, meta)
        else:
            res._requires_grad = False
            res._node = None
            if a._ext is not None or (a._requires_grad and diff):
                note_cut(res, _grad_enabled(), a._requires_grad and diff, (a,))
        if view or fw_active[0]:
            finish(op, res, (a,), (a,), params)
        return res

    if op.params:  # sum(x, dim=1), reshape(x, shape=...): parse, then the same fast path
        parse = _parser(op)

        def fn(*args: Any, **kwargs: Any) -> Tensor:
            if kwargs and "out" in kwargs:
                return write_out(op, fn, args, kwargs)
            tens, params = parse(args, kwargs)
            return core(tens[0], params)

        return fn

    def fn1(input: Any, *, out: Tensor | None = None) -> Tensor:
        if out is not None:
            return write_out(op, fn1, (input,), {"out": out})
        return core(input, _EMPTY)

    return fn1


def _cut_of(t: Tensor | None) -> str | None:
    """Why ``t`` does not require grad although it came from one that did (None if unknown)."""
    if t is None or t._ext is None:
        return None
    return t._ext.cut


def _mark_cut(res: Tensor) -> None:
    # the line only in debug or anomaly mode: See Note [Where a cut happened] in _core/tensor.py
    reason = "it was computed under no_grad()"
    if _DEBUG[0] or _ANOMALY[0]:
        reason += _cut_site()
    res._x().cut = reason
    if _INFERENCE.get():
        res._x().inference = True


def _operand(b: Any) -> bool:
    """Whether an operator (``x * b``) takes ``b``: a tensor, a number, an array or a nested
    list; for anything else it returns NotImplemented, so ``b``'s reflected method runs."""
    return isinstance(b, (Tensor, int, float, complex, np.generic, list, tuple)) or (
        _backend.is_array(b)
    )


def _binary_fn(op: OpDef, operator: bool = False) -> Callable[[Any, Any], Tensor]:
    """The public function of a two-input op without params: a NumPy fast path, inlined.

    Tensors on NumPy and Python ints/floats stay here; anything else takes ``apply``. With
    ``operator`` (the ``__mul__`` of Tensor), an operand of another kind gives NotImplemented,
    as PyTorch's operators do; the check is on the slow branch only.
    """
    forward = op.forward
    fast = op.ufunc
    promote = op.promote
    diff = op.differentiable
    save_mask = op.save_mask
    masks = None
    if op.save_for is not None:  # the positions to save, by which inputs take a gradient
        masks = []
        for pattern in range(4):
            want = set()
            for i in (0, 1):
                if pattern >> i & 1:
                    want.update(op.save_for[i])
            masks.append((0 in want, 1 in want) if want else ())
    cplx = op.complex
    fw_active = _fw.ACTIVE

    def fn2(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
        if out is not None:
            return write_out(op, fn2, (input, other), {"out": out})
        a = input
        b = other
        ta = type(a)
        tb = type(b)
        if ta is Tensor:
            da = a._data
            if type(da) is not _ndarray:
                return apply(op, (a, b))
            if tb is Tensor:
                db = b._data
                if type(db) is not _ndarray or (
                    promote is not None and (da.dtype is not db.dtype or da.dtype.kind not in "fc")
                ):
                    return apply(op, (a, b))
                rg = a._requires_grad or b._requires_grad
            elif tb is float or tb is int:
                db = b
                if promote is not None and da.dtype.kind not in "fc":
                    return apply(op, (a, b))
                rg = a._requires_grad
            else:
                if operator and not _operand(b):
                    return NotImplemented
                return apply(op, (a, b))
        elif tb is Tensor and (ta is float or ta is int):
            da = a
            db = b._data
            if type(db) is not _ndarray or (promote is not None and db.dtype.kind not in "fc"):
                return apply(op, (a, b))
            rg = b._requires_grad
        else:
            return apply(op, (a, b))
        try:
            out = fast(da, db) if fast is not None else forward(np, da, db)
        except ValueError:
            return apply(op, (a, b))  # the general path explains the error
        if type(out) is not _ndarray:
            out = np.asarray(out)
        res = _new(Tensor)
        res._data = out
        res._grad = None
        res._vc = None
        res._base = None
        res._ext = None
        mode = rg and diff and _grad_enabled()
        if mode:
            if not cplx and (
                (ta is Tensor and da.dtype.kind == "c") or (tb is Tensor and db.dtype.kind == "c")
            ):
                raise _complex_error(op)
            oshape = out.shape
            odt = out.dtype
            same = True
            if ta is Tensor:
                n = a._node
                ea = n if n is not None else (a if a._requires_grad else None)
                if da.dtype is not odt or da.shape != oshape:
                    same = False
            else:
                ea = None
            if tb is Tensor:
                n = b._node
                eb = n if n is not None else (b if b._requires_grad else None)
                if db.dtype is not odt or db.shape != oshape:
                    same = False
            else:
                eb = None
            if same:
                meta = None
            else:
                meta = (
                    (da.shape, da.dtype) if ta is Tensor else None,
                    (db.shape, db.dtype) if tb is Tensor else None,
                )
            mask = save_mask if masks is None else masks[(ea is not None) + 2 * (eb is not None)]
            vers = None
            if mask:
                saved = (a if mask[0] else None, b if mask[1] else None)
                va = a._vc if ta is Tensor else None
                vb = b._vc if tb is Tensor else None
                if (va is not None and va[0]) or (vb is not None and vb[0]):
                    vers = (0 if va is None else va[0], 0 if vb is None else vb[0])
            else:
                saved = None
            if ea is None:  # one edge: See Note [Bare edges] in node.py
                nxt, pos = eb, 1
            elif eb is None:
                nxt, pos = ea, 0
            else:
                nxt, pos = (ea, eb), -1
            record(op, res, nxt, pos, saved, vers, _EMPTY, meta)
        else:
            res._requires_grad = False
            res._node = None
            ea = a if ta is Tensor else None
            eb = b if tb is Tensor else None
            if (
                (rg and diff)
                or (ea is not None and ea._ext is not None)
                or (eb is not None and eb._ext is not None)
            ):
                note_cut(res, _grad_enabled(), rg and diff, (ea, eb))
        if fw_active[0]:
            finish(
                op, res, (a, b), [a if ta is Tensor else None, b if tb is Tensor else None], _EMPTY
            )
        return res

    return fn2


def _save_positions(op: OpDef, tensors: list) -> tuple:
    """The positions to save when only some inputs need a gradient (``save_for``)."""
    want: set = set()
    sf = op.save_for
    n = len(tensors)
    for i, t in enumerate(tensors):
        if t is not None and t._requires_grad:
            if callable(sf):
                want.update(sf(i, n))
            elif i < len(sf):
                want.update(sf[i])
    return tuple(sorted(want))


def _complex_error(op: OpDef) -> RuntimeError:
    return RuntimeError(
        f"{op.name}: complex inputs are not supported by its derivative yet; hint: detach() the "
        "complex input if its gradient is not needed, or compute on z.real and z.imag with ops "
        "that support complex"
    )


def _refuse_complex(op: OpDef, raws: list, out: Any) -> None:
    """Raise when a node of an op without complex rules would be recorded for complex data."""
    for r in (out, *raws):
        if isinstance(r, complex):
            raise _complex_error(op)
        if r is not None and not isinstance(r, _PY_SCALARS) and _kind(r.dtype) == "c":
            raise _complex_error(op)


def _explain_forward_error(op: OpDef, e: Exception, raws: list) -> Exception:
    shapes = [tuple(r.shape) for r in raws if r is not None and not isinstance(r, _PY_SCALARS)]
    msg = str(e)
    if "broadcast" in msg:
        first = ""
        if len(shapes) == 2:  # PyTorch's message first: the first dimension that disagrees
            n = max(len(shapes[0]), len(shapes[1]))
            a, b = ((1,) * (n - len(sh)) + sh for sh in shapes)
            for d in range(n - 1, -1, -1):
                if a[d] != b[d] and 1 not in (a[d], b[d]):
                    first = (
                        f"The size of tensor a ({a[d]}) must match the size of tensor b ({b[d]}) "
                        f"at non-singleton dimension {d}; "
                    )
                    break
        return RuntimeError(
            f"{first}{op.name}(): the shapes {' and '.join(str(s) for s in shapes)} do not "
            f"broadcast; hint: two dimensions broadcast when they are equal or one of them is 1; "
            "use unsqueeze/reshape to line them up"
        )
    return RuntimeError(f"{op.name}(): {msg} (input shapes {shapes})")


def _parser(op: OpDef) -> Callable[[tuple, dict], tuple[list, dict]]:
    n = len(op.inputs)
    pnames = [p[0] for p in op.params]
    defaults = dict(op.params)
    inames = op.inputs

    if op.variadic:  # fn(*tensors, **params): every positional argument is an input

        def parse_variadic(args: tuple, kwargs: dict) -> tuple[list, dict]:
            params = dict(defaults)
            for k, v in kwargs.items():
                if k not in params:
                    raise TypeError(f"{op.name}() got an unexpected keyword argument '{k}'")
                params[k] = v
            return list(args), params

        return parse_variadic

    def parse(args: tuple, kwargs: dict) -> tuple[list, dict]:
        tens = list(args[:n])
        rest = args[n:]
        if len(rest) > len(pnames):
            raise TypeError(
                f"{op.name}() takes at most {n + len(pnames)} positional arguments but "
                f"{len(args)} were given"
            )
        params = dict(defaults)
        for k, v in zip(pnames, rest):
            params[k] = v
        if kwargs:
            for k, v in kwargs.items():
                if k in params and k not in pnames[: len(rest)]:
                    params[k] = v
                elif k in inames:
                    i = inames.index(k)
                    while len(tens) <= i:
                        tens.append(_MISSING)
                    if tens[i] is not _MISSING:
                        raise TypeError(f"{op.name}() got multiple values for argument '{k}'")
                    tens[i] = v
                else:
                    raise TypeError(f"{op.name}() got an unexpected keyword argument '{k}'")
        while len(tens) < n:
            tens.append(_MISSING)
        for i, t in enumerate(tens):
            if t is _MISSING:
                if i == 0:
                    raise TypeError(f"{op.name}() missing required argument '{inames[0]}'")
                tens[i] = None
        return tens, params

    return parse


_MISSING = object()


# --------------------------------------------------------------------------------------------
# Ops with several outputs. See Note [Outputs of multi-output nodes] in _core/node.py.


def _multi_fn(op: OpDef) -> Callable[..., Any]:
    parse = _parser(op)

    def fn(*args: Any, **kwargs: Any) -> Any:
        tens, params = parse(args, kwargs)
        return apply_multi(op, tens, params)

    return fn


def apply_multi(op: OpDef, args: Sequence[Any], params: dict = _EMPTY) -> Any:
    """Run an op with several outputs and record one ``OpNode`` for all of them."""
    if _VMAP[0]:
        r = BATCH_HOOKS[0](op, args, params)
        if r is not NotImplemented:
            return r
    from .._core.op_node import OpNode

    raws, tensors, rg, xp, params, outs = _unwrap_forward(op, args, params)
    outs = [np.asarray(o) if xp is np and type(o) is not _ndarray else o for o in outs]
    res = [make(o) for o in outs]
    mode = _grad_enabled()
    if rg and op.differentiable and mode:
        if not op.complex:
            _refuse_complex(op, raws, outs[0])
        nxt = tuple(
            None
            if t is None
            else (t._node if t._node is not None else (t if t._requires_grad else None))
            for t in tensors
        )
        meta = tuple(None if t is None else (t._data.shape, t._data.dtype) for t in tensors)
        saved, vers = _saved_inputs(op, args, tensors)
        ans = None
        if op.save_outputs:
            ans = tuple(o if k in op.save_outputs else None for k, o in enumerate(outs))
        ometa = tuple((o.shape, o.dtype) for o in outs)
        node = OpNode(op, nxt, saved, vers, ans, params, meta, ometa)
        vcs: list = [None] * len(outs)
        for k in op.diff_outputs:
            r = res[k]
            r._requires_grad = True
            r._node = Output(node, k)
        for k in op.save_outputs:
            vcs[k] = res[k]._shared_vc()
        node.ans_vc = vcs
        if _ANOMALY[0]:
            _anomaly.on_record(node, outs)
        if _SAVED_HOOKS[0]:
            _saved_hooks.pack_node(node, res)
    elif rg and op.differentiable and mode is False:
        for k in op.diff_outputs:
            _mark_cut(res[k])
    if _fw.ACTIVE[0]:
        _fw.propagate(op, res, args, tensors, params)  # a list of outputs: one tangent each
        if op.save_outputs:
            keep_ans_tangents(next((r._node for r in res if r._node is not None), None), res)
    return op.result(res) if op.result is tuple else op.result(*res)
