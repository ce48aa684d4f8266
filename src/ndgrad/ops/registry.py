"""The op table: ``def_op`` declares an op once; ``apply`` runs it and records the graph.

An op record (``OpDef``) holds everything the rest of ndgrad needs to know about one operation:

* ``forward(xp, *arrays, **params)``: the only code that touches backend arrays;
* ``vjp``: one rule per tensor input, ``rule(g, ans, *inputs, **params) -> Tensor``, written in
  ndgrad ops so that differentiating the backward pass (``create_graph=True``) needs nothing more;
* ``jvp``: a callable ``jvp(tangents, ans, *inputs, **params) -> Tensor | None`` (``tangents``:
  one per input, None where that input has no tangent; ``inputs``: the primals) or a shortcut:
  ``"elementwise"`` (the Jacobian is diagonal, so the vjp rules applied to the tangents give the
  jvp), ``"linear"`` (the op applied to the tangents), ``"bilinear"`` (the op with one input
  replaced by its tangent, summed over inputs). ``def_op`` turns either into one such callable
  (``ops._jvp.jvp_rule``, which also broadcasts and casts the tangent to the output), stored as
  ``OpDef.jvp``; forward mode only calls it, once per open dual level;
* ``samples(rng, dtype)``: inputs that drive the generic tests, with ``ref`` (a NumPy reference
  forward) and ``torch`` (the PyTorch function to compare with).

The engine sums every gradient back to its input's shape and dtype, so rules never unbroadcast.
"""

from __future__ import annotations

import dataclasses
from collections import namedtuple
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core import forward_ad as _fw
from .._core.grad_mode import _GRAD, _INFERENCE
from .._core.node import Node, Output, next_seq
from .._core.tensor import Tensor, make
from ._jvp import jvp_rule

_new = object.__new__
_next_seq = next_seq

__all__ = [
    "OpDef",
    "def_op",
    "apply",
    "TABLE",
    "Sample",
    "attach_method",
    "apply_inplace",
    "to_tensor",
]

TABLE: dict[str, OpDef] = {}
_EMPTY: dict = {}
_grad_enabled = _GRAD.get
_ndarray = np.ndarray
_PY_SCALARS = (int, float, bool, complex)


@dataclasses.dataclass
class Sample:
    """One test input of an op: positional ``args`` (NumPy arrays become tensors) and ``kwargs``.

    ``grad`` names the positions to differentiate (default: every floating array).
    """

    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    grad: tuple | None = None
    name: str = ""


@dataclasses.dataclass(eq=False)
class OpDef:
    name: str
    forward: Callable[..., Any]
    vjp: tuple
    jvp: Any
    inputs: tuple
    params: tuple
    save: tuple  # positions of inputs the rules read; "ans" saved when save_ans
    save_ans: bool
    promote: str | None
    differentiable: bool
    view: bool
    samples: Callable[..., list] | None
    ref: Callable[..., Any] | None
    torch: Any
    backward_name: str
    fn: Callable[..., Any] | None = None
    tol: dict | None = None
    second_order: bool = True
    fwd_check: bool = True
    doc: str = ""
    stubs: bool = True  # rules read the shape/dtype of inputs they did not save
    ufunc: Callable[..., Any] | None = None  # NumPy fast path: ufunc(*arrays) == forward(np, ...)
    save_mask: tuple = ()
    save_for: Any = None  # per input: the positions its rule reads (saves less); or a callable
    variadic: bool = False  # any number of tensor inputs (cat, stack, einsum)
    vjp_all: Callable[..., Any] | None = None  # every input's gradient in one call
    prepare: Callable[..., dict] | None = None  # params derived from the inputs, once per call
    complex: bool = False  # its rules follow PyTorch's complex convention (conjugate Wirtinger)
    outputs: tuple = ()  # names of the outputs of an op with several (``("values", "indices")``)
    diff_outputs: tuple = ()  # positions of the differentiable ones
    save_outputs: tuple = ()  # positions of the outputs its rules read
    materialize_grads: bool = False  # its rules want zeros, not None, for outputs without a grad
    result: Any = None  # the namedtuple class the public function returns


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


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


def apply(op: OpDef, args: Sequence[Any], params: dict = _EMPTY) -> Tensor:
    """Run ``op`` on ``args`` (Tensors, arrays, scalars, None) and record a Node when needed."""
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
            save = op.save
            if op.save_for is not None:
                save = _save_positions(op, tensors)
            elif op.variadic and save:  # "inputs": every one of them
                save = tuple(range(len(args)))
            vers = None
            if save:
                saved = [None] * len(args)
                for i in save:
                    t = tensors[i]
                    saved[i] = args[i] if t is None else t
                    if t is not None and t._vc is not None and t._vc[0]:
                        if vers is None:
                            vers = [0] * len(args)
                        vers[i] = t._vc[0]
                saved = tuple(saved)
            else:
                saved = None
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
    res._x().cut = "it was computed under no_grad()"
    if _INFERENCE.get():
        res._x().inference = True


def _binary_fn(op: OpDef) -> Callable[[Any, Any], Tensor]:
    """The public function of a two-input op without params: a NumPy fast path, inlined.

    Tensors on NumPy and Python ints/floats stay here; anything else takes ``apply``.
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
        return RuntimeError(
            f"{op.name}(): the shapes {' and '.join(str(s) for s in shapes)} do not broadcast "
            f"({msg}); hint: two dimensions broadcast when they are equal or one of them is 1; "
            "use unsqueeze/reshape to line them up"
        )
    return RuntimeError(f"{op.name}(): {msg} (input shapes {shapes})")


# --------------------------------------------------------------------------------------------
# In-place ops.


def _check_inplace(self: Tensor, what: str) -> None:
    if not _grad_enabled():
        return
    if self._node is None and self._requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation "
            f"({what}). hint: update parameters inside `with ndgrad.no_grad():`, or through "
            "x.data, e.g. x.data -= lr * x.grad"
        )
    base = self._base
    if base is not None and base._node is None and base._requires_grad:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            f"operation ({what}). hint: do the update under `with ndgrad.no_grad():` or on a "
            "clone()"
        )


def _check_view_write(self: Tensor, args: Sequence[Any]) -> None:
    """PyTorch's refusal of a recorded in-place write through a view made in no-grad mode.

    Such a view has no history of its own (it was made under ``no_grad()``, or by a backward pass
    without ``create_graph=True``), so whether the write should reach its base is ambiguous.
    See Note [Views and in-place writes] in views.py.
    """
    base = self._base
    if base is None or not _grad_enabled():
        return
    e = self._ext
    vo = None if e is None else e.view_of
    creation = "backward" if vo is None else vo[2]
    if creation is None:
        return
    if not (
        self._requires_grad
        or base._requires_grad
        or any(isinstance(a, Tensor) and a._requires_grad for a in args)
    ):
        return
    tail = (
        "is being modified inplace with grad mode enabled. Given that this use case is ambiguous "
        "and error-prone, it is forbidden. You can clarify your code by moving both the view and "
        "the inplace either both inside the no_grad block (if you don't want the inplace to be "
        "tracked) or both outside (if you want the inplace to be tracked)."
    )
    if creation == "parent":
        name = TABLE[vo[1][-1][0]].backward_name.removesuffix("Backward0")
        msg = f"Output 0 of {name} is a view of a view which was created in no_grad mode and {tail}"
    else:
        msg = f"A view was created in no_grad mode and {tail}"
    if creation == "backward":
        msg += (
            " hint: this view was made by a backward pass that ran without create_graph=True "
            "(in no-grad mode); clone() it before writing into it"
        )
    else:
        msg += " hint: or write into a clone() of the view"
    raise RuntimeError(msg)


def _set_history(t: Tensor, node: Any) -> None:
    """Give ``t`` the node of its new value after an in-place write.

    A ``retain_grad()`` moves to the new node, as in PyTorch (the old value's node no longer
    retains); tensor hooks stay where they were registered, so they see the gradient of the
    value the tensor had then (PyTorch 2's rule too).
    """
    old = t._node
    t._node = node
    e = t._ext
    if e is None or not e.retains_grad or old is node:
        return
    if old is not None:
        x = old._ext()
        ref = x.retain
        if ref is not None and ref() is t:
            x.retain = None
    if node is not None:
        import weakref  # only on this rare path

        node._ext().retain = weakref.ref(t)


def _internal_overlap(a: Any) -> bool:
    """True when two elements of array ``a`` share one memory location (a stride 0 over a dim
    of size > 1, as ``expand()`` makes): PyTorch's ``has_internal_overlap``."""
    strides = getattr(a, "strides", None)
    if strides is None:  # a backend that does not say: nothing to check
        return False
    return any(st == 0 and n > 1 for st, n in zip(strides, a.shape))


def overlap_error() -> RuntimeError:
    return RuntimeError(
        "unsupported operation: more than one element of the written-to tensor refers to a "
        "single memory location. Please clone() the tensor before performing the operation. "
        "hint: expand() repeats elements without copying them; write into a copy, e.g. "
        "x.expand(2, 3).clone(), or write into the tensor that was expanded"
    )


def _writeable_alias(self: Tensor, what: str) -> Any:
    """A writeable array on ``self``'s read-only memory (a view of an ``expand()`` view whose
    elements do not overlap); PyTorch's error when its elements overlap."""
    if _internal_overlap(self._data):
        raise overlap_error()
    alias = _VIEW_REBASE.get("alias")
    w = None if alias is None else alias(self)
    if w is None:
        raise RuntimeError(
            f"{what}: the tensor's memory is read-only (a read-only NumPy array, or an expand() "
            "view made where ndgrad does not track views); hint: clone() it before writing"
        )
    return w


def write_into(self: Tensor, new: Any, what: str) -> None:
    """Write array ``new`` into ``self``'s memory (its views see it), with PyTorch's checks."""
    old = self._data
    if tuple(new.shape) != tuple(old.shape):
        raise RuntimeError(
            f"{what}: output with shape {list(old.shape)} doesn't match the broadcast shape "
            f"{list(new.shape)}; hint: an in-place op cannot change its tensor's shape, use the "
            "out-of-place form"
        )
    if new.dtype != old.dtype:
        src, dst = _dt.from_np_dtype(new.dtype), _dt.from_np_dtype(old.dtype)
        if not np.can_cast(src.np, dst.np, casting="same_kind"):
            raise RuntimeError(
                f"{what}: result type {src.name} can't be cast to the desired output type "
                f"{dst.name}; hint: convert the tensor first, e.g. x = x.to(ndgrad.{src.name})"
            )
    if type(old) is _ndarray and not old.flags.writeable:
        if old.size == 0:
            return
        old = _writeable_alias(self, what)
    try:
        if type(old) is _ndarray:
            np.copyto(old, new, casting="unsafe")
        else:
            old[...] = new
    except (ValueError, TypeError):  # immutable arrays (backends without in-place writes)
        self._data = _astype(new, _dt.from_np_dtype(old.dtype)) if new.dtype != old.dtype else new


def apply_inplace(op: OpDef, self: Tensor, args: Sequence[Any], params: dict = _EMPTY) -> Tensor:
    """``self.op_(*args)``: compute out of place, write into ``self``, rewrite its history."""
    what = f"{op.name}_()"
    if self._base is not None and op.differentiable:
        _check_view_write(self, args)
    _check_inplace(self, what)
    recording = _grad_enabled() and op.differentiable
    fw = _fw.ACTIVE[0]
    if (
        not fw
        and len(args) == 1
        and not params
        and (
            not recording or not (self._requires_grad or getattr(args[0], "_requires_grad", False))
        )
    ):
        ufunc = _UFUNC_INPLACE.get(op.name)
        if ufunc is not None and _ufunc_inplace(ufunc, self, args[0]):
            if self._requires_grad or self._base is not None:
                _refresh_views(self)
            return self
    old = self
    if fw or (
        recording
        and (self._requires_grad or any(isinstance(a, Tensor) and a._requires_grad for a in args))
    ):
        # ``old`` stands for self's value before the write, with self's history (and tangent).
        data = self._data
        if 0 in op.save or (op.save_for and any(0 in p for p in op.save_for)):
            data = _backend.namespace(data).asarray(data, copy=True)
        rg, node = self._requires_grad, self._node
        if self._base is not None and recording:
            # A view's old value enters the op as a fresh view of its root's history, not through
            # the view's own node: as PyTorch's CopySlices, the gradient of that value goes
            # straight to the root (hooks on the view's node see only its other uses).
            fresh = _VIEW_REBASE["fresh"](self)
            if fresh is not None:
                rg, node = fresh
        old = make(data, rg, node)
        _fw.copy_tangents(old, self)
    out = apply(op, (old, *args), params)
    write_into(self, out._data, what)
    self._bump_version()
    if fw:
        _fw.copy_tangents(self, out)
    if out._requires_grad:
        _set_history(self, out._node)
        self._requires_grad = True
        if self._base is not None:
            _rebase_view(self)
        else:  # views of self made before the write now see the new values: new history
            _VIEW_REBASE["regenerate"](self)
    elif self._requires_grad or self._base is not None:
        _refresh_views(self)
    return self


def _refresh_views(self: Tensor) -> None:
    """After a write that recorded nothing (under ``no_grad()``), the views of a root that
    requires grad get new nodes all the same, as PyTorch regenerates a view's ``grad_fn`` after
    any in-place change of its base: hooks registered on a view before see only earlier uses."""
    root = self._base if self._base is not None else self
    if root._requires_grad:
        _VIEW_REBASE["regenerate"](root)


_UFUNC_INPLACE = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide}


def _ufunc_inplace(ufunc: Any, self: Tensor, other: Any) -> bool:
    """NumPy fast path of ``x += y`` when nothing is recorded: one pass, no temporary.

    Returns False when the general path must decide (other backends, dtype changes, shapes that
    would grow ``self``): that path raises PyTorch's errors.
    """
    d = self._data
    if type(d) is not _ndarray or d.dtype.kind not in "fc" or not d.flags.writeable:
        return False
    if isinstance(other, Tensor):
        o = other._data
        if (
            type(o) is not _ndarray
            or o.dtype.kind not in "fc"
            or o.dtype.itemsize > d.dtype.itemsize
        ):
            return False
        if o.shape != d.shape and np.broadcast_shapes(o.shape, d.shape) != d.shape:
            return False
    elif type(other) in (float, int):
        o = other
    else:
        return False
    ufunc(d, o, out=d)
    self._bump_version()
    return True


def _rebase_view(view: Tensor) -> None:
    """After an in-place op on a view, record on its base that the viewed region changed."""
    e = view._ext
    src = None if e is None else getattr(e, "view_of", None)
    hook = _VIEW_REBASE.get("getitem")
    if src is None or hook is None:  # _check_view_write refuses these before the write
        raise RuntimeError(
            "an in-place operation on a view made by a backward pass (in no-grad mode) cannot "
            "be recorded on its base; hint: clone() the view before writing into it"
        )
    hook(view, src[0], src[1])


_VIEW_REBASE: dict[str, Callable[..., None]] = {}


# --------------------------------------------------------------------------------------------
# Declaring ops.


def def_op(
    name: str,
    forward: Callable[..., Any],
    vjp: Any = None,
    jvp: Any = None,
    *,
    inputs: Sequence[str] = ("input",),
    params: Sequence[tuple[str, Any]] = (),
    save: Any = "inputs",
    promote: str | None = None,
    differentiable: bool = True,
    view: bool = False,
    samples: Callable[..., list] | None = None,
    ref: Callable[..., Any] | None = None,
    torch: Any = None,
    method: bool | str = True,
    inplace: bool | str = False,
    export: bool = True,
    backward_name: str | None = None,
    tol: dict | None = None,
    second_order: bool = True,
    fwd_check: bool = True,
    doc: str = "",
    stubs: bool = True,
    save_for: Sequence[Sequence[int]] | None = None,
    ufunc: Callable[..., Any] | None = None,
    complex: bool = False,
    outputs: Sequence[str] = (),
    diff_outputs: Sequence[int] | None = None,
    save_outputs: Sequence[int] = (),
    materialize_grads: bool = False,
    result_name: str | None = None,
    variadic: bool = False,
    vjp_all: Callable[..., Any] | None = None,
    prepare: Callable[..., dict] | None = None,
) -> Callable[..., Tensor]:
    """Declare an op; return its public function (also attached as a Tensor method).

    An op with several outputs names them (``outputs=("values", "indices")``) and says which
    are differentiable (``diff_outputs``, default all) and which its rules read
    (``save_outputs``); its forward returns a tuple of arrays, its public function a namedtuple,
    and each rule takes one gradient per output: ``rule(grads, ans, *inputs, **params)`` with
    None for an output no gradient reached (zeros with ``materialize_grads=True``).
    A ``variadic`` op takes any number of tensors (``fn(*tensors, **params)``); its ``vjp`` is a
    factory ``vjp(i) -> rule`` of input i's rule, or ``vjp_all(g, ans, *inputs, **params)``
    gives every input's gradient in one call (linear in the number of inputs); ``save="inputs"``
    saves them all and a callable ``save_for(i, n)`` says which ones input i's rule reads.
    ``prepare(tensors, params) -> params`` derives params from the inputs once per call (cat's
    layout), on every recording path.
    ``result_name`` names the namedtuple (``ndgrad.return_types.<result_name>``; "" for a plain
    tuple, as ``var_mean``).

    ``save``: ``"inputs"`` (every input), ``"ans"`` (only the output), ``"both"``, ``None``,
    or a tuple of input positions, optionally with ``"ans"`` in it. ``save_for``: per input, the
    positions its rule reads; then only what the inputs that require grad need is kept alive
    (``x * w`` with a constant ``x`` does not keep ``w``), as PyTorch does. ``complex``: the
    rules follow PyTorch's complex convention (``vjp`` returns ``g * conj(f'(z))`` for a
    holomorphic ``f``); without it, recording a node for complex data raises.
    """
    n = len(inputs)
    if variadic:
        if vjp is None and vjp_all is not None:
            vjp = _from_all(vjp_all)
        vjps: Any = () if vjp is None else PerInput(vjp)
    elif vjp is None:
        vjps = ()
    elif callable(vjp):
        vjps = (vjp,)
    else:
        vjps = tuple(vjp)
    if save == "inputs":
        pos, save_ans = tuple(range(n)), False
    elif save == "ans":
        pos, save_ans = (), True
    elif save == "both":
        pos, save_ans = tuple(range(n)), True
    elif save is None:
        pos, save_ans = (), False
    else:
        save_ans = "ans" in save
        pos = tuple(p for p in save if p != "ans")
    op = OpDef(
        name=name,
        forward=forward,
        vjp=vjps,
        jvp=jvp,
        inputs=tuple(inputs),
        params=tuple(params),
        save=pos,
        save_ans=save_ans,
        promote=promote,
        differentiable=differentiable and vjp is not None,
        view=view,
        samples=samples,
        ref=ref,
        torch=torch,
        backward_name=backward_name or f"{_camel(name)}Backward0",
        tol=tol,
        second_order=second_order,
        fwd_check=fwd_check,
        doc=doc,
        stubs=stubs,
        save_mask=tuple(i in pos for i in range(n)) if pos else (),
        save_for=None
        if save_for is None
        else save_for
        if callable(save_for)
        else tuple(tuple(p) for p in save_for),
        variadic=variadic,
        vjp_all=vjp_all,
        prepare=prepare,
        ufunc=ufunc,
        complex=complex,
        outputs=tuple(outputs),
        diff_outputs=tuple(range(len(outputs)) if diff_outputs is None else diff_outputs),
        save_outputs=tuple(save_outputs),
        materialize_grads=materialize_grads,
        result=(
            _result_type(result_name or name, outputs) if outputs and result_name != "" else tuple
        ),
    )
    if differentiable and vjp is None:
        op.differentiable = True
        op.vjp = ()
    op.jvp = jvp_rule(op, jvp)  # the shortcut names become callables here, once
    TABLE[name] = op
    fn = _make_fn(op)
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = doc or f"ndgrad.{name}: see torch.{name}."
    op.fn = fn
    if method:
        attach_method(name if method is True else method, fn)
    if inplace:
        iname = inplace if isinstance(inplace, str) else name + "_"
        attach_method(iname, _make_inplace(op))
    if export:
        EXPORTS[name] = fn
    return fn


EXPORTS: dict[str, Callable[..., Any]] = {}


def _make_fn(op: OpDef) -> Callable[..., Tensor]:
    n = len(op.inputs)
    if op.outputs:
        return _multi_fn(op)
    if op.variadic:
        n = -1  # the general path: ``fn(*tensors, **params)``
    if n == 1:
        return _unary_fn(op)
    if n == 2 and not op.params:
        return _binary_fn(op)

    parse = _parser(op)

    def fn(*args: Any, **kwargs: Any) -> Tensor:
        if kwargs and "out" in kwargs:
            return write_out(op, fn, args, kwargs)
        tens, params = parse(args, kwargs)
        return apply(op, tens, params)

    return fn


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


def _make_inplace(op: OpDef) -> Callable[..., Tensor]:
    parse = _parser(op)

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        tens, params = parse((self, *args), kwargs)
        return apply_inplace(op, self, tens[1:], params)

    method.__name__ = op.name + "_"
    return method


def attach_method(name: str, fn: Callable[..., Any]) -> None:
    setattr(Tensor, name, fn)


# --------------------------------------------------------------------------------------------
# Ops with several outputs. See Note [Outputs of multi-output nodes] in _core/node.py.

RETURN_TYPES = SimpleNamespace()  # ndgrad.return_types: one namedtuple class per op name


def _result_type(name: str, fields: Sequence[str]) -> Any:
    """PyTorch's ``torch.return_types.<name>``: a namedtuple that prints as PyTorch's does."""
    cls = getattr(RETURN_TYPES, name, None)
    if cls is None:
        base = namedtuple(name, list(fields), module="ndgrad.return_types")

        def __repr__(self: Any) -> str:  # noqa: N807
            body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
            return f"ndgrad.return_types.{name}(\n{body})"

        cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__})
        cls.__module__ = "ndgrad.return_types"
        setattr(RETURN_TYPES, name, cls)
    return cls


def _multi_fn(op: OpDef) -> Callable[..., Any]:
    parse = _parser(op)

    def fn(*args: Any, **kwargs: Any) -> Any:
        tens, params = parse(args, kwargs)
        return apply_multi(op, tens, params)

    return fn


def apply_multi(op: OpDef, args: Sequence[Any], params: dict = _EMPTY) -> Any:
    """Run an op with several outputs and record one ``OpNode`` for all of them."""
    from .._core.op_node import OpNode

    raws: list = []
    tensors: list = []
    rg = False
    xp = None
    for a in args:
        if isinstance(a, Tensor):
            tensors.append(a)
            raws.append(a._data)
            rg = rg or a._requires_grad
            xp = xp or _backend.namespace(a._data)
        elif a is None or isinstance(a, _PY_SCALARS):
            tensors.append(None)
            raws.append(a)
        else:
            t = to_tensor(a)
            tensors.append(t)
            raws.append(t._data)
            xp = xp or _backend.namespace(t._data)
    if xp is None:
        raise TypeError(
            f"{op.name}(): expected at least one Tensor argument, got "
            f"{', '.join(type(a).__name__ for a in args)}; hint: wrap the data in ndgrad.tensor()"
        )
    if op.promote is not None:
        _promote(op, raws)
    try:
        outs = op.forward(xp, *raws, **params)
    except ValueError as e:
        raise _explain_forward_error(op, e, raws) from e
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
        save = op.save if op.save_for is None else _save_positions(op, tensors)
        saved = vers = None
        if save:
            saved_l: list = [None] * len(args)
            for i in save:
                t = tensors[i]
                saved_l[i] = args[i] if t is None else t
                if t is not None and t._vc is not None and t._vc[0]:
                    if vers is None:
                        vers = [0] * len(args)
                    vers[i] = t._vc[0]
            saved = tuple(saved_l)
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
    elif rg and op.differentiable and mode is False:
        for k in op.diff_outputs:
            _mark_cut(res[k])
    if _fw.ACTIVE[0]:
        _fw.propagate(op, res, args, tensors, params)  # a list of outputs: one tangent each
    return op.result(res) if op.result is tuple else op.result(*res)


# --------------------------------------------------------------------------------------------
# out=: PyTorch's semantics.


def write_out(op: OpDef, fn: Callable[..., Any], args: Sequence[Any], kwargs: dict) -> Any:
    """``op(*args, out=t)``: compute, then write into ``t`` (resized, cast) and return it.

    As PyTorch: refused while recording when an argument (or ``out``) requires grad; a
    wrong-shaped ``out`` with elements is resized with PyTorch's UserWarning (an empty one
    silently); the result is cast to ``out``'s dtype when the cast is safe ("same kind").
    """
    kwargs = dict(kwargs)
    out = kwargs.pop("out")
    name = op.name.lstrip("_")
    outs = out if isinstance(out, (tuple, list)) else (out,)
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(o).__name__}")
    if _grad_enabled() and (
        any(isinstance(a, Tensor) and a._requires_grad for a in args)
        or any(isinstance(v, Tensor) and v._requires_grad for v in kwargs.values())
        or any(o._requires_grad for o in outs)
    ):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad. hint: drop out= and "
            "assign the result (y = op(x)), or compute under ndgrad.no_grad()"
        )
    res = fn(*args, **kwargs)
    results = res if isinstance(res, tuple) else (res,)
    if len(results) != len(outs):
        raise TypeError(f"{name}(): argument 'out' must be a tuple of {len(results)} Tensors")
    for o, r in zip(outs, results):
        copy_into_out(o, r, name)
    return out if not isinstance(res, tuple) else type(res)(*outs)


def copy_into_out(o: Tensor, r: Tensor, name: str) -> None:
    """Write result ``r`` into ``out`` tensor ``o`` (PyTorch's resize and cast rules)."""
    import warnings

    d = r._data
    od = o._data
    src, dst = _dt.from_np_dtype(d.dtype), _dt.from_np_dtype(od.dtype)
    if src is not dst and not _can_cast(src, dst):
        raise RuntimeError(
            f"result type {_dt_title(src)} can't be cast to the desired output type "
            f"{_dt_title(dst)}; hint: pass an out tensor of dtype {src} (or none at all)"
        )
    if tuple(od.shape) != tuple(d.shape):
        if od.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(od.shape)}, which does not match the required output shape "
                f"{list(d.shape)}. This behavior is deprecated, and in a future PyTorch release "
                "outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                "with t.resize_(0).",
                UserWarning,
                stacklevel=4,
            )
        o._data = _astype(d, dst) if src is not dst else _backend.namespace(d).asarray(d, copy=True)
    elif type(od) is _ndarray:
        np.copyto(od, d, casting="unsafe")
    else:
        od[...] = _astype(d, dst) if src is not dst else d
    o._bump_version()


def _can_cast(src: _dt.dtype, dst: _dt.dtype) -> bool:
    order = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
    return order[src.np.kind] <= order[dst.np.kind]


def _dt_title(d: _dt.dtype) -> str:
    """PyTorch's scalar-type name in messages: Float, Double, Long, ..."""
    names = {
        "float32": "Float",
        "float64": "Double",
        "float16": "Half",
        "int64": "Long",
        "int32": "Int",
        "int16": "Short",
        "int8": "Char",
        "uint8": "Byte",
        "bool": "Bool",
        "complex64": "ComplexFloat",
        "complex128": "ComplexDouble",
    }
    return names.get(d.name, d.name)


class PerInput:
    """The vjp rules of a variadic record: rule i made by ``factory(i)`` on first use, kept.

    Indexing and ``len`` are all the engine needs; it cannot be iterated (it has no end).
    """

    __slots__ = ("factory", "made")

    def __init__(self, factory: Callable[[int], Callable[..., Any]]) -> None:
        self.factory = factory
        self.made: dict[int, Callable[..., Any]] = {}

    def __getitem__(self, i: int) -> Callable[..., Any]:
        r = self.made.get(i)
        if r is None:
            r = self.made[i] = self.factory(i)
        return r

    def __len__(self) -> int:
        return 1 << 62

    def __iter__(self) -> Any:
        raise TypeError("the rules of a variadic record are made per input; index them")


def _from_all(vjp_all: Callable[..., Any]) -> Callable[[int], Callable[..., Any]]:
    """Per-input rules from ``vjp_all`` (for nodes where a single input takes a gradient)."""

    def factory(i: int) -> Callable[..., Any]:
        def rule(g: Tensor, ans: Any, *xs: Any, **params: Any) -> Any:
            return vjp_all(g, ans, *xs, **params)[i]

        return rule

    return factory
