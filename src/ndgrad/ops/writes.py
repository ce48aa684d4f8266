"""In-place ops and writes: ``x.op_(...)``, with PyTorch's checks, version bumps and view rebasing.

``apply_inplace`` computes out of place, writes into the tensor's memory (``write_into``) and
moves its history; writes through views are recorded on the base (See Note [Views and in-place
writes] in views.py, which registers its hooks in ``_VIEW_REBASE``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core import forward_ad as _fw
from .._core.batched import VMAP as _VMAP
from .._core.grad_mode import _GRAD
from .._core.tensor import Tensor, make
from .dispatch import BATCH_HOOKS, _astype, apply

if TYPE_CHECKING:
    from .registry import OpDef

_EMPTY: dict = {}
_grad_enabled = _GRAD.get
_ndarray = np.ndarray
_PY_SCALARS = (int, float, bool, complex)


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
        from .registry import TABLE  # the table is filled by the time a write is checked

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


def _unshared(self: Tensor, args: Sequence[Any]) -> Sequence[Any]:
    """The arguments, with a copy (recorded: ``clone``) of any that shares memory with ``self``.

    An in-place op then reads, and saves, its operands as they were before the write, whatever
    the order in which the write visits the elements (``t += t[:, 0]``, ``v.mul_(v[::2])``).
    PyTorch's result there depends on that order, or it refuses; see docs/differences.md.
    """
    d = self._data
    if type(d) is not _ndarray:
        return args
    out = None
    for i, a in enumerate(args):
        if isinstance(a, Tensor) and type(a._data) is _ndarray and np.may_share_memory(d, a._data):
            if out is None:
                out = list(args)
            from .registry import TABLE

            out[i] = TABLE["clone"].fn(a)
    return args if out is None else tuple(out)


def apply_inplace(op: OpDef, self: Tensor, args: Sequence[Any], params: dict = _EMPTY) -> Tensor:
    """``self.op_(*args)``: compute out of place, write into ``self``, rewrite its history."""
    if _VMAP[0]:
        r = BATCH_HOOKS[1](op, self, args, params)
        if r is not NotImplemented:
            return r
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
    args = _unshared(self, args)
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
