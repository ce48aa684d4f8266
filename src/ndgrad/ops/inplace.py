"""In-place ops that are not the in-place form of an out-of-place record: ``zero_``, ``fill_``,
``copy_``, and the in-place shape changes (``t_``, ``transpose_``, ``squeeze_``, ``unsqueeze_``,
``swapaxes_``, ``resize_``).

# Note [In-place ops]
Every ``x.op_(...)`` runs ``registry.apply_inplace``: the op is computed out of place, the result
written into ``x``'s memory (its views see it), ``x``'s version counter bumped (a saved ``x`` then
raises in backward), and ``x``'s history moved to the new node; through a view the base records a
``CopySlices`` (See Note [Views and in-place writes] in views.py). PyTorch's leaf checks come
first: under grad mode a leaf that requires grad, or a view of one, refuses the write (do it under
``no_grad()``). ``zero_``, ``fill_`` and ``copy_`` are records of their own here (``ZeroBackward0``,
``FillBackward2``/``3``, ``CopyBackwards``): their gradient to ``x``'s old value is zero, and
``copy_`` sends the gradient to its source, summed back to the source's shape and cast to its
dtype. The shape changes write nothing: ``x`` becomes the view (new shape, the view op's node),
its version is bumped, and a view stays a view of the same base, as in PyTorch.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core import forward_ad as _fw
from .._core.factories import zeros_like
from .._core.tensor import Tensor, make
from . import views as _views
from .registry import (
    EXPORTS,
    TABLE,
    Sample,
    _check_inplace,
    apply,
    apply_inplace,
    attach_method,
    def_op,
)
from .samples import rand

_PY_SCALARS = (bool, int, float, complex)


def _zeros(g: Tensor, *_: Any, **__: Any) -> Tensor:
    return zeros_like(g)


def _full(xp: Any, shape: tuple, value: Any, like: Any) -> Any:
    if xp is np:
        return np.full(shape, value, dtype=like.dtype)
    return xp.full(shape, value, dtype=like.dtype)


def _cast_value(value: Any, dtype: _dt.dtype) -> Any:
    """A Python number as ``dtype`` takes it (floats truncate into integers, as PyTorch)."""
    if isinstance(value, complex) and not dtype.is_complex:
        if value.imag != 0:
            raise RuntimeError(
                f"value cannot be converted to type {dtype.name.replace('float32', 'float')} "
                "without overflow; hint: a complex value fits only a complex tensor"
            )
        value = value.real
    if dtype is _dt.bool_:
        return bool(value)
    if not (dtype.is_floating_point or dtype.is_complex):
        return int(value)
    return value


# --------------------------------------------------------------------------------------------
# zero_ / fill_.

_zero = def_op(
    "_zero",
    api="zero_",
    forward=lambda xp, x: xp.zeros_like(x),
    vjp=_zeros,
    jvp=lambda ts, ans, x: zeros_like(ans),
    save=None,
    method=False,
    export=False,
    backward_name="ZeroBackward0",
    samples=lambda rng, dt: [Sample((rand(rng, (2, 3), dt),)), Sample((rand(rng, (), dt),))],
    ref=np.zeros_like,
    torch=lambda x: x.clone().zero_(),
    doc="Zeros of input's shape and dtype: what ``x.zero_()`` writes. d/dx = 0.",
)

_fill = def_op(
    "fill",
    forward=lambda xp, x, *, value: _full(xp, x.shape, value, x),
    vjp=lambda g, ans, x, *, value: zeros_like(g),
    jvp=lambda ts, ans, x, *, value: zeros_like(ans),
    params=(("value", 0),),
    save=None,
    method=False,
    export=False,
    backward_name="FillBackward2",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt),), {"value": 2.5}),
        Sample((rand(rng, (), dt),), {"value": -1}),
    ],
    ref=lambda x, value: np.full_like(x, value),
    torch=lambda x, value: __import__("torch").fill(x, value),
    complex=True,
    doc="``input``'s shape and dtype, every element ``value`` (a number). d/dinput = 0.",
)


def _fill_tensor_fwd(xp: Any, x: Any, value: Any) -> Any:
    v = value if value.dtype == x.dtype else _astype(xp, value, x)
    return xp.broadcast_to(v, x.shape) + xp.zeros_like(x)


def _astype(xp: Any, a: Any, like: Any) -> Any:
    if xp is np:
        return a.astype(like.dtype)
    return xp.astype(a, like.dtype)


_fill_tensor = def_op(
    "_fill_tensor",
    api="fill_",
    forward=_fill_tensor_fwd,
    vjp=(lambda g, ans, x, value: zeros_like(g), lambda g, ans, x, value: g.sum()),
    jvp="linear",
    inputs=("input", "value"),
    save=None,
    method=False,
    export=False,
    backward_name="FillBackward3",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt), rand(rng, (), dt))),
        Sample((rand(rng, (4,), dt), rand(rng, (), dt))),
    ],
    ref=lambda x, value: np.full_like(x, value),
    torch=lambda x, value: x.clone().fill_(value),
    complex=True,
    doc="``input``'s shape and dtype, every element the 0-d tensor ``value``. d/dinput = 0, "
    "d/dvalue = the sum of g.",
)


def _fill_args(self: Tensor, value: Any, who: str) -> tuple:
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"{who} only supports 0-dimension value tensor but got tensor with {value.ndim} "
                "dimensions."
            )
        return _FILL_TENSOR, (value,), {}
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, _PY_SCALARS):
        raise TypeError(
            f"{who}() received an invalid combination of arguments - got "
            f"({type(value).__name__}), but expected (Number value) or (Tensor value)"
        )
    return _FILL, (), {"value": _cast_value(value, self.dtype)}


def fill_(self: Tensor, value: Any) -> Tensor:
    """Set every element to ``value`` (a number, or a 0-d tensor that may require grad).

    Example:
        >>> import ndgrad
        >>> ndgrad.zeros(3).fill_(2.5)
        tensor([2.5000, 2.5000, 2.5000])
    """
    _check_inplace(self, "fill_()")  # PyTorch's leaf checks, named as the user wrote it
    op, args, params = _fill_args(self, value, "fill_")
    return apply_inplace(op, self, args, params)


def fill(input: Tensor, value: Any) -> Tensor:
    """A tensor like ``input`` with every element ``value`` (``torch.fill``)."""
    op, args, params = _fill_args(input, value, "fill")
    return apply(op, (input, *args), params)


_FILL, _FILL_TENSOR = TABLE["fill"], TABLE["_fill_tensor"]


def zero_(self: Tensor) -> Tensor:
    """Set every element to zero, in place: ``x.grad.zero_()`` between training steps.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.ones(2, requires_grad=True)
        >>> (w * 3).sum().backward()
        >>> w.grad.zero_()
        tensor([0., 0.])
    """
    _check_inplace(self, "zero_()")
    return apply_inplace(_ZERO, self, ())


_ZERO = TABLE["_zero"]

# --------------------------------------------------------------------------------------------
# copy_.


def _copy_fwd(xp: Any, x: Any, src: Any) -> Any:
    if src.dtype != x.dtype:
        if _dt.from_np_dtype(src.dtype).is_complex and not _dt.from_np_dtype(x.dtype).is_complex:
            src = xp.real(src)
        src = _astype(xp, src, x)
    out = xp.broadcast_to(src, x.shape)
    return _backend.backend(xp).copy(out)


_copy = def_op(
    "_copy",
    api="copy_",
    forward=_copy_fwd,
    vjp=(lambda g, ans, x, src: zeros_like(g), lambda g, ans, x, src: g),
    jvp="linear",
    inputs=("input", "src"),
    save=None,
    method=False,
    export=False,
    backward_name="CopyBackwards",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt), rand(rng, (2, 3), dt))),
        Sample((rand(rng, (2, 3), dt), rand(rng, (3,), dt)), name="broadcast src"),
        Sample((rand(rng, (2, 3), dt), rand(rng, (), dt)), name="0-d src"),
    ],
    ref=lambda x, src: np.broadcast_to(src, x.shape).astype(x.dtype),
    torch=lambda x, src: x.clone().copy_(src),
    doc="``src`` broadcast to input's shape and cast to its dtype: what ``x.copy_(src)`` writes."
    " d/dinput = 0; d/dsrc = g, summed back to src's shape and cast to its dtype.",
)


def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` into ``self`` (broadcast to self's shape, cast to its dtype), recording it:
    the gradient flows to ``src``, none to self's old value. ``non_blocking`` is accepted for
    PyTorch's signature: a copy on the host always completes before it returns.

    Example:
        >>> import ndgrad
        >>> src = ndgrad.tensor([1.0, 2.0], requires_grad=True)
        >>> y = ndgrad.zeros(3, 2).copy_(src)
        >>> y.sum().backward()
        >>> src.grad
        tensor([3., 3.])
    """
    if not isinstance(src, Tensor):
        raise TypeError(
            f"copy_(): argument 'other' (position 1) must be Tensor, not {type(src).__name__}; "
            "hint: wrap it first, e.g. x.copy_(ndgrad.tensor(data))"
        )
    shape, sshape = tuple(self.shape), tuple(src.shape)
    try:
        b = np.broadcast_shapes(shape, sshape)
    except ValueError:
        n = max(len(shape), len(sshape))
        ps, pt = (1,) * (n - len(shape)) + shape, (1,) * (n - len(sshape)) + sshape
        d = next(i for i in range(n) if ps[i] != pt[i] and 1 not in (ps[i], pt[i]))
        raise RuntimeError(
            f"The size of tensor a ({ps[d]}) must match the size of tensor b ({pt[d]}) at "
            f"non-singleton dimension {d}"
        ) from None
    if b != shape:
        raise RuntimeError(
            f"output with shape {list(shape)} doesn't match the broadcast shape {list(b)}"
        )
    if src.dtype.is_complex and not self.dtype.is_complex:
        warnings.warn(
            "Casting complex values to real discards the imaginary part", UserWarning, stacklevel=2
        )
    if src is self or (src._data is self._data):
        _check_inplace(self, "copy_()")
        self._bump_version()
        return self
    _check_inplace(self, "copy_()")
    return apply_inplace(_COPY, self, (src,))


_COPY = TABLE["_copy"]

# --------------------------------------------------------------------------------------------
# In-place shape changes: self becomes the view.


def _inverse(name: str, params: dict, old_shape: tuple) -> tuple:
    """The view op that takes the new shape back to the old one (for the live views' paths)."""
    if name == "transpose":
        return ("transpose", params)
    return ("reshape", {"shape": old_shape})


def _view_inplace(self: Tensor, name: str, params: dict, what: str) -> Tensor:
    """``self`` becomes ``op(self)`` (a view op): new shape, the view op's node, version + 1."""
    _check_inplace(self, what)
    old_shape = tuple(self.shape)
    old = make(self._data, self._requires_grad, self._node)
    old._vc = self._shared_vc()
    tangent = None if self._ext is None else self._ext.tangent
    if tangent is not None:
        _fw._set_tangent(old, tangent)
    res = apply(TABLE[name], (old,), params)
    self._data = res._data
    if res._requires_grad:
        self._node = res._node
    self._bump_version()
    if _fw.ACTIVE[0] and res._ext is not None and res._ext.tangent is not None:
        _fw._set_tangent(self, res._ext.tangent)
    e = self._ext
    vo = None if e is None else e.view_of
    if vo is not None:  # a tracked view stays a view of its root, one step further
        e.view_of = (vo[0], (*vo[1], (name, params)), *vo[2:])
    elif self._base is None:  # a root: its live views now reach it through the inverse step
        inv = _inverse(name, params, old_shape)
        for v in _views.live_views(self):
            vvo = v._ext.view_of
            if vvo is not None and vvo[0] is self:
                v._ext.view_of = (self, (inv, *vvo[1]), *vvo[2:])
    return self


def _dim(d: Any, n: int, extra: int = 0) -> int:
    from .shape import wrap_dim

    return wrap_dim(d, n, extra)


def t_(self: Tensor) -> Tensor:
    """Transpose a matrix in place (0-d and 1-d tensors stay as they are)."""
    if self.ndim > 2:
        raise RuntimeError(
            f"t_() expects a tensor with <= 2 dimensions, but self is {self.ndim}D; hint: use "
            "x.transpose_(-2, -1) for a batch of matrices"
        )
    return _view_inplace(self, "transpose", {"dim0": 0, "dim1": -1 if self.ndim else 0}, "t_()")


def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap dims ``dim0`` and ``dim1`` in place (self becomes the transposed view)."""
    n = self.ndim
    params = {"dim0": _dim(dim0, n), "dim1": _dim(dim1, n)}
    return _view_inplace(self, "transpose", params, "transpose_()")


def squeeze_(self: Tensor, dim: Any = None) -> Tensor:
    """Remove dims of size 1 in place (all of them, or those named by ``dim``)."""
    n = self.ndim
    if dim is not None:
        if isinstance(dim, (tuple, list)):
            dim = tuple(sorted({_dim(d, n) for d in dim}))
        else:
            dim = _dim(dim, n)
    return _view_inplace(self, "squeeze", {"dim": dim}, "squeeze_()")


def unsqueeze_(self: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1 at ``dim`` in place."""
    return _view_inplace(self, "unsqueeze", {"dim": _dim(dim, self.ndim, 1)}, "unsqueeze_()")


def resize_(self: Tensor, *sizes: Any, memory_format: Any = None) -> Tensor:
    """Give ``self`` the shape ``sizes``, keeping its first elements (in memory order); new
    elements are uninitialised (zeros here). Refused on tensors that require grad, as PyTorch.
    """
    if memory_format is not None:
        raise NotImplementedError("resize_(): memory_format is not supported by ndgrad")
    if self._requires_grad:
        raise RuntimeError(
            "cannot resize variables that require grad; hint: resize x.detach() or a clone"
        )
    from .shape import size_arg

    shape = tuple(int(s) for s in size_arg(sizes))
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    if shape == tuple(self.shape):
        return self
    data = self._data
    xp = _backend.namespace(data)
    n = int(np.prod(shape)) if shape else 1
    flat = xp.reshape(data, (-1,))
    if n == flat.shape[0]:
        new = xp.reshape(data, shape)
    else:
        new = xp.zeros((n,), dtype=data.dtype)
        k = min(n, flat.shape[0])
        new[:k] = flat[:k]
        new = xp.reshape(new, shape)
    self._data = new
    self._bump_version()
    return self


def resize_as_(self: Tensor, the_template: Tensor, memory_format: Any = None) -> Tensor:
    """``resize_`` to the shape of ``the_template``."""
    return resize_(self, tuple(the_template.shape), memory_format=memory_format)


# --------------------------------------------------------------------------------------------
# Public names and Tensor methods.

for _n, _f in (
    ("zero_", zero_),
    ("fill_", fill_),
    ("copy_", copy_),
    ("t_", t_),
    ("transpose_", transpose_),
    ("swapaxes_", transpose_),
    ("swapdims_", transpose_),
    ("squeeze_", squeeze_),
    ("unsqueeze_", unsqueeze_),
    ("resize_", resize_),
    ("resize_as_", resize_as_),
    ("fill", fill),
):
    attach_method(_n, _f)

# PyTorch's other names of in-place ops the table has.
for _alias, _name_ in (
    ("divide_", "div_"),
    ("true_divide_", "div_"),
    ("multiply_", "mul_"),
    ("subtract_", "sub_"),
    ("negative_", "neg_"),
):
    if hasattr(Tensor, _name_):
        attach_method(_alias, getattr(Tensor, _name_))

EXPORTS.update(fill=fill, fill_=fill_, zero_=zero_)

__all__ = ["copy_", "fill", "fill_", "resize_", "t_", "transpose_", "unsqueeze_", "zero_"]
