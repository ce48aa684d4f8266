"""The rest of the Tensor's methods: memory facts (``stride``, ``storage_offset``, ``data_ptr``,
``is_contiguous``, ...), ``contiguous``/``cpu``/``type``, comparisons of whole tensors
(``allclose``, ``equal``, ``isclose``), truth reductions (``any``, ``all``, ``count_nonzero``),
positions (``nonzero``, ``argwhere``) and counting (``unique``, ``unique_consecutive``,
``bincount``, ``histc``, ``searchsorted``, ``bucketize``).

None of these is differentiable (their results are bools, integers or counts; ``unique`` and
``histc`` are piecewise constant), so they are plain functions: they compute on the host (the
counting ones) or with ``xp`` and return tensors that do not require grad, as PyTorch's do.
The float predicates (``isnan``, ``isinf``, ...) and ``nan_to_num`` are records in pointwise.py.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.tensor import Tensor, make
from ._real import complex_name
from .registry import EXPORTS, attach_method, to_tensor

__all__ = [
    "all",
    "allclose",
    "any",
    "argwhere",
    "bincount",
    "bucketize",
    "count_nonzero",
    "equal",
    "histc",
    "isclose",
    "nonzero",
    "searchsorted",
    "unique",
    "unique_consecutive",
]


def _np(t: Any) -> np.ndarray:
    return _backend.to_numpy(to_tensor(t)._data)


def _like(a: np.ndarray, t: Tensor) -> Tensor:
    """A NumPy result as a tensor on ``t``'s backend."""
    return make(_backend.asarray(_backend.namespace(t._data), np.array(a)))


def _dims(dim: Any, ndim: int) -> tuple | None:
    if dim is None:
        return None
    from .shape import wrap_dim

    ds = dim if isinstance(dim, (tuple, list)) else (dim,)
    return tuple(wrap_dim(d, builtins.max(ndim, 1)) for d in ds) if ndim else ()


# --------------------------------------------------------------------------------------------
# Memory facts.

_TYPE_NAMES = {
    "float16": "HalfTensor",
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "bfloat16": "BFloat16Tensor",
    "int8": "CharTensor",
    "int16": "ShortTensor",
    "int32": "IntTensor",
    "int64": "LongTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
    "complex64": "ComplexFloatTensor",
    "complex128": "ComplexDoubleTensor",
}
_TYPE_DTYPES = {v: k for k, v in _TYPE_NAMES.items()}


def _ndarray(t: Tensor) -> np.ndarray | None:
    d = t._data
    return d if isinstance(d, np.ndarray) else None


def stride(self: Tensor, dim: int | None = None) -> Any:
    """Steps in elements between neighbours along each dim (NumPy's strides / itemsize).

    Example:
        >>> import ndgrad
        >>> ndgrad.zeros(3, 4).t().stride()
        (1, 4)
    """
    a = _ndarray(self)
    if a is None:  # a backend that hides its layout: the C-contiguous strides
        st, acc = [], 1
        for s in reversed(tuple(self.shape)):
            st.append(acc)
            acc *= builtins.max(s, 1)
        out = tuple(reversed(st))
    else:
        out = tuple(s // a.itemsize for s in a.strides)
    if dim is None:
        return out
    from .shape import wrap_dim

    return out[wrap_dim(dim, self.ndim)]


def is_contiguous(self: Tensor, memory_format: Any = None) -> bool:
    """True when the elements lie in memory in row-major order without gaps."""
    a = _ndarray(self)
    return True if a is None else bool(a.flags["C_CONTIGUOUS"])


def data_ptr(self: Tensor) -> int:
    """The address of the first element (0 on backends that hide it)."""
    a = _ndarray(self)
    return 0 if a is None else int(a.__array_interface__["data"][0])


def storage_offset(self: Tensor) -> int:
    """How many elements the first element lies after the start of the memory it shares.

    Example:
        >>> import ndgrad
        >>> ndgrad.arange(12.0).reshape(3, 4)[1:, 1:].storage_offset()
        5
    """
    a = _ndarray(self)
    if a is None:
        return 0
    root = a
    while isinstance(root.base, np.ndarray):
        root = root.base
    start = int(root.__array_interface__["data"][0])
    if root.size and builtins.any(s < 0 for s in root.strides):  # a flipped owner: its lowest byte
        start += builtins.sum((n - 1) * s for n, s in zip(root.shape, root.strides) if s < 0)
    return (data_ptr(self) - start) // a.itemsize


def element_size(self: Tensor) -> int:
    """Bytes per element."""
    return int(np.dtype(_dt.from_np_dtype(self._data.dtype).np).itemsize)


def _nbytes(self: Tensor) -> int:
    return self.numel() * element_size(self)


def contiguous(self: Tensor, memory_format: Any = None) -> Tensor:
    """``self`` if it is contiguous, else a contiguous copy (recorded, as PyTorch's
    ``CloneBackward0``)."""
    if is_contiguous(self):
        return self
    return EXPORTS["clone"](self)


def cpu(self: Tensor, memory_format: Any = None) -> Tensor:
    """``self`` on the CPU (``self`` itself when it is there already, as PyTorch)."""
    if self.device.type == "cpu":
        return self
    return self.to("cpu")


def type(self: Tensor, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:  # noqa: A001
    """Without ``dtype``: the type name as PyTorch spells it, e.g. ``'torch.FloatTensor'``
    (PyTorch's string, not ``'ndgrad....'``, so scripts that compare it keep working). With
    ``dtype`` (a dtype or such a string): ``self`` cast to it.

    Example:
        >>> import ndgrad
        >>> ndgrad.ones(2).type()
        'torch.FloatTensor'
        >>> ndgrad.ones(2).type(ndgrad.float64).dtype
        ndgrad.float64
    """
    if dtype is None:
        return "torch." + _TYPE_NAMES.get(self.dtype.name, self.dtype.name)
    if isinstance(dtype, str):
        name = dtype.split(".")[-1]
        if name not in _TYPE_DTYPES:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = _dt.to_dtype(_TYPE_DTYPES[name])
    return self.to(dtype)


# --------------------------------------------------------------------------------------------
# Whole-tensor comparisons.


def isclose(
    input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """``|input - other| <= atol + rtol * |other|`` elementwise, as a bool tensor."""
    a, b = to_tensor(input), to_tensor(other)
    if a.dtype is not b.dtype:
        raise RuntimeError(
            f"{a.dtype} did not match {b.dtype}; hint: convert one of them with .to(dtype)"
        )
    out = np.isclose(_np(a), _np(b), rtol=rtol, atol=atol, equal_nan=equal_nan)
    return _like(np.asarray(out), a)


def allclose(
    input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """True when every element of ``input`` is close to ``other`` (see :func:`isclose`)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input: Any, other: Any) -> bool:
    """True when both have the same shape and the same values."""
    a, b = _np(input), _np(other)
    return a.shape == b.shape and bool(np.array_equal(a, b))


# --------------------------------------------------------------------------------------------
# Truth reductions.


def _truth(name: str, input: Any, dim: Any, keepdim: bool) -> Tensor:
    t = to_tensor(input)
    a = _np(t)
    axes = _dims(dim, a.ndim)
    f = np.any if name == "any" else np.all
    out = f(a != 0, axis=axes, keepdims=keepdim) if axes != () else (a != 0).copy()
    return _like(np.asarray(out), t)


def any(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where some element (along ``dim``, or of the whole tensor) is nonzero."""
    return _truth("any", input, dim, keepdim)


def all(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where every element (along ``dim``, or of the whole tensor) is nonzero."""
    return _truth("all", input, dim, keepdim)


def count_nonzero(input: Any, dim: Any = None) -> Tensor:
    """The number of nonzero elements (along ``dim``), as int64."""
    t = to_tensor(input)
    a = _np(t)
    axes = _dims(dim, a.ndim)
    out = np.count_nonzero(a, axis=axes) if axes != () else (a != 0).astype(np.int64)
    return _like(np.asarray(out, dtype=np.int64), t)


# --------------------------------------------------------------------------------------------
# Positions.


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:
    """The indices of the nonzero elements: an (n, ndim) int64 tensor, or with ``as_tuple`` one
    1-d tensor per dim (what ``x[...]`` takes).

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([[1, 0], [0, 1]]).nonzero()
        tensor([[0, 0],
                [1, 1]])
    """
    t = to_tensor(input)
    a = _np(t)
    if a.ndim == 0:
        a = a.reshape(1)
        if as_tuple:
            return (_like(np.nonzero(a)[0].astype(np.int64), t),)
        return _like(np.zeros((int(a[0] != 0), 0), dtype=np.int64), t)
    idx = np.nonzero(a)
    if as_tuple:
        return tuple(_like(i.astype(np.int64), t) for i in idx)
    return _like(np.stack(idx, axis=1).astype(np.int64), t)


def argwhere(input: Any) -> Tensor:
    """``nonzero(input)``: an (n, ndim) tensor of the indices of the nonzero elements."""
    return nonzero(input)


# --------------------------------------------------------------------------------------------
# Counting.


def _unique_result(
    t: Tensor,
    vals: np.ndarray,
    inv: np.ndarray,
    cnt: np.ndarray,
    ri: bool,
    rc: bool,
    inv_shape: tuple,
) -> Any:
    out = _like(vals.astype(_np(t).dtype, copy=False), t)
    if not (ri or rc):
        return out
    res = [out]
    if ri:
        res.append(_like(inv.reshape(inv_shape).astype(np.int64), t))
    if rc:
        res.append(_like(cnt.astype(np.int64), t))
    return tuple(res)


def _no_complex(kernel: str, *arrays: Any) -> None:
    """PyTorch's error for the ops that sort or bin (unique, histc, searchsorted): complex
    numbers have no order. See Note [Complex numbers have no order] in ops/_real.py."""
    name = complex_name(arrays)
    if name is not None:
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{name}'; hint: complex numbers have no order: "
            "use .real or .abs()"
        )


def unique(
    input: Any,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct elements (or slices along ``dim``), sorted; with ``return_inverse`` the
    index of each input element in them, with ``return_counts`` how often each occurs. (PyTorch
    sorts on the CPU whatever ``sorted`` says; so does ndgrad.)

    Example:
        >>> import ndgrad
        >>> ndgrad.unique(ndgrad.tensor([3, 1, 2, 3, 1]), return_counts=True)
        (tensor([1, 2, 3]), tensor([2, 1, 2]))
    """
    t = to_tensor(input)
    a = _np(t)
    _no_complex("unique" if dim is None else "unique_dim", a)
    if dim is None:
        vals, inv, cnt = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        return _unique_result(t, vals, inv, cnt, return_inverse, return_counts, a.shape)
    from .shape import wrap_dim

    d = wrap_dim(dim, a.ndim)
    vals, inv, cnt = np.unique(a, return_inverse=True, return_counts=True, axis=d)
    return _unique_result(t, vals, inv, cnt, return_inverse, return_counts, (a.shape[d],))


def unique_consecutive(
    input: Any, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
) -> Any:
    """Collapse each run of equal consecutive elements (or slices along ``dim``) to one.

    Example:
        >>> import ndgrad
        >>> ndgrad.unique_consecutive(ndgrad.tensor([1, 1, 2, 2, 3, 1, 1, 2]))
        tensor([1, 2, 3, 1, 2])
    """
    t = to_tensor(input)
    a = _np(t)
    _no_complex("unique" if dim is None else "unique_dim", a)
    if dim is None:
        flat = a.reshape(-1)
        inv_shape: tuple = a.shape
        moved = flat.reshape(-1, 1)
    else:
        from .shape import wrap_dim

        d = wrap_dim(dim, a.ndim)
        moved = np.moveaxis(a, d, 0).reshape(a.shape[d], -1)
        inv_shape = (a.shape[d],)
    n = moved.shape[0]
    change = np.ones(n, dtype=bool)  # True where a run starts
    if n:
        change[1:] = (moved[1:] != moved[:-1]).any(axis=1)
    starts = np.flatnonzero(change)
    inv = np.cumsum(change) - 1
    cnt = np.diff(np.append(starts, n))
    vals = a.reshape(-1)[starts] if dim is None else np.take(a, starts, axis=d)
    return _unique_result(t, vals, inv, cnt, return_inverse, return_counts, inv_shape)


def bincount(input: Any, weights: Any = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, 2, ... occurs in a 1-d non-negative integer tensor (summing
    ``weights`` instead of ones when given)."""
    t = to_tensor(input)
    a = _np(t)
    if a.ndim != 1 or a.dtype.kind not in "iub" or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return _like(np.bincount(a, minlength=minlength).astype(np.int64), t)
    w = to_tensor(weights)
    wa = _np(w)
    if wa.shape != a.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out = np.bincount(a, weights=wa, minlength=minlength)
    keep = wa.dtype if wa.dtype.kind == "f" else np.float64
    return _like(out.astype(keep), t)


def histc(input: Any, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """A histogram of ``bins`` equal bins over [min, max] (the data's range when both are 0);
    elements outside are ignored. Not differentiable, as PyTorch."""
    t = to_tensor(input)
    a = _np(t)
    _no_complex("aminmax_cpu" if min == max == 0 else "histogram_cpu", a)  # the range first
    if a.dtype.kind not in "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{t.dtype.name}'")
    if bins <= 0:
        raise RuntimeError("torch.histc(): bins must be > 0")
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc(): max must be larger than min")
    out, _ = np.histogram(a.reshape(-1), bins=bins, range=(lo, hi))
    return _like(out.astype(a.dtype), t)


def searchsorted(
    sorted_sequence: Any,
    input: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Any = None,
) -> Tensor:
    """For each value of ``input``, the index where it would be inserted into the (last dim of)
    ``sorted_sequence`` to keep it sorted; ``right``/``side='right'``: after equal elements.

    Example:
        >>> import ndgrad
        >>> ndgrad.searchsorted(ndgrad.tensor([1, 3, 5, 7]), ndgrad.tensor([3, 6, 9]))
        tensor([1, 3, 4])
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(
                f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
            )
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of left "
                "while right was True"
            )
        right = side == "right"
    s = to_tensor(sorted_sequence)
    seq = _np(s)
    scalar = isinstance(input, (int, float, bool))
    vals = np.asarray(input) if scalar else _np(input)
    order = None if sorter is None else _np(sorter)
    _no_complex("searchsorted_out_cpu", seq, vals)
    how = "right" if right else "left"
    if seq.ndim <= 1:
        seq1 = seq.reshape(-1)
        if order is not None:
            seq1 = seq1[order]
        out = np.searchsorted(seq1, vals, side=how)
    else:
        if vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(seq.shape)} and input value tensor {list(vals.shape)}"
            )
        rows = seq.reshape(-1, seq.shape[-1])
        vrows = vals.reshape(rows.shape[0], -1)
        orows = None if order is None else order.reshape(rows.shape)
        out = np.stack(
            [
                np.searchsorted(r if orows is None else r[orows[i]], v, side=how)
                for i, (r, v) in enumerate(zip(rows, vrows))
            ]
        ).reshape(vals.shape)
    return _like(np.asarray(out).astype(np.int32 if out_int32 else np.int64), s)


def bucketize(
    input: Any, boundaries: Any, *, out_int32: bool = False, right: bool = False
) -> Tensor:
    """The bucket of each element: ``i`` with boundaries[i-1] < x <= boundaries[i]
    (``right=True``: boundaries[i-1] <= x < boundaries[i]); ``boundaries`` is 1-d and sorted."""
    b = to_tensor(boundaries)
    if b.ndim != 1:
        raise RuntimeError(
            f"boundaries tensor must be 1 dimension, but got dim({b.ndim}); hint: use "
            "searchsorted for several rows of boundaries"
        )
    return searchsorted(b, input, out_int32=out_int32, right=right)


# --------------------------------------------------------------------------------------------
# Public names and Tensor methods.

_FUNCS = {
    "isclose": isclose,
    "allclose": allclose,
    "equal": equal,
    "any": any,
    "all": all,
    "count_nonzero": count_nonzero,
    "nonzero": nonzero,
    "argwhere": argwhere,
    "unique": unique,
    "unique_consecutive": unique_consecutive,
    "bincount": bincount,
    "histc": histc,
    "searchsorted": searchsorted,
    "bucketize": bucketize,
}
EXPORTS.update(_FUNCS)
for _n, _f in _FUNCS.items():
    if _n not in ("searchsorted", "bucketize"):  # no Tensor methods in PyTorch either
        attach_method(_n, _f)
for _n, _f in (
    ("stride", stride),
    ("is_contiguous", is_contiguous),
    ("data_ptr", data_ptr),
    ("storage_offset", storage_offset),
    ("element_size", element_size),
    ("contiguous", contiguous),
    ("cpu", cpu),
    ("type", type),
):
    attach_method(_n, _f)
Tensor.nbytes = property(_nbytes, doc="Bytes the elements take: numel() * element_size().")
Tensor.itemsize = property(element_size, doc="Bytes per element (element_size()).")


# --------------------------------------------------------------------------------------------
# Layout and kind facts PyTorch code asks about (ndgrad tensors are dense and strided), the
# conjugate transposes, legacy ``new`` and ``clone(memory_format=)``.


class layout:  # noqa: N801 - PyTorch's name
    """A tensor layout (``ndgrad.strided``: the only one ndgrad has, dense and strided)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ndgrad.{self.name}"


strided = layout("strided")
EXPORTS["strided"] = strided
EXPORTS["layout"] = layout


def _false(self: Tensor) -> bool:
    return False


for _flag in (
    "is_sparse", "is_sparse_csr", "is_quantized", "is_meta", "is_nested", "is_mkldnn", "is_xla",
    "is_mps", "is_xpu", "is_ipu", "is_vulkan", "is_maia", "is_mtia",
):  # fmt: skip
    setattr(Tensor, _flag, property(_false, doc="False: ndgrad tensors are dense, on the host."))
Tensor.is_cpu = property(lambda self: self.device.type == "cpu", doc="True on the CPU.")
Tensor.layout = property(lambda self: strided, doc="``ndgrad.strided``.")


def _mH(self: Tensor) -> Tensor:  # noqa: N802 - PyTorch's name
    """The conjugate transpose of the last two dimensions (``x.mT.conj()``)."""
    return self.transpose(-2, -1).conj()


def _H(self: Tensor) -> Tensor:  # noqa: N802 - PyTorch's name
    if self.ndim not in (0, 2):
        raise RuntimeError(
            f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor.; "
            "hint: use x.mH for the conjugate transpose of the last two dimensions"
        )
    return self.conj() if self.ndim == 0 else self.t().conj()


Tensor.mH = property(_mH, doc=_mH.__doc__)
Tensor.H = property(_H, doc="The conjugate transpose of a matrix.")
attach_method("adjoint", _mH)


def get_device(self: Tensor) -> int:
    """-1 on the CPU (PyTorch's convention), else the device index."""
    return -1 if self.device.type == "cpu" else (self.device.index or 0)


def is_signed(self: Tensor) -> bool:
    """True for a signed dtype (floating, complex, and the signed integers)."""
    d = self.dtype
    return d.is_floating_point or d.is_complex or d.name.startswith("int")


def is_same_size(self: Tensor, other: Tensor) -> bool:
    return tuple(self.shape) == tuple(other.shape)


def new(self: Tensor, *args: Any) -> Tensor:
    """Legacy ``x.new(...)``: ``new()`` an empty tensor, ``new(2, 3)`` (or a ``Size``) an
    uninitialised one of that size, ``new(data)`` a tensor of ``data``; ``self``'s dtype."""
    from .._core.factories import empty, tensor

    if not args:
        return empty(0, dtype=self.dtype)
    if builtins.all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        return empty(*args, dtype=self.dtype)
    from .._core.tensor import Size

    if len(args) == 1 and isinstance(args[0], Size):  # a size; a tuple of numbers is data
        return empty(args[0], dtype=self.dtype)
    return tensor(args[0], dtype=self.dtype)


for _n, _f in (
    ("get_device", get_device),
    ("is_signed", is_signed),
    ("is_same_size", is_same_size),
    ("new", new),
):
    attach_method(_n, _f)

_clone_fast = EXPORTS["clone"]


def clone(input: Any, *, memory_format: Any = None) -> Tensor:
    """A copy that stays in the graph (``CloneBackward0``). ``memory_format`` is accepted for
    PyTorch's signature: ndgrad's copies are always contiguous, which every format allows."""
    return _clone_fast(input)


clone.__doc__ = _clone_fast.__doc__ or clone.__doc__
EXPORTS["clone"] = clone
attach_method("clone", clone)


def typename(obj: Any) -> str:
    """PyTorch's ``torch.typename``: ``'torch.FloatTensor'`` for a tensor, else the type's
    qualified name."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    name = getattr(obj, "__qualname__", None) or builtins.type(obj).__qualname__
    return f"{module}.{name}" if module not in ("", "builtins") else name


EXPORTS["typename"] = typename
