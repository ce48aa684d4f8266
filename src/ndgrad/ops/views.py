"""Views: tracking, writes into the region a view selects, and in-place writes through views.

View ops live in shape.py and indexing.py; this module is what they share underneath: the record of
each view's path from its root, ``assign`` and ``index_backward`` (the transpose of a view), and
the ``CopySlices`` record that ``x[idx] = v`` and in-place ops through views give their root.

# Note [Views and in-place writes]
A view op (``view=True`` in its record) returns an array that shares memory with its input; the
registry then sets ``_base`` and shares the version counter. The public functions of the view ops
also record on the view the path from its root base, ``view._x().view_of = (root, ((op_name,
params), ...))`` (``track_view``), and keep a list of the live views of each root. When an
in-place op writes through a view, ``_rebase`` (registered as ``registry._VIEW_REBASE["getitem"]``)
gives the root a ``CopySlices`` node (the old root with the viewed region replaced by the view's
new value) and regenerates the history of every live view of the root from it, the written view
included, as PyTorch does: so the view's gradient flows through its base (the base's hooks,
``retain_grad`` and ``autograd.grad(..., base)`` see it). An in-place op on the root itself
regenerates its views the same way (``y.mul_(2)`` reaches ``e = y.expand(2, 3)``). A tensor's
``retain_grad()`` moves to its new node; its hooks stay on the old one, so they see the gradient
of the value they were registered on (PyTorch 2's rules; ``registry._set_history``). A backend
that had to copy (NumPy's reshape of a transposed array) gives no view: ``track_view`` takes the
view marks off again.

``view_of`` is ``(root, path, creation)``; ``creation`` is None, ``"no_grad"`` (made under
``no_grad()``) or ``"parent"`` (made from such a view). As in PyTorch, a recorded in-place write
through a view made in no-grad mode is refused (``registry._check_view_write``); the views a
backward pass makes without ``create_graph=True`` are not tracked at all (the engine's own no-grad
mode, the int 0: saving the cost on every rule) and are refused the same way. Where PyTorch raises
later, when a no-grad view is used after its base was modified in place, ndgrad keeps the view as
the constant it was made as (no history, not regenerated).

``expand()`` repeats elements without copying them, so its NumPy array is read-only. Writing
into it is refused with PyTorch's error when elements of the region written overlap
(``registry._internal_overlap``); otherwise (``e[0] = 1``, ``e[0].mul_(2)``) the write goes
through a writeable alias found from the root along the path (``writeable_alias``;
``follow_path_raw(..., writeable=True)``). An expand that adds only dims of size 1 repeats
nothing and gives a writeable view directly, as PyTorch allows ``y.expand(1, 3).mul_(2)``.

Deliberate differences: PyTorch refuses in-place writes into the outputs of ``split``, ``chunk``
and ``unbind`` (functions returning several views) and later use of those views after their base
changed; ndgrad tracks each piece as a ``narrow``/``select`` view and computes the gradient.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

import numpy as np

from .. import _backend
from .._core import forward_ad as _fw
from .._core.grad_mode import _GRAD
from .._core.node import Node
from .._core.tensor import Tensor, make
from .registry import (
    _VIEW_REBASE,
    TABLE,
    OpDef,
    Sample,
    _check_inplace,
    _check_view_write,
    _internal_overlap,
    _set_history,
    apply,
    def_op,
    overlap_error,
)
from .samples import rand

_PY_SCALARS = (bool, int, float, complex)

# --------------------------------------------------------------------------------------------
# Writes into a region of a backend array.


def _copy(xp: Any, a: Any) -> Any:
    return _backend.backend(xp).copy(a)


def is_basic(key: tuple) -> bool:
    """True for an index made of ints, slices, None and Ellipsis only (a view in NumPy)."""
    return all(k is None or k is Ellipsis or type(k) is int or type(k) is slice for k in key)


def _host(xp: Any, a: Any) -> Any:
    """A NumPy array back in namespace ``xp``."""
    return _backend.asarray(xp, np.asarray(a))


def assign(xp: Any, out: Any, key: tuple, v: Any, accumulate: bool = False) -> Any:
    """``out[key] = v`` (or ``+=``, adding repeated indices); returns the array written.

    NumPy does it in place (``np.add.at`` for the accumulating form). The array API has no
    scatter-add and array-api-strict allows integer-array and mixed boolean indices only in
    narrow forms, so other CPU backends take a host round trip through NumPy for advanced keys
    and write the result back whole.
    """
    if accumulate:  # repeats add up: the backend's scatter-add (in place where it can)
        res = _backend.backend(xp).scatter_add(out, key, v)
        if res is not out:
            out[...] = res
        return out
    if xp is np:
        out[key] = v
        return out
    if is_basic(key):
        out[key][...] = v  # a view of ``out``: None in the key is fine here
        return out
    if _backend.backend_name(xp).startswith("cupy"):  # pragma: no cover - needs a GPU
        out[tuple(xp.asarray(i) if isinstance(i, np.ndarray) else i for i in key)] = v
        return out
    host = np.array(_backend.to_numpy(out))
    host[key] = _backend.to_numpy(v) if _backend.is_array(v) else v
    out[...] = _host(xp, host)
    return out


# --------------------------------------------------------------------------------------------
# View tracking. See Note [Views and in-place writes].

_LIVE: dict[int, tuple[weakref.ref, dict]] = {}  # id(root) -> (ref(root), {id(view): ref(view)})


def _shares(a: Any, b: Any) -> bool:
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return np.may_share_memory(a, b)
    try:
        return np.may_share_memory(_backend.to_numpy(a), _backend.to_numpy(b))
    except Exception:  # a backend we cannot look into: assume a view
        return True


def track_view(res: Tensor, src: Tensor, name: str, params: dict, check: bool = False) -> Tensor:
    """Finish the result of view op ``name``: record its path from the root base.

    ``check``: the backend may have copied (reshape); then ``res`` is made an ordinary tensor.
    """
    if res._base is None:
        return res
    mode = _GRAD.get()
    if type(mode) is int:  # the engine's own no-grad mode is the int 0 (users': False): its
        return res  # views stay untracked, and recorded writes through them are refused
    if check and not _shares(res._data, src._data):
        res._base = None
        res._vc = None
        return res
    e = src._ext
    vo = None if e is None else e.view_of
    if vo is not None:
        root, path = vo[0], (*vo[1], (name, params))
        creation = "no_grad" if not mode else None if vo[2] is None else "parent"
    elif src._base is None:
        root, path = src, ((name, params),)
        creation = None if mode else "no_grad"
    else:  # a view of a view we do not track: the registry refuses recorded writes through it
        return res
    res._x().view_of = (root, path, creation)
    key = id(root)
    entry = _LIVE.get(key)
    if entry is None or entry[0]() is not root:
        entry = (weakref.ref(root, lambda _r, key=key: _LIVE.pop(key, None)), {})
        _LIVE[key] = entry
    views = entry[1]
    vkey = id(res)
    views[vkey] = weakref.ref(res, lambda _r, views=views, vkey=vkey: views.pop(vkey, None))
    return res


def live_views(root: Tensor) -> list:
    """The live tracked views of ``root`` (for regenerating their history after a write)."""
    entry = _LIVE.get(id(root))
    if entry is None or entry[0]() is not root:
        return []
    out = []
    for ref in list(entry[1].values()):
        v = ref()
        if v is not None:
            out.append(v)
    return out


def follow_path(t: Tensor, path: tuple) -> Tensor:
    """Apply the view ops of ``path`` to ``t`` (recorded ops, so differentiable)."""
    for name, params in path:
        t = apply(TABLE[name], (t,), params)
    return t


def follow_path_raw(xp: Any, a: Any, path: tuple, writeable: bool = False) -> Any:
    """Apply the forward functions of ``path``'s view ops to backend array ``a``.

    ``writeable``: for writing into ``a`` through the path, an ``expand`` step gives a NumPy view
    that may be written (NumPy's own is read-only, since its elements may repeat): the caller
    writes only into a region whose elements do not (See Note [Views and in-place writes]).
    """
    for name, params in path:
        a = _view_forward(xp, a, name, params, writeable)
    return a


def _view_forward(xp: Any, a: Any, name: str, params: dict, writeable: bool) -> Any:
    r = TABLE[name].forward(xp, a, **params)
    if writeable and type(r) is np.ndarray and not r.flags.writeable and a.flags.writeable:
        r = np.lib.stride_tricks.as_strided(a, r.shape, r.strides, writeable=True)
    return r


def writeable_alias(t: Tensor) -> Any:
    """A writeable NumPy array on the memory of view ``t`` when ``t``'s own array is read-only
    (an ``expand()`` view, or a view of one), found from its root along its path; None when there
    is none (an untracked view, a read-only root, a root whose ``.data`` was replaced since)."""
    e = t._ext
    vo = None if e is None else e.view_of
    if vo is None:
        return None
    a = vo[0]._data
    d = t._data
    if type(a) is not np.ndarray or type(d) is not np.ndarray or not a.flags.writeable:
        return None
    w = follow_path_raw(np, a, vo[1], writeable=True)
    same = (
        w.shape == d.shape
        and w.strides == d.strides
        and w.dtype == d.dtype
        and w.__array_interface__["data"][0] == d.__array_interface__["data"][0]
    )
    return w if same else None


def _any_alias(t: Tensor) -> Any:
    w = writeable_alias(t)
    return _buffer_alias(t) if w is None else w


def _buffer_alias(t: Tensor) -> Any:
    """A writeable array on the memory of ``t`` found from the NumPy array that owns it (when
    that is C-contiguous and writeable): for read-only arrays ndgrad has no path for (a view made
    by a backward pass, ``e.detach()`` of an ``expand()`` view); None when there is none."""
    d = t._data
    b = getattr(d, "base", None)  # NumPy keeps the array that owns the memory here
    if type(d) is not np.ndarray or type(b) is not np.ndarray:
        return None
    if not (b.flags.writeable and b.flags.c_contiguous) or d.dtype != b.dtype or b.size == 0:
        return None
    lo, hi = np.lib.array_utils.byte_bounds(d)
    blo, bhi = np.lib.array_utils.byte_bounds(b)
    if lo < blo or hi > bhi:  # base.data was replaced since: the view no longer lies in it
        return None
    offset = d.__array_interface__["data"][0] - blo
    return np.ndarray(d.shape, dtype=d.dtype, buffer=b, offset=offset, strides=d.strides)


def _view_op(op: OpDef, x: Tensor, params: dict, check: bool = False) -> Tensor:
    """Run view op ``op`` on ``x`` and track the result (``params`` already checked)."""
    return track_view(apply(op, (x,), params), x, op.name, params, check)


# --------------------------------------------------------------------------------------------
# index_backward: the transpose of a view (g written into zeros at the viewed region).


def _index_backward_fwd(xp: Any, g: Any, *, shape: tuple, idx: tuple) -> Any:
    out = xp.zeros(shape, dtype=g.dtype)
    return assign(xp, out, idx, g, accumulate=not is_basic(idx))


def _index_backward_vjp(gg: Tensor, ans: Any, g: Any, *, shape: tuple, idx: tuple) -> Tensor:
    return take_key(gg, idx)


def take_key(x: Tensor, idx: tuple) -> Tensor:
    """``x[idx]`` for a normalised key (the getitem records of indexing.py)."""
    return apply(TABLE["getitem" if is_basic(idx) else "index"], (x,), {"idx": idx})


def _index_backward_ref(g: np.ndarray, shape: tuple, idx: tuple) -> np.ndarray:
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, idx, g)
    return out


index_backward = def_op(
    "_index_backward",
    complex=True,  # linear: no conjugation
    forward=_index_backward_fwd,
    vjp=_index_backward_vjp,
    jvp="linear",
    params=(("shape", None), ("idx", None)),
    save=None,
    method=False,
    export=False,
    backward_name="IndexBackwardBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (4,), dt),), {"shape": (3, 4), "idx": (1, Ellipsis)}),
        Sample(
            (rand(rng, (2, 1, 4), dt),), {"shape": (3, 4), "idx": (slice(0, 3, 2), None, Ellipsis)}
        ),
        Sample(
            (rand(rng, (4, 4), dt),), {"shape": (3, 4), "idx": (np.array([0, 2, 0, 0]), Ellipsis)}
        ),
        Sample(
            (rand(rng, (2,), dt),),
            {
                "shape": (2, 3),
                "idx": (np.array([[True, False, False], [False, False, True]]), Ellipsis),
            },
        ),
    ],
    ref=_index_backward_ref,
    torch=False,
    doc="Zeros of ``shape`` with ``g`` written at ``idx`` (added where integer arrays repeat "
    "an index): the transpose of ``x[idx]``.",
)


# --------------------------------------------------------------------------------------------
# Writes: CopySlices, setitem's write and in-place ops through views.


def _copy_slices_fwd(xp: Any, x: Any, src: Any, *, path: tuple) -> Any:
    out = _copy(xp, x)
    write_path(xp, out, path, src)
    return out


def write_path(xp: Any, a: Any, path: tuple, v: Any) -> None:
    """Write ``v`` into the region of array ``a`` that ``path`` (view ops, then maybe an
    advanced index) selects."""
    name, params = path[-1]
    r = follow_path_raw(xp, a, path[:-1], writeable=True)
    if name in ("getitem", "index"):
        assign(xp, r, params["idx"], v)
    else:
        assign(xp, _view_forward(xp, r, name, params, True), (Ellipsis,), v)


def _copy_slices_ref(x: np.ndarray, src: Any, path: tuple) -> np.ndarray:
    out = x.copy()
    r = out
    for name, p in path[:-1]:
        r = np.swapaxes(r, p["dim0"], p["dim1"]) if name == "transpose" else r[p["idx"]]
    name, p = path[-1]
    if name == "select":
        r[(slice(None),) * p["dim"] + (p["index"],)] = src
    else:
        r[p["idx"]] = src
    return out


def _copy_slices_samples(rng: np.random.Generator, dt: Any) -> list:
    def step(name: str, **p: Any) -> tuple:
        return (name, p)

    mask = np.array([[True, False, True], [False, False, True]])
    return [
        Sample(
            (rand(rng, (3, 4), dt), rand(rng, (4,), dt)),
            {"path": (step("getitem", idx=(1, Ellipsis)),)},
        ),
        Sample(
            (rand(rng, (3, 4), dt), rand(rng, (1,), dt)),
            {"path": (step("getitem", idx=(slice(0, 3, 2), slice(1, 2), Ellipsis)),)},
            name="broadcast value",
        ),
        Sample(
            (rand(rng, (4, 3), dt), rand(rng, (2, 3), dt)),
            {"path": (step("index", idx=(np.array([3, 1]), Ellipsis)),)},
        ),
        Sample(
            (rand(rng, (2, 3), dt), rand(rng, (3,), dt)),
            {"path": (step("index", idx=(mask, Ellipsis)),)},
            name="mask",
        ),
        Sample(
            (rand(rng, (2, 3), dt), rand(rng, (2,), dt)),
            {"path": (step("transpose", dim0=0, dim1=1), step("select", dim=0, index=1))},
            name="through a transpose",
        ),
        Sample(
            (rand(rng, (2, 3), dt), 0.5),
            {"path": (step("getitem", idx=(0, Ellipsis)),)},
            name="scalar",
        ),
    ]


_copy_slices = def_op(
    "_copy_slices",
    complex=True,  # linear: no conjugation
    forward=_copy_slices_fwd,
    vjp=(
        lambda g, ans, x, src, *, path: _copy_slices(g, 0.0, path=path),
        lambda g, ans, x, src, *, path: follow_path(g, path),
    ),
    jvp="linear",
    inputs=("input", "src"),
    params=(("path", ()),),
    save=None,
    method=False,
    export=False,
    backward_name="CopySlices",
    samples=_copy_slices_samples,
    ref=_copy_slices_ref,
    torch=False,
    doc="``input`` with the region that ``path`` selects replaced by ``src`` (broadcast): what "
    "``x[idx] = src`` and in-place ops through views record. d/dinput: g with the region "
    "zeroed; d/dsrc: the region of g.",
)
_COPY = TABLE["_copy_slices"]


def _edge(t: Tensor | None) -> Any:
    if t is None:
        return None
    return t._node if t._node is not None else (t if t._requires_grad else None)


def _copy_node(old: Tensor, src: Tensor | None, path: tuple) -> Node:
    """A CopySlices node for ``old`` (its history now) and ``src``."""
    meta = (
        (old._data.shape, old._data.dtype),
        None if src is None else (src._data.shape, src._data.dtype),
    )
    return Node(
        _COPY,
        (_edge(old), _edge(src)),
        # Nothing the rules read, but a placeholder per input: as PyTorch's CopySlices (which
        # releases the in-place op's node it wraps), a second backward without retain_graph
        # raises "Trying to backward through the graph a second time".
        saved=(None, None),
        vers=None,
        ans=None,
        params={"path": path},
        meta=meta,
    )


def _regenerate(root: Tensor, skip: Tensor | None) -> None:
    """Give the live views of ``root`` a history from its new node (PyTorch regenerates a view's
    grad_fn when its base changed in place). A view made in no-grad mode keeps no history of its
    own, and keeps none: See Note [Views and in-place writes]."""
    views = live_views(root)
    if not views:
        return
    token = _GRAD.set(True)  # the new nodes are recorded even after a write under no_grad()
    try:
        for v in views:
            if v is not skip:
                _regenerate_one(root, v)
    finally:
        _GRAD.reset(token)


def _regenerate_one(root: Tensor, v: Tensor) -> None:
    vo = v._ext.view_of
    if vo is None or vo[0] is not root or vo[2] is not None:
        return
    if root._requires_grad or v._requires_grad:
        r = follow_path(root, vo[1])
        _set_history(v, r._node)
        v._requires_grad = r._requires_grad
    if _fw.ACTIVE[0]:
        for lvl in _fw.open_levels():  # one tangent per dual level
            tr = _tangent(root, lvl)
            if tr is not None:
                _fw.set_tangent(v, lvl, follow_path(tr, vo[1]))


def _rebase(view: Tensor, root: Tensor, path: tuple) -> None:
    """After an in-place op gave ``view`` a new history, record the write on its root.

    Then every live view of the root, ``view`` itself included, is regenerated from the root's
    new node, as PyTorch does (the view's ``grad_fn`` becomes a view of ``CopySlices``): the
    gradient of the view flows through its base, past the base's hooks and ``retain_grad``.
    """
    _set_history(root, _copy_node(root, view, path))
    root._requires_grad = True
    if _fw.ACTIVE[0]:
        _push_tangent(view)
    _regenerate(root, None)


def _push_tangent(view: Tensor) -> None:
    """Forward mode: the root of ``view`` takes the view's tangent in the viewed region."""
    vo = None if view._ext is None else view._ext.view_of
    if vo is None:
        return
    root, path = vo[0], vo[1]
    for lvl in _fw.open_levels():  # one tangent per dual level
        tv = _tangent(view, lvl)
        if tv is None:
            continue
        tr = _tangent(root, lvl)
        if tr is None:
            tr = make(_backend.namespace(root._data).zeros_like(root._data))
        _fw.set_tangent(root, lvl, _copy_slices(tr, tv, path=path))


def regenerate_views(root: Tensor) -> None:
    """After an in-place op on ``root`` itself, refresh the history of its live views."""
    _regenerate(root, None)


def fresh_history(view: Tensor) -> tuple | None:
    """``(requires_grad, node)`` of ``view`` made again from its root's history now; None for an
    untracked view or one made in no-grad mode."""
    vo = view._ext.view_of if view._ext is not None else None
    if vo is None or vo[2] is not None:
        return None
    token = _GRAD.set(True)
    try:
        r = follow_path(vo[0], vo[1])
    finally:
        _GRAD.reset(token)
    return r._requires_grad, r._node


_VIEW_REBASE["getitem"] = _rebase
_VIEW_REBASE["regenerate"] = regenerate_views  # for apply_inplace on a base: see the report
_VIEW_REBASE["alias"] = _any_alias  # for write_into on a read-only (expand) view
_VIEW_REBASE["fresh"] = fresh_history  # for apply_inplace on a view


def _value(self: Tensor, value: Any) -> Tensor | None:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, _PY_SCALARS):
        return None
    if isinstance(value, np.generic):
        return make(np.asarray(value))
    if _backend.is_array(value):
        return make(value)
    raise TypeError(
        f"can't assign a {type(value).__name__} to a Tensor of dtype {self.dtype}; hint: make "
        "it a tensor first, e.g. x[idx] = ndgrad.tensor(value)"
    )


_TORCH_NAMES = {
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "uint8": "Byte",
    "bool": "Bool",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}


def _torch_name(d: Any) -> str:
    return _TORCH_NAMES.get(d.name, d.name)


def write(
    self: Tensor, path: tuple, value: Any, advanced: bool = False, what: str = "setitem"
) -> None:
    """Write ``value`` into the region of ``self`` that ``path`` selects, recording history."""
    vt = _value(self, value)
    dt = self.dtype
    diff = dt.is_floating_point or dt.is_complex
    if diff and self._base is not None:
        _check_view_write(self, (vt,))  # before anything is written
    rec = _GRAD.get() and diff and (self._requires_grad or (vt is not None and vt._requires_grad))
    if rec:
        _check_inplace(self, what)
    data = self._data
    xp = _backend.namespace(data)
    v: Any = value if vt is None else vt._data
    if vt is not None and v.dtype != data.dtype:
        vd = vt.dtype
        if advanced:
            _check_fits(tuple(v.shape), _region_shape(data, path), advanced)
            raise RuntimeError(
                f"Index put requires the source and destination dtypes match, got "
                f"{_torch_name(dt)} for the destination and {_torch_name(vd)} for the source. "
                f"hint: convert the value first, e.g. value.to({dt})"
            )
        if vd.is_complex and not dt.is_complex:
            warnings.warn(
                "Casting complex values to real discards the imaginary part",
                UserWarning,
                stacklevel=3,
            )
            v = xp.real(v)
        v = _backend.backend(xp).astype(v, data.dtype)
    elif vt is None and isinstance(value, complex) and not dt.is_complex:
        raise RuntimeError(  # PyTorch's class and text for x[i] = 1j on a real tensor
            f"value cannot be converted to type {dt.name} without overflow; hint: a "
            f"{dt.name} tensor holds real numbers only: convert it first, e.g. "
            "x = x.to(ndgrad.complex64)"
        )
    target = data
    if type(data) is np.ndarray and not data.flags.writeable:
        target = _writeable_target(self, path, advanced, what)
    try:
        write_path(xp, target, path, v)
    except ValueError as e:
        _check_fits(tuple(np.shape(v)), _region_shape(data, path), advanced)
        if "read-only" in str(e):
            raise RuntimeError(
                f"{what}: the tensor's memory is read-only; hint: clone() it before writing"
            ) from None
        raise
    self._bump_version()
    if _fw.ACTIVE[0]:
        _write_tangent(self, vt, path)
        if self._base is not None:
            _push_tangent(self)
    if not rec:
        root = self._base if self._base is not None else self
        if root._requires_grad:  # as PyTorch, even a write under no_grad() gives new nodes
            _regenerate(root, None)
        return
    root = self
    if self._base is not None:  # tracked: _check_view_write refused the others
        vo = self._ext.view_of
        root, path = vo[0], (*vo[1], *path)
    # The write is recorded on the root with the whole path, not as a write into the view then
    # the view into the root: the view's elements may share memory (``y.expand(2, 3)[0] = v``
    # writes all of ``y``), which a value of the view's own shape cannot say.
    _set_history(root, _copy_node(root, vt, path))
    root._requires_grad = True
    _regenerate(root, None)


def _writeable_target(self: Tensor, path: tuple, advanced: bool, what: str) -> Any:
    """Where ``x[idx] = v`` writes when ``x``'s array is read-only (an ``expand()`` view).

    As in PyTorch, the write is refused only when elements of the region written overlap
    (``e[0] = 1`` writes one row of ``y.expand(2, 3)``: it is ``y``; ``e[:, 0] = 1`` is refused).
    An advanced index writes where it is told, with PyTorch's deprecation warning.
    """
    data = self._data
    if advanced:
        if _internal_overlap(data):
            warnings.warn(
                "Use of index_put_ on expanded tensors is deprecated. Please clone() the tensor "
                "before performing this operation. This also applies to advanced indexing e.g. "
                "tensor[indices] = tensor",
                UserWarning,
                stacklevel=4,
            )
    else:
        name, p = path[-1]
        r = follow_path_raw(np, data, path[:-1])
        region = r[p["idx"]] if name == "getitem" else TABLE[name].forward(np, r, **p)
        if _internal_overlap(region):
            raise overlap_error()
    w = _any_alias(self)
    if w is None:
        raise RuntimeError(
            f"{what}: the tensor's memory is read-only (a read-only NumPy array, or an expand() "
            "view made where ndgrad does not track views); hint: clone() it before writing"
        )
    return w


def _region_shape(data: Any, path: tuple) -> tuple:
    region = follow_path_raw(np, _backend.to_numpy(data), path[:-1])
    name, p = path[-1]
    if name in ("getitem", "index"):
        return tuple(region[p["idx"]].shape)
    return tuple(TABLE[name].forward(np, region, **p).shape)


def _check_fits(vshape: tuple, target: tuple, advanced: bool) -> None:
    """PyTorch's error when a value of ``vshape`` does not broadcast to the region ``target``."""
    shape = vshape
    while len(shape) > len(target) and shape[0] == 1:  # leading 1s are dropped, as in PyTorch
        shape = shape[1:]
    bad = len(shape) > len(target)
    lead = len(target) - len(shape)
    dim = None
    if not bad:
        dim = next((lead + i for i, s in enumerate(shape) if s not in (1, target[lead + i])), None)
    if not bad and dim is None:
        return
    if advanced:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to "
            f"indexing result of shape {list(target)}"
        )
    if bad:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(target)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(shape)}); hint: the value has more "
            f"dims than the region x[idx] of shape {list(target)}"
        )
    raise RuntimeError(
        f"The expanded size of the tensor ({target[dim]}) must match the existing size "
        f"({shape[dim - lead]}) at non-singleton dimension {dim}.  Target sizes: {list(target)}."
        f"  Tensor sizes: {list(vshape)}"
    )


def _tangent(t: Tensor | None, level: Any) -> Tensor | None:
    return None if t is None else _fw.get_tangent(t, level)


def _write_tangent(self: Tensor, vt: Tensor | None, path: tuple) -> None:
    for lvl in _fw.open_levels():  # one tangent per dual level
        ts, tv = _tangent(self, lvl), _tangent(vt, lvl)
        if ts is None and tv is None:
            continue
        if ts is None:
            ts = make(_backend.namespace(self._data).zeros_like(self._data))
        _fw.set_tangent(self, lvl, _copy_slices(ts, 0.0 if tv is None else tv, path=path))
