"""Shape ops: reshape, view, expand, transpose, permute, squeeze, unsqueeze, flatten, narrow,
select, repeat, flip ... (cat, stack, split, chunk, unbind: join.py).

Most are views of their input: they share memory and the version counter, as in PyTorch. The
public functions track each view (``views.track_view``) so that in-place writes through it are
recorded: see Note [Views and in-place writes] in views.py.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._core.tensor import Tensor
from .registry import EXPORTS, TABLE, Sample, attach_method, def_op, def_twin
from .samples import rand
from .views import _copy, _view_op, index_backward

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
    complex=True,  # linear: no conjugation
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
    if res._base is None and res.numel() > 0 and type(res) is Tensor:  # (not a vmap batch)
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
    if xp is np and full[lead:] == x.shape and all(s == 1 for s in full[:lead]):
        # no element repeats (only new dims of size 1): a view that may be written, as PyTorch
        # allows ``y.expand(1, 3).mul_(2)``; NumPy's broadcast_to would be read-only
        return x.reshape(full)
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
    complex=True,  # linear: no conjugation
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
    """A broadcast view to ``sizes`` (-1 keeps a dimension); gradients are summed back.

    A view like any other (see Note [Views and in-place writes] in views.py): after an in-place
    op on ``self`` it sees the new values and their history. Elements that repeat share memory,
    so an in-place op on the expanded tensor itself is refused unless no element repeats.

    Example:
        >>> import ndgrad
        >>> y = ndgrad.zeros(3)
        >>> e = y.expand(2, 3)
        >>> y += 1
        >>> e
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """
    return _view_op(TABLE["expand"], self, {"shape": size_arg(sizes)})


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
    complex=True,  # linear: no conjugation
    forward=_transpose_fwd,
    vjp=lambda g, ans, x, *, dim0, dim1: transpose(g, dim0, dim1),  # tracked: create_graph
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
    return permute(g, tuple(inv))  # the public function: a tracked view under create_graph


_permute = def_op(
    "permute",
    complex=True,  # linear: no conjugation
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
    n = input.ndim
    return _view_op(TABLE["_t"], input, {"dim0": 0, "dim1": 1 if n == 2 else 0})


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
    complex=True,  # linear: no conjugation
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


# PyTorch names each overload's node: squeeze() SqueezeBackward0, squeeze(dim)
# SqueezeBackward1, squeeze(dims) SqueezeBackward2; t() TBackward0.
def_twin("squeeze", "_squeeze_dim", "SqueezeBackward1")
def_twin("squeeze", "_squeeze_dims", "SqueezeBackward2")
def_twin("transpose", "_t", "TBackward0")


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """A view without the dims of size 1 (all of them, or those named by ``dim``).

    Example:
        >>> import ndgrad
        >>> ndgrad.zeros(1, 3, 1).squeeze().shape
        ndgrad.Size([3])
    """
    n = input.ndim
    if dim is None:
        return _view_op(TABLE["squeeze"], input, {"dim": None})
    if isinstance(dim, (tuple, list)):
        return _view_op(TABLE["_squeeze_dims"], input, {"dim": _unique_dims(dim, n)})
    return _view_op(TABLE["_squeeze_dim"], input, {"dim": wrap_dim(dim, n)})


def _unsqueeze_fwd(xp: Any, x: Any, *, dim: int) -> Any:
    return xp.expand_dims(x, axis=dim % (x.ndim + 1))


_unsqueeze = def_op(
    "unsqueeze",
    complex=True,  # linear: no conjugation
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
    complex=True,  # linear: no conjugation
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
# narrow / select.


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
    complex=True,  # linear: no conjugation
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
    complex=True,  # linear: no conjugation
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
    complex=True,  # linear: no conjugation
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
    complex=True,  # linear: no conjugation
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
    "flip": flip,
    "fliplr": fliplr,
    "flipud": flipud,
    "t": t,
}
# Methods: every function, plus repeat (cat and stack, in join.py, take a sequence of tensors).
_METHODS = dict(_FUNCS)
_METHODS["repeat"] = repeat
EXPORTS.update(_FUNCS)
for _n, _f in _METHODS.items():
    attach_method(_n, _f)
Tensor.T = property(_T)
Tensor.mT = property(_mT)

__all__ = sorted(k for k in EXPORTS)
