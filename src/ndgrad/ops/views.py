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
new value) and regenerates the history of the root's other live views from it, as PyTorch does. A
backend that had to copy (NumPy's reshape of a transposed array) gives no view: ``track_view``
takes the view marks off again.
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
    _rebase_view,
    apply,
    def_op,
)
from .samples import rand

_PY_SCALARS = (bool, int, float, complex)

# --------------------------------------------------------------------------------------------
# Writes into a region of a backend array.


def _copy(xp: Any, a: Any) -> Any:
    return a.copy() if xp is np else xp.asarray(a, copy=True)


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
    if xp is np:
        if accumulate:
            np.add.at(out, key, v)
        else:
            out[key] = v
        return out
    if is_basic(key) and not accumulate:
        out[key][...] = v  # a view of ``out``: None in the key is fine here
        return out
    if _backend.backend_name(xp).startswith("cupy"):  # pragma: no cover - needs a GPU
        import cupyx  # type: ignore[import-not-found]

        k = tuple(xp.asarray(i) if isinstance(i, np.ndarray) else i for i in key)
        if accumulate:
            cupyx.scatter_add(out, k, v)
        else:
            out[k] = v
        return out
    host = np.array(_backend.to_numpy(out))
    hv = _backend.to_numpy(v) if _backend.is_array(v) else v
    if accumulate:
        np.add.at(host, key, hv)
    else:
        host[key] = hv
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
    if type(_GRAD.get()) is int:  # the engine's own no-grad mode is the int 0 (users': False):
        return res  # nobody writes in place through the views its rules make
    if check and not _shares(res._data, src._data):
        res._base = None
        res._vc = None
        return res
    e = src._ext
    vo = None if e is None else e.view_of
    if vo is not None:
        root, path = vo[0], (*vo[1], (name, params))
    elif src._base is None:
        root, path = src, ((name, params),)
    else:  # a view of a view we do not track: the registry refuses in-place writes through it
        return res
    res._x().view_of = (root, path)
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


def follow_path_raw(xp: Any, a: Any, path: tuple) -> Any:
    """Apply the forward functions of ``path``'s view ops to backend array ``a``."""
    for name, params in path:
        a = TABLE[name].forward(xp, a, **params)
    return a


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
    r = follow_path_raw(xp, a, path[:-1])
    if name in ("getitem", "index"):
        assign(xp, r, params["idx"], v)
    else:
        assign(xp, TABLE[name].forward(xp, r, **params), (Ellipsis,), v)


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
        saved=None,
        vers=None,
        ans=None,
        params={"path": path},
        meta=meta,
    )


def _regenerate(root: Tensor, skip: Tensor | None) -> None:
    """Give the live views of ``root`` a history from its new node (PyTorch regenerates a view's
    grad_fn when its base changed in place)."""
    for v in live_views(root):
        if v is skip:
            continue
        vo = v._ext.view_of
        if vo is None or vo[0] is not root:
            continue
        r = follow_path(make(root._data, root._requires_grad, root._node), vo[1])
        v._node = r._node
        v._requires_grad = r._requires_grad
        if _fw.ACTIVE[0] and _tangent(root) is not None:
            _fw._set_tangent(v, follow_path(_tangent(root), vo[1]))


def _rebase(view: Tensor, root: Tensor, path: tuple) -> None:
    """After an in-place op gave ``view`` a new history, record the write on its root."""
    root._node = _copy_node(root, view, path)
    root._requires_grad = True
    if _fw.ACTIVE[0]:
        _push_tangent(view)
    _regenerate(root, view)


def _push_tangent(view: Tensor) -> None:
    """Forward mode: the root of ``view`` takes the view's tangent in the viewed region."""
    vo = None if view._ext is None else view._ext.view_of
    tv = _tangent(view)
    if vo is None or tv is None:
        return
    root, path = vo
    tr = _tangent(root)
    if tr is None:
        tr = make(_backend.namespace(root._data).zeros_like(root._data))
    _fw._set_tangent(root, _copy_slices(tr, tv, path=path))


def regenerate_views(root: Tensor) -> None:
    """After an in-place op on ``root`` itself, refresh the history of its live views."""
    _regenerate(root, None)


_VIEW_REBASE["getitem"] = _rebase
_VIEW_REBASE["regenerate"] = regenerate_views  # for apply_inplace on a base: see the report


def _untracked_view(t: Tensor) -> bool:
    return t._base is not None and (t._ext is None or t._ext.view_of is None)


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
    rec = (
        _GRAD.get()
        and (dt.is_floating_point or dt.is_complex)
        and (self._requires_grad or (vt is not None and vt._requires_grad))
    )
    if rec:
        _check_inplace(self, what)
        if _untracked_view(self):
            _rebase_view(self)  # raises the registry's error before anything is written
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
        v = v.astype(data.dtype) if xp is np else xp.astype(v, data.dtype)
    elif vt is None and isinstance(value, complex) and not dt.is_complex:
        raise TypeError(f"can't convert complex to {dt.name}")
    try:
        write_path(xp, data, path, v)
    except ValueError as e:
        if "read-only" in str(e):
            raise RuntimeError(
                f"{what}: unsupported operation: the tensor shares memory across elements "
                "(e.g. it came from expand()); hint: clone() it before writing in place"
            ) from None
        _check_fits(tuple(np.shape(v)), _region_shape(data, path), advanced)
        raise
    self._bump_version()
    if _fw.ACTIVE[0]:
        _write_tangent(self, vt, path)
        if not rec and self._base is not None:
            _push_tangent(self)
    if not rec:
        return
    self._node = _copy_node(self, vt, path)
    self._requires_grad = True
    if self._base is not None:
        _rebase_view(self)
    else:
        _regenerate(self, None)


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


def _tangent(t: Tensor | None) -> Tensor | None:
    return None if t is None or t._ext is None else t._ext.tangent


def _write_tangent(self: Tensor, vt: Tensor | None, path: tuple) -> None:
    ts, tv = _tangent(self), _tangent(vt)
    if ts is None and tv is None:
        return
    if ts is None:
        ts = make(_backend.namespace(self._data).zeros_like(self._data))
    _fw._set_tangent(self, _copy_slices(ts, 0.0 if tv is None else tv, path=path))
