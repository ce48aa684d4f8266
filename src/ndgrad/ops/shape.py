"""Shape ops: reshape, view, expand, transpose, permute, squeeze, unsqueeze, flatten, narrow,
select, cat, stack, split, chunk, repeat, flip ...

Most are views of their input: they share memory and the version counter, as in PyTorch.

# Note [Views and in-place writes]
A view op (``view=True`` in its record) returns an array that shares memory with its input; the
registry then sets ``_base`` and shares the version counter. The public functions here also record
on the view the path from its root base, ``view._x().view_of = (root, ((op_name, params), ...))``
(``track_view``), and keep a list of the live views of each root. When an in-place op writes
through a view, ``indexing._rebase`` (registered as ``registry._VIEW_REBASE["getitem"]``) gives
the root a ``CopySlices`` node (the old root with the viewed region replaced by the view's new
value) and regenerates the history of the root's other live views from it, as PyTorch does. A
backend that had to copy (NumPy's reshape of a transposed array) gives no view: ``track_view``
takes the view marks off again.
"""

from __future__ import annotations

import operator
import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _backend
from .._core.grad_mode import _GRAD
from .._core.tensor import Tensor
from .registry import EXPORTS, TABLE, OpDef, Sample, apply, attach_method, def_op
from .samples import rand

# --------------------------------------------------------------------------------------------
# Arguments.


def size_arg(shape: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def wrap_dim(dim: Any, ndim: int, extra: int = 0) -> int:
    """``dim`` as a non-negative axis of a tensor with ``ndim`` dims (+``extra`` for new dims).

    A 0-d tensor accepts dims -1 and 0, as in PyTorch.
    """
    try:
        d = operator.index(dim)
    except TypeError:
        raise TypeError(
            f"dim must be an int, got {type(dim).__name__}; hint: pass a dimension such as 0 or -1"
        ) from None
    n = max(ndim + extra, 1)
    if not -n <= d < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
        )
    return d % n


def _dims_arg(dims: tuple) -> tuple:
    """``f(0, 1)``, ``f((0, 1))`` and ``f([0, 1])`` all mean the dims (0, 1)."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return tuple(dims)


def _unique_dims(dims: Sequence[Any], ndim: int) -> tuple:
    out = tuple(wrap_dim(d, ndim) for d in dims)
    seen = set()
    for d in out:
        if d in seen:
            raise RuntimeError(
                f"dim {d} appears multiple times in the list of dims; hint: name each dimension "
                "once"
            )
        seen.add(d)
    return out


def _axis(d: int, ndim: int) -> int:
    """``d`` (maybe negative) as a NumPy axis; forward functions accept the user's dims too."""
    return d % ndim if ndim else 0


def _copy(xp: Any, a: Any) -> Any:
    return a.copy() if xp is np else xp.asarray(a, copy=True)


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
# reshape / view / expand.


def _reshape_fwd(xp: Any, x: Any, *, shape: tuple) -> Any:
    try:
        return xp.reshape(x, shape)
    except ValueError:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {int(np.prod(x.shape))}; "
            "hint: the new shape must hold the same number of elements (use -1 for one "
            "dimension to infer it)"
        ) from None


_reshape = def_op(
    "reshape",
    forward=_reshape_fwd,
    vjp=lambda g, ans, x, *, shape: g.reshape(x.shape),
    jvp="linear",
    params=(("shape", None),),
    save=None,
    view=True,
    method=False,
    export=False,
    backward_name="ViewBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt),), {"shape": (3, 2)}),
        Sample((rand(rng, (2, 3), dt),), {"shape": (-1,)}),
        Sample((rand(rng, (), dt),), {"shape": (1, 1)}),
    ],
    ref=lambda x, shape: np.reshape(x, shape),
    torch=lambda x, shape: x.reshape(shape),
)


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """A tensor with the same data and ``shape`` (a view when possible); -1 infers a size.

    Example:
        >>> import ndgrad
        >>> ndgrad.arange(6.0).reshape(2, -1).shape
        ndgrad.Size([2, 3])
    """
    return _view_op(TABLE["reshape"], input, {"shape": size_arg(shape)}, check=True)


def view(self: Tensor, *shape: Any) -> Tensor:
    """Like reshape, but always a view: an error where the memory layout does not allow one."""
    res = _view_op(TABLE["reshape"], self, {"shape": size_arg(shape)}, check=True)
    if res._base is None and res.numel() > 0:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return res


def _expand_fwd(xp: Any, x: Any, *, shape: tuple) -> Any:
    lead = len(shape) - x.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({x.ndim})"
        )
    full = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    try:
        return xp.broadcast_to(x, full)
    except ValueError:
        raise RuntimeError(
            f"The expanded size of the tensor must match the existing size at non-singleton "
            f"dimensions: cannot expand shape {tuple(x.shape)} to {tuple(shape)}; hint: only "
            "dimensions of size 1 can be expanded"
        ) from None


_expand = def_op(
    "expand",
    forward=_expand_fwd,
    vjp=lambda g, ans, x, *, shape: g,  # the engine sums back to x's shape
    jvp="linear",
    params=(("shape", None),),
    save=None,
    view=True,
    method=False,
    export=False,
    samples=lambda rng, dt: [
        Sample((rand(rng, (3, 1), dt),), {"shape": (3, 4)}),
        Sample((rand(rng, (3,), dt),), {"shape": (2, 3)}),
        Sample((rand(rng, (), dt),), {"shape": (2,)}),
    ],
    ref=lambda x, shape: np.broadcast_to(x, shape),
    torch=lambda x, shape: x.expand(shape),
)


def expand(self: Tensor, *sizes: Any) -> Tensor:
    """A broadcast view to ``sizes`` (-1 keeps a dimension); gradients are summed back."""
    shape = size_arg(sizes)
    if tuple(self._data.shape) == shape:
        return self
    return _expand(self, shape=shape)


for _n, _f in (("reshape", reshape), ("view", view), ("expand", expand)):
    setattr(Tensor, _n, _f)
Tensor.expand_as = lambda self, other: expand(self, tuple(other.shape))
Tensor.view_as = lambda self, other: view(self, tuple(other.shape))
Tensor.reshape_as = lambda self, other: reshape(self, tuple(other.shape))
EXPORTS["reshape"] = reshape


# --------------------------------------------------------------------------------------------
# transpose / permute and their aliases.


def _perm_swap(ndim: int, dim0: int, dim1: int) -> tuple:
    perm = list(range(ndim))
    if ndim:
        a, b = _axis(dim0, ndim), _axis(dim1, ndim)
        perm[a], perm[b] = perm[b], perm[a]
    return tuple(perm)


def _transpose_fwd(xp: Any, x: Any, *, dim0: int, dim1: int) -> Any:
    return xp.permute_dims(x, _perm_swap(x.ndim, dim0, dim1))


_transpose = def_op(
    "transpose",
    forward=_transpose_fwd,
    vjp=lambda g, ans, x, *, dim0, dim1: _transpose(g, dim0=dim0, dim1=dim1),
    jvp="linear",
    params=(("dim0", 0), ("dim1", 1)),
    save=None,
    view=True,
    method=False,
    export=False,
    backward_name="TransposeBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt),), {"dim0": 0, "dim1": 1}),
        Sample((rand(rng, (2, 3, 4), dt),), {"dim0": -1, "dim1": 0}),
        Sample((rand(rng, (3,), dt),), {"dim0": 0, "dim1": -1}),
    ],
    ref=lambda x, dim0, dim1: np.swapaxes(x, dim0, dim1),
    doc="Swap dims ``dim0`` and ``dim1`` (a view). The gradient is swapped back.",
)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """A view of ``input`` with dims ``dim0`` and ``dim1`` swapped.

    Example:
        >>> import ndgrad
        >>> ndgrad.zeros(2, 3, 4).transpose(0, 2).shape
        ndgrad.Size([4, 3, 2])
    """
    n = input.ndim
    params = {"dim0": wrap_dim(dim0, n), "dim1": wrap_dim(dim1, n)}
    return _view_op(TABLE["transpose"], input, params)


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """Alias of :func:`transpose` (NumPy's name)."""
    return transpose(input, axis0, axis1)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Alias of :func:`transpose`."""
    return transpose(input, dim0, dim1)


def _permute_fwd(xp: Any, x: Any, *, dims: tuple) -> Any:
    return xp.permute_dims(x, tuple(_axis(d, x.ndim) for d in dims))


def _permute_vjp(g: Tensor, ans: Any, x: Any, *, dims: tuple) -> Tensor:
    n = len(dims)
    inv = [0] * n
    for i, d in enumerate(dims):
        inv[_axis(d, n)] = i
    return _permute(g, dims=tuple(inv))


_permute = def_op(
    "permute",
    forward=_permute_fwd,
    vjp=_permute_vjp,
    jvp="linear",
    params=(("dims", None),),
    save=None,
    view=True,
    method=False,
    export=False,
    backward_name="PermuteBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3, 4), dt),), {"dims": (2, 0, 1)}),
        Sample((rand(rng, (2, 3), dt),), {"dims": (-1, 0)}),
        Sample((rand(rng, (), dt),), {"dims": ()}),
    ],
    ref=lambda x, dims: np.transpose(x, dims),
    doc="Reorder the dims (a view). The gradient is permuted by the inverse permutation.",
)


def permute(input: Tensor, *dims: Any) -> Tensor:
    """A view of ``input`` with its dims in the order ``dims`` (varargs or one sequence).

    Example:
        >>> import ndgrad
        >>> ndgrad.zeros(2, 3, 4).permute(2, 0, 1).shape
        ndgrad.Size([4, 2, 3])
    """
    dims = _dims_arg(dims)
    n = input.ndim
    if len(dims) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal "
            f"to len(dims) = {len(dims)}; hint: name every dimension once, e.g. "
            f"permute({', '.join(str(i) for i in reversed(range(n)))})"
        )
    wrapped = tuple(wrap_dim(d, n) for d in dims)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _view_op(TABLE["permute"], input, {"dims": wrapped})


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination`` (ints or sequences); others keep order."""
    src = (source,) if not isinstance(source, (tuple, list)) else tuple(source)
    dst = (destination,) if not isinstance(destination, (tuple, list)) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    n = input.ndim
    src = _unique_dims(src, n)
    dst = _unique_dims(dst, n)
    perm: list = [None] * n
    for s, d in zip(src, dst, strict=True):
        perm[d] = s
    rest = iter(i for i in range(n) if i not in src)
    perm = [next(rest) if p is None else p for p in perm]
    return permute(input, tuple(perm))


def _T(self: Tensor) -> Tensor:  # noqa: N802 - PyTorch's name
    n = self.ndim
    if n == 0:
        warnings.warn(
            "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
            UserWarning,
            stacklevel=2,
        )
    elif n != 2:
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to "
            "reverse the dimensions of a tensor.",
            UserWarning,
            stacklevel=2,
        )
    return permute(self, tuple(reversed(range(n))))


def _mT(self: Tensor) -> Tensor:  # noqa: N802 - PyTorch's name
    if self.ndim < 2:
        raise RuntimeError(
            f"tensor.mT is only supported on matrices or batches of matrices. Got "
            f"{self.ndim}-D tensor. hint: unsqueeze a vector to a (1, n) or (n, 1) matrix first"
        )
    return transpose(self, -2, -1)


def t(input: Tensor) -> Tensor:
    """Transpose a matrix; 0-d and 1-d tensors are returned as they are (as views)."""
    if input.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D; hint: use "
            "x.mT or x.transpose(-2, -1) for a batch of matrices"
        )
    return transpose(input, 0, -1 if input.ndim else 0)


# --------------------------------------------------------------------------------------------
# squeeze / unsqueeze / flatten / unflatten.


def _squeeze_axes(shape: tuple, dim: Any) -> tuple:
    n = len(shape)
    if dim is None:
        dims: tuple = tuple(range(n))
    elif isinstance(dim, (tuple, list)):
        dims = tuple(_axis(int(d), n) for d in dim)
    else:
        dims = (_axis(int(dim), n),)
    return tuple(d for d in sorted(set(dims)) if n and shape[d] == 1)


def _squeeze_fwd(xp: Any, x: Any, *, dim: Any = None) -> Any:
    axes = _squeeze_axes(tuple(x.shape), dim)
    if not axes:
        return x[...]
    return xp.squeeze(x, axis=axes)


_squeeze = def_op(
    "squeeze",
    forward=_squeeze_fwd,
    vjp=lambda g, ans, x, *, dim=None: g.reshape(x.shape),
    jvp="linear",
    params=(("dim", None),),
    save=None,
    view=True,
    method=False,
    export=False,
    backward_name="SqueezeBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (1, 3, 1), dt),), {}),
        Sample((rand(rng, (1, 3, 1), dt),), {"dim": -1}),
        Sample((rand(rng, (1, 3, 1), dt),), {"dim": (0, 1)}),
        Sample((rand(rng, (2, 3), dt),), {"dim": 0}),
    ],
    ref=lambda x, dim=None: np.squeeze(x, _squeeze_axes(x.shape, dim)),
    doc="Remove dims of size 1 (all, or those in ``dim``); other dims in ``dim`` stay.",
)


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """A view without the dims of size 1 (all of them, or those named by ``dim``).

    Example:
        >>> import ndgrad
        >>> ndgrad.zeros(1, 3, 1).squeeze().shape
        ndgrad.Size([3])
    """
    n = input.ndim
    if dim is not None:
        dim = _unique_dims(dim, n) if isinstance(dim, (tuple, list)) else wrap_dim(dim, n)
    return _view_op(TABLE["squeeze"], input, {"dim": dim})


def _unsqueeze_fwd(xp: Any, x: Any, *, dim: int) -> Any:
    return xp.expand_dims(x, axis=dim % (x.ndim + 1))


_unsqueeze = def_op(
    "unsqueeze",
    forward=_unsqueeze_fwd,
    vjp=lambda g, ans, x, *, dim: g.reshape(x.shape),
    jvp="linear",
    params=(("dim", 0),),
    save=None,
    view=True,
    method=False,
    export=False,
    backward_name="UnsqueezeBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt),), {"dim": 1}),
        Sample((rand(rng, (2, 3), dt),), {"dim": -1}),
        Sample((rand(rng, (), dt),), {"dim": 0}),
    ],
    ref=lambda x, dim: np.expand_dims(x, dim),
    doc="Insert a dim of size 1 at ``dim`` (a view).",
)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """A view with a new dim of size 1 at ``dim`` (in [-ndim-1, ndim])."""
    return _view_op(TABLE["unsqueeze"], input, {"dim": wrap_dim(dim, input.ndim, 1)})


def _flat_shape(shape: tuple, start_dim: int, end_dim: int) -> tuple:
    n = len(shape)
    if n == 0:
        return (1,)
    s, e = _axis(start_dim, n), _axis(end_dim, n)
    size = 1
    for v in shape[s : e + 1]:
        size *= v
    return (*shape[:s], size, *shape[e + 1 :])


def _flatten_fwd(xp: Any, x: Any, *, start_dim: int = 0, end_dim: int = -1) -> Any:
    return xp.reshape(x, _flat_shape(tuple(x.shape), start_dim, end_dim))


_flatten = def_op(
    "flatten",
    forward=_flatten_fwd,
    vjp=lambda g, ans, x, *, start_dim=0, end_dim=-1: g.reshape(x.shape),
    jvp="linear",
    params=(("start_dim", 0), ("end_dim", -1)),
    save=None,
    view=True,
    method=False,
    export=False,
    backward_name="ViewBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3, 4), dt),), {}),
        Sample((rand(rng, (2, 3, 4), dt),), {"start_dim": 1}),
        Sample((rand(rng, (2, 3, 4, 1), dt),), {"start_dim": 0, "end_dim": -2}),
        Sample((rand(rng, (), dt),), {}),
    ],
    ref=lambda x, start_dim=0, end_dim=-1: np.reshape(x, _flat_shape(x.shape, start_dim, end_dim)),
    doc="Merge dims ``start_dim``..``end_dim`` into one (a view when the layout allows).",
)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim`` to ``end_dim`` into one; a 0-d tensor becomes 1-d.

    Example:
        >>> import ndgrad
        >>> ndgrad.zeros(2, 3, 4).flatten(1).shape
        ndgrad.Size([2, 12])
    """
    n = input.ndim
    s, e = wrap_dim(start_dim, n), wrap_dim(end_dim, n)
    if s > e:
        raise RuntimeError(
            "flatten() has invalid args: start_dim cannot come after end_dim; hint: "
            f"got start_dim={start_dim}, end_dim={end_dim} for a {n}-d tensor"
        )
    if n and s == e:
        return input
    return _view_op(TABLE["flatten"], input, {"start_dim": s, "end_dim": e}, check=True)


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one of them may be -1)."""
    n = input.ndim
    d = wrap_dim(dim, n)
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    shape = tuple(input.shape)
    if -1 not in sizes and known != shape[d]:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
            f"({shape[d]}) in the input tensor"
        )
    return reshape(input, (*shape[:d], *sizes, *shape[d + 1 :]))


# --------------------------------------------------------------------------------------------
# The transpose of indexing, and narrow / select.


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


def _narrow_key(ndim: int, dim: int, start: int, length: int) -> tuple:
    return (*(slice(None),) * _axis(dim, ndim), slice(start, start + length), Ellipsis)


def _narrow_fwd(xp: Any, x: Any, *, dim: int, start: int, length: int) -> Any:
    d = _axis(dim, x.ndim)
    s = start + x.shape[d] if start < 0 else start
    return x[_narrow_key(x.ndim, d, s, length)]


def _narrow_vjp(g: Tensor, ans: Any, x: Any, *, dim: int, start: int, length: int) -> Tensor:
    d = _axis(dim, x.ndim)
    s = start + x.shape[d] if start < 0 else start
    return index_backward(g, shape=tuple(x.shape), idx=_narrow_key(x.ndim, d, s, length))


_narrow = def_op(
    "narrow",
    forward=_narrow_fwd,
    vjp=_narrow_vjp,
    jvp="linear",
    params=(("dim", 0), ("start", 0), ("length", 0)),
    save=None,
    view=True,
    method=False,
    export=False,
    backward_name="SliceBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (4, 3), dt),), {"dim": 0, "start": 1, "length": 2}),
        Sample((rand(rng, (2, 5), dt),), {"dim": -1, "start": -3, "length": 3}),
        Sample((rand(rng, (3,), dt),), {"dim": 0, "start": 1, "length": 0}),
    ],
    ref=lambda x, dim, start, length: _narrow_fwd(np, x, dim=dim, start=start, length=length),
    doc="Elements ``start`` .. ``start + length`` along ``dim`` (a view).",
)


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """A view of ``length`` elements along ``dim`` from ``start`` (which may be negative).

    Example:
        >>> import ndgrad
        >>> ndgrad.arange(5.0).narrow(0, 1, 3)
        tensor([1., 2., 3.])
    """
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.ndim)
    size = input.shape[d]
    start, length = operator.index(start), operator.index(length)
    if not -size <= start <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {start})"
        )
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _view_op(TABLE["narrow"], input, {"dim": d, "start": start, "length": length})


def _select_key(ndim: int, dim: int, index: int) -> tuple:
    return (*(slice(None),) * _axis(dim, ndim), index, Ellipsis)


def _select_fwd(xp: Any, x: Any, *, dim: int, index: int) -> Any:
    return x[_select_key(x.ndim, dim, index)]


def _select_vjp(g: Tensor, ans: Any, x: Any, *, dim: int, index: int) -> Tensor:
    return index_backward(g, shape=tuple(x.shape), idx=_select_key(x.ndim, dim, index))


_select = def_op(
    "select",
    forward=_select_fwd,
    vjp=_select_vjp,
    jvp="linear",
    params=(("dim", 0), ("index", 0)),
    save=None,
    view=True,
    method=False,
    export=False,
    backward_name="SelectBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (4, 3), dt),), {"dim": 0, "index": 2}),
        Sample((rand(rng, (2, 5), dt),), {"dim": -1, "index": -1}),
        Sample((rand(rng, (3,), dt),), {"dim": 0, "index": 1}),
    ],
    ref=lambda x, dim, index: np.take(x, index, axis=dim),
    doc="The slice at ``index`` along ``dim``, which is removed (a view).",
)


def select(input: Tensor, dim: int, index: Any) -> Tensor:
    """A view of the slice at ``index`` along ``dim`` (that dim is removed)."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, input.ndim)
    size = input.shape[d]
    i = operator.index(index)
    if not -size <= i < size:
        raise IndexError(
            f"select(): index {i} out of range for tensor of size {list(input.shape)} at "
            f"dimension {d}"
        )
    return _view_op(TABLE["select"], input, {"dim": d, "index": i % size})


# --------------------------------------------------------------------------------------------
# split / chunk / unbind: tuples of views, each with its own node.


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes.

    Example:
        >>> import ndgrad
        >>> [p.shape[0] for p in ndgrad.arange(5.0).split(2)]
        [2, 2, 1]
    """
    if tensor.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, tensor.ndim)
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [operator.index(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}"
            )
    else:
        size = operator.index(split_size_or_sections)
        if size < 0:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={size}"
            )
        if size == 0 and n != 0:
            raise RuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
            )
        sizes = [0] if n == 0 else [min(size, n - s) for s in range(0, n, size)]
    out = []
    start = 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return tuple(out)


def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple:
    """:func:`split` with a list of sizes."""
    return split(input, list(split_sizes), dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """At most ``chunks`` pieces of equal size ``ceil(n / chunks)`` along ``dim``."""
    chunks = operator.index(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    n = input.shape[wrap_dim(dim, input.ndim)]
    if n == 0:
        return split(input, [0] * chunks, dim)
    return split(input, (n + chunks - 1) // chunks, dim)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along ``dim``, as a tuple of views without that dim."""
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, input.ndim)
    return tuple(select(input, d, i) for i in range(input.shape[d]))


# --------------------------------------------------------------------------------------------
# cat / stack: ops with any number of inputs. The rule of position i is made on demand and kept
# in ``op.vjp`` (a plain tuple, grown by ``_grow``), so the engine's ``op.vjp[i]`` works as for
# any op.


def _grow(op: OpDef, n: int, make: Callable[[int], Callable[..., Any]]) -> None:
    have = len(op.vjp)
    if n > have:
        op.vjp = op.vjp + tuple(make(i) for i in range(have, n))


def _legacy_empty(shape: tuple, others_ndim: int) -> bool:
    """PyTorch's cat skips 1-d empty tensors when the others have more dims."""
    return len(shape) == 1 and shape[0] == 0 and others_ndim != 1


def _cat_fwd(xp: Any, *arrays: Any, dim: int = 0) -> Any:
    nd = max(a.ndim for a in arrays)
    keep = [a for a in arrays if not _legacy_empty(tuple(a.shape), nd)] or list(arrays[:1])
    return xp.concat(keep, axis=dim)


def _cat_rule(i: int) -> Callable[..., Any]:
    def rule(g: Tensor, ans: Any, *xs: Any, dim: int = 0) -> Tensor:
        nd = g.ndim
        if _legacy_empty(tuple(xs[i].shape), nd):
            return _narrow(_reshape(g, shape=(-1,)), dim=0, start=0, length=0)
        d = _axis(dim, nd)
        start = sum(x.shape[d] for x in xs[:i] if not _legacy_empty(tuple(x.shape), nd))
        return _narrow(g, dim=d, start=start, length=xs[i].shape[d])

    return rule


def _cat_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        Sample((rand(rng, (2, 3), dt), rand(rng, (1, 3), dt)), {"dim": 0}),
        Sample((rand(rng, (2, 3), dt), rand(rng, (2, 1), dt), rand(rng, (2, 2), dt)), {"dim": -1}),
        Sample((rand(rng, (3,), dt),), {"dim": 0}),
        Sample((rand(rng, (2, 3), dt), rand(rng, (0,), dt)), {"dim": 1}),
    ]


_cat_op_fn = def_op(
    "cat",
    forward=_cat_fwd,
    vjp=_cat_rule(0),
    jvp="linear",
    inputs=("tensors",),
    params=(("dim", 0),),
    save=None,
    promote="binary",
    method=False,
    export=False,
    backward_name="CatBackward0",
    samples=_cat_samples,
    ref=lambda *arrays, dim=0: np.concatenate(
        [a for a in arrays if not _legacy_empty(a.shape, max(b.ndim for b in arrays))], dim
    ),
    torch=lambda *ts, dim=0: __import__("torch").cat(ts, dim),
    doc="Concatenate along ``dim``. The gradient of each input is its slice of ``g``.",
)
_CAT = TABLE["cat"]
del _cat_op_fn


def _cat_apply(*tensors: Any, dim: int = 0) -> Tensor:
    _grow(_CAT, len(tensors), _cat_rule)
    return apply(_CAT, tensors, {"dim": dim})


_CAT.fn = _cat_apply


def _tensor_list(tensors: Any, who: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{who}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
            f"{type(tensors).__name__}; hint: pass a list, e.g. ndgrad.{who}([a, b])"
        )
    if len(tensors) == 0:
        raise ValueError(f"torch.{who}(): expected a non-empty list of Tensors")
    out = []
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}; "
                "hint: wrap it with ndgrad.tensor(...)"
            )
        out.append(t)
    return out


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate ``tensors`` along ``dim`` (1-d empty tensors are skipped, as in PyTorch).

    Example:
        >>> import ndgrad
        >>> ndgrad.cat([ndgrad.zeros(2, 3), ndgrad.ones(1, 3)]).shape
        ndgrad.Size([3, 3])
    """
    ts = _tensor_list(tensors, "cat")
    nd = max(t.ndim for t in ts)
    kept = [(i, t) for i, t in enumerate(ts) if not _legacy_empty(tuple(t.shape), nd)]
    if not kept:
        kept = [(0, ts[0])]
    i0, first = kept[0]
    if first.ndim == 0:
        raise RuntimeError(
            f"zero-dimensional tensor (at position {i0}) cannot be concatenated; hint: "
            "unsqueeze it to 1-d, or use ndgrad.stack"
        )
    d = wrap_dim(dim, first.ndim)
    ref = tuple(first.shape)
    for i, t in kept[1:]:
        if t.ndim != first.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {first.ndim} and {t.ndim}"
            )
        for k, (a, b) in enumerate(zip(ref, t.shape, strict=True)):
            if k != d and a != b:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {a} "
                    f"but got size {b} for tensor number {i} in the list."
                )
    return _cat_apply(*ts, dim=d)


def concat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Alias of :func:`cat`."""
    return cat(tensors, dim)


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Alias of :func:`cat` (NumPy's name and ``axis`` keyword)."""
    return cat(tensors, axis)


def _stack_rule(i: int) -> Callable[..., Any]:
    def rule(g: Tensor, ans: Any, *xs: Any, dim: int = 0) -> Tensor:
        return _select(g, dim=_axis(dim, g.ndim), index=i)

    return rule


_stack_op_fn = def_op(
    "stack",
    forward=lambda xp, *arrays, dim=0: xp.stack(arrays, axis=dim),
    vjp=_stack_rule(0),
    jvp="linear",
    inputs=("tensors",),
    params=(("dim", 0),),
    save=None,
    promote="binary",
    method=False,
    export=False,
    backward_name="StackBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt), rand(rng, (2, 3), dt)), {"dim": 0}),
        Sample((rand(rng, (2, 3), dt), rand(rng, (2, 3), dt), rand(rng, (2, 3), dt)), {"dim": -1}),
        Sample((rand(rng, (), dt), rand(rng, (), dt)), {"dim": 0}),
    ],
    ref=lambda *arrays, dim=0: np.stack(arrays, dim),
    torch=lambda *ts, dim=0: __import__("torch").stack(ts, dim),
    doc="Stack along a new dim ``dim``. The gradient of input i is ``g.select(dim, i)``.",
)
_STACK = TABLE["stack"]
del _stack_op_fn


def _stack_apply(*tensors: Any, dim: int = 0) -> Tensor:
    _grow(_STACK, len(tensors), _stack_rule)
    return apply(_STACK, tensors, {"dim": dim})


_STACK.fn = _stack_apply


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Stack tensors of equal shape along a new dim ``dim``.

    Example:
        >>> import ndgrad
        >>> ndgrad.stack([ndgrad.zeros(2, 3), ndgrad.ones(2, 3)], dim=1).shape
        ndgrad.Size([2, 2, 3])
    """
    ts = _tensor_list(tensors, "stack")
    ref = tuple(ts[0].shape)
    for i, t in enumerate(ts[1:], 1):
        if tuple(t.shape) != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                f"and {list(t.shape)} at entry {i}"
            )
    return _stack_apply(*ts, dim=wrap_dim(dim, len(ref), 1))


# --------------------------------------------------------------------------------------------
# repeat / flip: copies.


def _repeat_fwd(xp: Any, x: Any, *, repeats: tuple) -> Any:
    lead = len(repeats) - x.ndim
    x = xp.reshape(x, (1,) * lead + tuple(x.shape))
    return xp.tile(x, repeats) if repeats else _copy(xp, x)


def _repeat_vjp(g: Tensor, ans: Any, x: Any, *, repeats: tuple) -> Tensor:
    if not repeats:
        return g
    shape = (1,) * (len(repeats) - x.ndim) + tuple(x.shape)
    split_shape: list = []
    for r, s in zip(repeats, shape, strict=True):
        split_shape += [r, s]
    summed = g.reshape(tuple(split_shape)).sum(dim=tuple(range(0, 2 * len(shape), 2)))
    return summed.reshape(x.shape)


_repeat = def_op(
    "repeat",
    forward=_repeat_fwd,
    vjp=_repeat_vjp,
    jvp="linear",
    params=(("repeats", ()),),
    save=None,
    method=False,
    export=False,
    backward_name="RepeatBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt),), {"repeats": (2, 1)}),
        Sample((rand(rng, (3,), dt),), {"repeats": (2, 2)}),
        Sample((rand(rng, (2, 1), dt),), {"repeats": (1, 3, 2)}),
        Sample((rand(rng, (), dt),), {"repeats": (3,)}),
    ],
    ref=lambda x, repeats: np.tile(x, repeats),
    torch=lambda x, repeats: x.repeat(repeats),
    doc="Tile the tensor ``repeats`` times along each dim (new leading dims allowed). The "
    "gradient sums the copies.",
)


def repeat(self: Tensor, *sizes: Any) -> Tensor:
    """The tensor tiled ``sizes`` times along each dim (``len(sizes) >= ndim``).

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([1.0, 2.0]).repeat(2)
        tensor([1., 2., 1., 2.])
    """
    reps = size_arg(sizes)
    if len(reps) < self.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            f"of tensor; hint: got {len(reps)} repeat(s) for a {self.ndim}-d tensor, pass one "
            "per dim"
        )
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(reps)}")
    return _repeat(self, repeats=reps)


def _flip_fwd(xp: Any, x: Any, *, dims: tuple) -> Any:
    if not dims or x.ndim == 0:
        return _copy(xp, x)
    return _copy(xp, xp.flip(x, axis=tuple(_axis(d, x.ndim) for d in dims)))


_flip = def_op(
    "flip",
    forward=_flip_fwd,
    vjp=lambda g, ans, x, *, dims: _flip(g, dims=dims),
    jvp="linear",
    params=(("dims", ()),),
    save=None,
    method=False,
    export=False,
    backward_name="FlipBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt),), {"dims": (0,)}),
        Sample((rand(rng, (2, 3, 4), dt),), {"dims": (-1, 0)}),
        Sample((rand(rng, (3,), dt),), {"dims": ()}),
    ],
    ref=lambda x, dims: np.flip(x, dims) if dims else x.copy(),
    doc="Reverse the order of elements along ``dims`` (a copy, as in PyTorch).",
)


def flip(input: Tensor, *dims: Any) -> Tensor:
    """A copy with the elements along ``dims`` in reverse order."""
    return _flip(input, dims=_unique_dims(_dims_arg(dims), input.ndim))


def fliplr(input: Tensor) -> Tensor:
    """Flip the columns (dim 1) of a tensor with at least 2 dims."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Flip the rows (dim 0) of a tensor with at least 1 dim."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


# --------------------------------------------------------------------------------------------
# Public names and Tensor methods.

_FUNCS = {
    "transpose": transpose,
    "swapaxes": swapaxes,
    "swapdims": swapdims,
    "permute": permute,
    "movedim": movedim,
    "moveaxis": movedim,
    "squeeze": squeeze,
    "unsqueeze": unsqueeze,
    "flatten": flatten,
    "unflatten": unflatten,
    "narrow": narrow,
    "select": select,
    "split": split,
    "split_with_sizes": split_with_sizes,
    "chunk": chunk,
    "unbind": unbind,
    "cat": cat,
    "concat": concat,
    "concatenate": concatenate,
    "stack": stack,
    "flip": flip,
    "fliplr": fliplr,
    "flipud": flipud,
    "t": t,
}
# Methods: every function but the ones that take a sequence of tensors, plus repeat.
_METHODS = {k: f for k, f in _FUNCS.items() if k not in ("cat", "concat", "concatenate", "stack")}
_METHODS["repeat"] = repeat
EXPORTS.update(_FUNCS)
for _n, _f in _METHODS.items():
    attach_method(_n, _f)
Tensor.T = property(_T)
Tensor.mT = property(_mT)

__all__ = sorted(k for k in EXPORTS)
