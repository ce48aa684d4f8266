"""Tensor creation: ``tensor``, ``zeros``, ``ones``, ``arange``, ``rand`` ... as in PyTorch.

Python numbers and lists become the default dtype (float32) or int64 / bool; NumPy arrays keep
their dtype. Shapes are given as separate ints or one tuple (``()`` included). Random numbers come
from one NumPy ``Generator``, seeded by ``manual_seed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _backend
from . import dtypes as _dt
from .tensor import Tensor, device, make

__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "rand_like",
    "randn_like",
    "arange",
    "linspace",
    "eye",
    "rand",
    "randn",
    "randint",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng",
    "set_default_device",
    "get_default_device",
]

_RNG = [np.random.default_rng(0), 0]
_DEFAULT_DEVICE = [device("cpu")]


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator behind ``rand``/``randn``/``randint`` (a NumPy ``Generator``)."""
    _RNG[0] = np.random.default_rng(int(seed))
    _RNG[1] = int(seed)
    return _RNG[0]


def seed() -> int:
    s = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def initial_seed() -> int:
    return _RNG[1]


def get_rng() -> np.random.Generator:
    return _RNG[0]


def set_default_device(dev: Any) -> None:
    """Set the device factories use when ``device=`` is not given."""
    _DEFAULT_DEVICE[0] = _check_device(dev if dev is not None else "cpu")


def get_default_device() -> device:
    return _DEFAULT_DEVICE[0]


def _check_device(dev: Any) -> device:
    if dev is None:
        return _DEFAULT_DEVICE[0]
    d = dev if isinstance(dev, device) else device(dev)
    if d.type == "cuda":
        from ..cuda import is_available

        if not is_available():
            raise _backend.cuda_not_available()  # an AssertionError, as PyTorch's
    return d


def _place(a: np.ndarray, dev: device) -> Any:
    if dev.type == "cuda":  # pragma: no cover - needs a GPU
        import cupy

        with cupy.cuda.Device(dev.index or 0):
            return cupy.asarray(a)
    return a


def _finish(a: Any, dtype: Any, dev: Any, requires_grad: bool) -> Tensor:
    d = _check_device(dev)
    if dtype is not None:
        npd = _dt.to_np_dtype(dtype)
        if a.dtype != npd:
            a = a.astype(npd)
    t = make(_place(a, d) if isinstance(a, np.ndarray) else a)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer(data: Any) -> np.ndarray:
    """NumPy array for Python data, with PyTorch's dtype inference."""
    if isinstance(data, Tensor):
        return np.array(_backend.to_numpy(data._data), copy=True)
    if isinstance(data, np.ndarray):
        return np.array(data, copy=True)
    if isinstance(data, np.generic):
        return np.asarray(data)
    if isinstance(data, bool):
        return np.asarray(data, dtype=np.bool_)
    if isinstance(data, int):
        return np.asarray(data, dtype=np.int64)
    if isinstance(data, float):
        return np.asarray(data, dtype=_dt.get_default_dtype().np)
    if isinstance(data, complex):
        return np.asarray(data, dtype=_dt.get_default_dtype().to_complex().np)
    if isinstance(data, (list, tuple)):
        flat = _flatten(data)
        a = np.asarray(flat[0] if False else _to_py(data))
        if a.dtype.kind == "f":
            has_np64 = any(isinstance(x, Tensor) and x.dtype is _dt.float64 for x in flat)
            a = a.astype(np.float64 if has_np64 else _dt.get_default_dtype().np)
        elif a.dtype.kind == "c":
            a = a.astype(_dt.get_default_dtype().to_complex().np)
        elif a.dtype.kind in "iu":
            a = a.astype(np.int64)
        elif a.dtype.kind not in "b":
            raise TypeError(
                f"Could not infer dtype of {type(flat[0]).__name__ if flat else 'list'}; "
                "hint: ndgrad.tensor takes numbers, nested lists of numbers, or arrays"
            )
        if a.size == 0 and a.dtype.kind == "f":
            a = a.astype(_dt.get_default_dtype().np)
        return a
    if _backend.is_array(data):
        return data
    raise TypeError(
        f"Could not infer dtype of {type(data).__name__}; hint: ndgrad.tensor takes numbers, "
        "nested lists of numbers, or arrays"
    )


def _flatten(data: Any) -> list:
    out = []
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        else:
            out.append(x)
    return out


def _to_py(data: Any) -> Any:
    """Replace Tensors inside nested lists by their values (iteratively)."""
    if not any(isinstance(x, Tensor) for x in _flatten(data)):
        return data
    return np.asarray(
        [
            np.asarray(x)
            if isinstance(x, Tensor)
            else _to_py(x)
            if isinstance(x, (list, tuple))
            else x
            for x in data
        ]
    )


def tensor(
    data: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A new leaf tensor holding a copy of ``data``.

    Example:
        >>> import ndgrad
        >>> ndgrad.tensor([1.0, 2.0], requires_grad=True)
        tensor([1., 2.], requires_grad=True)
        >>> ndgrad.tensor([1, 2]).dtype
        ndgrad.int64
    """
    if _backend.is_array(data) and not isinstance(data, np.ndarray):
        xp = _backend.namespace(data)
        a = xp.asarray(data, copy=True)
        if dtype is not None:
            a = xp.astype(a, getattr(xp, _dt.to_dtype(dtype).name))
        t = make(a)
        if requires_grad:
            t.requires_grad_(True)
        return t
    if dtype is not None and not isinstance(data, (np.ndarray, Tensor, np.generic)):
        try:  # convert Python data straight to the requested dtype (no float32 detour)
            a = np.array(_to_py(data), dtype=_dt.to_np_dtype(dtype))
        except (TypeError, ValueError):
            a = _infer(data)
        return _finish(a, dtype, device, requires_grad)
    return _finish(_infer(data), dtype, device, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array (or returns a Tensor as it is)."""
    if isinstance(data, Tensor) and dtype is None:
        return data
    if isinstance(data, Tensor):
        return data.to(dtype)
    if _backend.is_array(data):
        t = make(data)
        return t if dtype is None else t.to(dtype)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(a: np.ndarray) -> Tensor:
    """A tensor sharing memory with the NumPy array ``a`` (writes show in both)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(a).__name__})")
    _dt.from_np_dtype(a.dtype)
    return make(a)


def _shape(size: Sequence[Any]) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(
                f"size must be a tuple of ints, but got an element of type {type(s).__name__}"
            )
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return tuple(int(s) for s in size)


def _fdt(dtype: Any) -> np.dtype:
    return (_dt.to_dtype(dtype) if dtype is not None else _dt.get_default_dtype()).np


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _finish(np.zeros(_shape(size), _fdt(dtype)), None, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _finish(np.ones(_shape(size), _fdt(dtype)), None, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (NumPy's ``empty``)."""
    return _finish(np.empty(_shape(size), _fdt(dtype)), None, device, requires_grad)


def full(
    size: Any,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value like PyTorch's."""
    if dtype is None:
        dtype = (
            _dt.bool_
            if isinstance(fill_value, bool)
            else _dt.int64
            if isinstance(fill_value, int)
            else None
        )
    return _finish(np.full(_shape((size,)), fill_value, _fdt(dtype)), None, device, requires_grad)


def _like(t: Tensor, fill: str, dtype: Any, value: Any = None) -> Any:
    xp = _backend.namespace(t._data)
    d = t._data.dtype if dtype is None else _dt.to_np_dtype(dtype)
    if xp is not np:
        d = getattr(xp, _dt.from_np_dtype(d).name)
    shape = t._data.shape
    if fill == "zeros":
        return xp.zeros(shape, dtype=d)
    if fill == "ones":
        return xp.ones(shape, dtype=d)
    if fill == "empty":
        return xp.empty(shape, dtype=d)
    return xp.full(shape, value, dtype=d)


def zeros_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return _finish(_like(input, "zeros", dtype), None, device, requires_grad)


def ones_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return _finish(_like(input, "ones", dtype), None, device, requires_grad)


def empty_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return _finish(_like(input, "empty", dtype), None, device, requires_grad)


def full_like(
    input: Tensor,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    return _finish(_like(input, "full", dtype, fill_value), None, device, requires_grad)


def rand_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return rand(tuple(input.shape), dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return randn(tuple(input.shape), dtype=dtype or input.dtype, requires_grad=requires_grad)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``: int64 for ints, else float."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = _dt.int64 if ints else _dt.get_default_dtype()
    return _finish(
        np.arange(start, end, step, dtype=_dt.to_np_dtype(dtype)), None, device, requires_grad
    )


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    return _finish(np.linspace(start, end, steps, dtype=_fdt(dtype)), None, device, requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The identity matrix (``n`` x ``m``)."""
    return _finish(np.eye(n, m, dtype=_fdt(dtype)), None, device, requires_grad)


def rand(
    *size: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    generator: Any = None,
) -> Tensor:
    """Uniform samples on [0, 1)."""
    g = generator or _RNG[0]
    a = g.random(_shape(size), dtype=np.float64).astype(_fdt(dtype))
    return _finish(a, None, device, requires_grad)


def randn(
    *size: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    generator: Any = None,
) -> Tensor:
    """Standard normal samples."""
    g = generator or _RNG[0]
    a = g.standard_normal(_shape(size)).astype(_fdt(dtype))
    return _finish(a, None, device, requires_grad)


def randint(
    low: int,
    high: int | None = None,
    size: Any = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    generator: Any = None,
) -> Tensor:
    """Random integers in [low, high) (int64 unless ``dtype``): ``randint(10, (3,))``."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    if high is None:
        low, high = 0, low
    g = generator or _RNG[0]
    a = g.integers(low, high, _shape((size,)), dtype=np.int64)
    return _finish(a, dtype or _dt.int64, device, requires_grad)
