"""The op table: ``def_op`` declares an op once; ``apply`` runs it and records the graph.

An op record (``OpDef``) holds everything the rest of ndgrad needs to know about one operation:

* ``forward(xp, *arrays, **params)``: the only code that touches backend arrays;
* ``vjp``: one rule per tensor input, ``rule(g, ans, *inputs, **params) -> Tensor``, written in
  ndgrad ops so that differentiating the backward pass (``create_graph=True``) needs nothing more;
* ``jvp``: a callable ``jvp(tangents, ans, *inputs, **params)`` or a shortcut: ``"elementwise"``
  (the Jacobian is diagonal, so the vjp rules applied to the tangents give the jvp), ``"linear"``
  (the op applied to the tangents), ``"bilinear"`` (the op with one input replaced by its tangent,
  summed over inputs);
* ``samples(rng, dtype)``: inputs that drive the generic tests, with ``ref`` (a NumPy reference
  forward) and ``torch`` (the PyTorch function to compare with).

The engine sums every gradient back to its input's shape and dtype, so rules never unbroadcast.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core import forward_ad as _fw
from .._core.grad_mode import _GRAD, _INFERENCE
from .._core.node import Node, next_seq
from .._core.tensor import Tensor, make

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
    save_for: tuple | None = None  # per input: the positions its rule reads (saves less)


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
            node = Node(
                op, tuple(nxt), saved, vers, out if op.save_ans else None, params, tuple(meta)
            )
            res = make(out, True, node)
            if op.save_ans:
                res._vc = node.ans_vc = [0]
        else:
            res = make(out)
            if mode is False:  # a user's no_grad (the engine's own no-grad is 0)
                res._x().cut = "it was computed under no_grad()"
                if _INFERENCE.get():
                    res._x().inference = True
    else:
        res = make(out)
        for t in tensors:  # remember where the chain was cut, for backward's error message
            cut = _cut_of(t)
            if cut:
                res._x().cut = cut
                break
    if op.view:
        src = tensors[0]
        res._vc = src._shared_vc()
        res._base = src._base if src._base is not None else src
    if _fw.ACTIVE[0]:
        _fw.propagate(op, res, args, tensors, params)
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
    save_ans = op.save_ans
    view = op.view
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
            if save:
                saved = a  # bare: See Note [Bare edges] in node.py
                vers = None if a._vc is None or not a._vc[0] else (a._vc[0],)
            else:
                saved = vers = None
            meta = (
                None if da.dtype is out.dtype and da.shape == out.shape else ((da.shape, da.dtype),)
            )
            n = a._node
            node = _new(Node)  # Node.__init__, inlined on this hot path
            node.op = op
            node.seq = _next_seq()
            node.pos = 0
            node.next = a if n is None else n
            node.saved = saved
            node.vers = vers
            node.ans = out if save_ans else None
            node.params = params
            node.meta = meta
            node.x = None
            node.ans_vc = None
            res._requires_grad = True
            res._node = node
            if save_ans:
                res._vc = node.ans_vc = [0]
        else:
            res._requires_grad = False
            res._node = None
            if mode is False and a._requires_grad and diff:  # a user's no_grad()
                _mark_cut(res)
            elif a._ext is not None and a._ext.cut:  # remember where the chain was cut
                res._x().cut = a._ext.cut
        if view:  # shares memory and the version counter with its base
            res._vc = a._shared_vc()
            res._base = a._base if a._base is not None else a
        if fw_active[0]:
            _fw.propagate(op, res, (a,), [a], params)
        return res

    if op.params:  # sum(x, dim=1), reshape(x, shape=...): parse, then the same fast path
        parse = _parser(op)

        def fn(*args: Any, **kwargs: Any) -> Tensor:
            tens, params = parse(args, kwargs)
            return core(tens[0], params)

        return fn

    def fn1(input: Any) -> Tensor:
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
    save_ans = op.save_ans
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
    fw_active = _fw.ACTIVE

    def fn2(input: Any, other: Any) -> Tensor:
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
            node = _new(Node)  # Node.__init__, inlined on this hot path
            node.op = op
            node.seq = _next_seq()
            node.pos = pos
            node.next = nxt
            node.saved = saved
            node.vers = vers
            node.ans = out if save_ans else None
            node.params = _EMPTY
            node.meta = meta
            node.x = None
            node.ans_vc = None
            res._requires_grad = True
            res._node = node
            if save_ans:
                res._vc = node.ans_vc = [0]
        else:
            res._requires_grad = False
            res._node = None
            if mode is False and rg and diff:  # a user's no_grad()
                _mark_cut(res)
            elif not rg and (  # remember where the chain was cut, for backward's error message
                (ta is Tensor and a._ext is not None) or (tb is Tensor and b._ext is not None)
            ):
                cut = _cut_of(a if ta is Tensor else None) or _cut_of(b if tb is Tensor else None)
                if cut:
                    res._x().cut = cut
        if fw_active[0]:
            _fw.propagate(
                op, res, (a, b), [a if ta is Tensor else None, b if tb is Tensor else None], _EMPTY
            )
        return res

    return fn2


def _save_positions(op: OpDef, tensors: list) -> tuple:
    """The positions to save when only some inputs need a gradient (``save_for``)."""
    want: set = set()
    for i, t in enumerate(tensors):
        if t is not None and t._requires_grad and i < len(op.save_for):
            want.update(op.save_for[i])
    return tuple(sorted(want))


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
    try:
        if type(old) is _ndarray:
            np.copyto(old, new, casting="unsafe")
        else:
            old[...] = new
    except (ValueError, TypeError):  # read-only memory (an expand() view) or immutable arrays
        if type(old) is _ndarray and not old.flags.writeable:
            raise RuntimeError(
                f"{what}: unsupported operation: the tensor shares memory across elements "
                "(e.g. it came from expand()); hint: clone() it before writing in place"
            ) from None
        self._data = _astype(new, _dt.from_np_dtype(old.dtype)) if new.dtype != old.dtype else new


def apply_inplace(op: OpDef, self: Tensor, args: Sequence[Any], params: dict = _EMPTY) -> Tensor:
    """``self.op_(*args)``: compute out of place, write into ``self``, rewrite its history."""
    what = f"{op.name}_()"
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
        old = make(data, self._requires_grad, self._node)
        tangent = None if self._ext is None else self._ext.tangent
        if tangent is not None:
            _fw._set_tangent(old, tangent)
    out = apply(op, (old, *args), params)
    write_into(self, out._data, what)
    self._bump_version()
    if fw:
        tangent = None if out._ext is None else out._ext.tangent
        if tangent is not None:
            _fw._set_tangent(self, tangent)
    if out._requires_grad:
        self._node = out._node
        self._requires_grad = True
        if self._base is not None:
            _rebase_view(self)
        else:  # views of self made before the write now see the new values: new history
            regen = _VIEW_REBASE.get("regenerate")
            if regen is not None:
                regen(self)
    return self


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
    if src is None or hook is None:
        raise RuntimeError(
            "an in-place operation on a view of a tensor is only recorded for views made by "
            "indexing (x[idx]); hint: write x[idx] = value, or use the out-of-place op"
        )
    hook(view, *src)


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
) -> Callable[..., Tensor]:
    """Declare an op; return its public function (also attached as a Tensor method).

    ``save``: ``"inputs"`` (every input), ``"ans"`` (only the output), ``"both"``, ``None``,
    or a tuple of input positions, optionally with ``"ans"`` in it. ``save_for``: per input, the
    positions its rule reads; then only what the inputs that require grad need is kept alive
    (``x * w`` with a constant ``x`` does not keep ``w``), as PyTorch does.
    """
    n = len(inputs)
    if vjp is None:
        vjps: tuple = ()
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
        save_for=None if save_for is None else tuple(tuple(p) for p in save_for),
        ufunc=ufunc,
    )
    if differentiable and vjp is None:
        op.differentiable = True
        op.vjp = ()
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
    if n == 1:
        return _unary_fn(op)
    if n == 2 and not op.params:
        return _binary_fn(op)

    parse = _parser(op)

    def fn(*args: Any, **kwargs: Any) -> Tensor:
        tens, params = parse(args, kwargs)
        return apply(op, tens, params)

    return fn


def _parser(op: OpDef) -> Callable[[tuple, dict], tuple[list, dict]]:
    n = len(op.inputs)
    pnames = [p[0] for p in op.params]
    defaults = dict(op.params)
    inames = op.inputs

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
