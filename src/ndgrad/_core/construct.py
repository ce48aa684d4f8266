"""``tensor()``, ``as_tensor``, ``from_numpy`` and the default device: data in, a leaf out.

Python numbers and lists become the default dtype (float32) or int64 / bool; NumPy arrays keep
their dtype. Data that cannot make a tensor gets PyTorch's errors (a ragged list: ``ValueError
expected sequence of length 2 at dim 1 (got 1)``; ``None``: ``RuntimeError Could not infer dtype of
NoneType``; text: ``TypeError``), each with a hint.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _backend
from . import dtypes as _dt
from .tensor import DEBUG, Tensor, cut_site, device, make

__all__ = ["tensor", "as_tensor", "from_numpy", "set_default_device", "get_default_device"]

_DEFAULT_DEVICE = [device("cpu")]


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


# --------------------------------------------------------------------------------------------
# tensor(), as_tensor(), from_numpy().


def _infer(data: Any) -> np.ndarray:
    """NumPy array for Python data, with PyTorch's dtype inference and errors."""
    if isinstance(data, Tensor):
        return np.array(_backend.to_numpy(data._data), copy=True)
    if isinstance(data, np.ndarray):
        return np.array(data, copy=True)
    if isinstance(data, np.generic):
        return np.asarray(data)
    if isinstance(data, bool):
        return np.asarray(data, dtype=np.bool_)
    if isinstance(data, int):
        if not -(2**63) <= data < 2**63:
            raise _overflow(data)
        return np.asarray(data, dtype=np.int64)
    if isinstance(data, float):
        return np.asarray(data, dtype=_dt.get_default_dtype().np)
    if isinstance(data, complex):
        return np.asarray(data, dtype=_dt.get_default_dtype().to_complex().np)
    if isinstance(data, range):
        data = list(data)
    if isinstance(data, (list, tuple)):
        a = _nested_array(data)
        if a.dtype.kind == "f":
            has_np64 = any(isinstance(x, Tensor) and x.dtype is _dt.float64 for x in _flatten(data))
            a = a.astype(np.float64 if has_np64 else _dt.get_default_dtype().np)
        elif a.dtype.kind == "c":
            a = a.astype(_dt.get_default_dtype().to_complex().np)
        elif a.dtype.kind in "iu":
            a = a.astype(np.int64)
        if a.size == 0 and a.dtype.kind == "f":
            a = a.astype(_dt.get_default_dtype().np)
        return a
    if _backend.is_array(data):
        return data
    raise _scalar_error(data)


def _nested_array(data: Any) -> np.ndarray:
    """``np.asarray`` of nested lists, with PyTorch's errors for ragged or non-numeric data."""
    try:
        a = np.asarray(_to_py(data))
    except (ValueError, TypeError, OverflowError) as e:
        err = _nested_error(data)
        if err is not None:
            raise err from None
        raise TypeError(f"{e}; hint: ndgrad.tensor takes numbers or nested lists of numbers") from e
    if a.dtype.kind not in "biufc":
        err = _nested_error(data)
        if err is not None:
            raise err
        raise TypeError(
            f"Could not infer dtype of the data (NumPy made {a.dtype}); hint: ndgrad.tensor "
            "takes numbers or nested lists of numbers"
        )
    return a


def _overflow(v: int) -> ValueError:
    return ValueError(
        f"Overflow when unpacking long long: {v} does not fit in int64; hint: pass "
        "dtype=ndgrad.float64 for very large numbers"
    )


def _not_real(kind: str) -> TypeError:
    return TypeError(
        f"must be real number, not {kind}; hint: ndgrad.tensor takes numbers, nested lists of "
        "numbers, or arrays"
    )


def _scalar_error(x: Any) -> Exception:
    """PyTorch's error for a leaf of ``tensor(data)`` that is not a number."""
    if isinstance(x, str):
        return TypeError(
            "new(): invalid data type 'str'; hint: ndgrad.tensor takes numbers; convert text "
            "first, e.g. float(s)"
        )
    return RuntimeError(
        f"Could not infer dtype of {type(x).__name__}; hint: ndgrad.tensor takes numbers, "
        "nested lists of numbers, or arrays"
    )


_NUMBERS = (bool, int, float, complex, np.bool_, np.number)


def _nested_error(data: Any) -> Exception | None:
    """The first problem PyTorch would report in nested data (None when there is none).

    The expected shape comes from the first element at each depth; every element is then checked
    against it, depth first, in order (iteratively: deep nesting needs no recursion).
    """
    shape: list[int] = []
    x = data
    while True:
        if isinstance(x, Tensor):
            x = _backend.to_numpy(x._data)
        if isinstance(x, np.ndarray):
            shape.extend(x.shape)
            break
        if isinstance(x, str) and shape:
            return ValueError(
                "too many dimensions 'str'; hint: ndgrad.tensor takes numbers; convert text "
                "first, e.g. [float(s) for s in row]"
            )
        if not isinstance(x, (list, tuple)):
            break
        shape.append(len(x))
        if not x:
            break
        x = x[0]
    stack = [(data, 0)]
    while stack:
        x, d = stack.pop()
        if isinstance(x, Tensor):
            x = _backend.to_numpy(x._data)
        if isinstance(x, np.ndarray) and x.ndim > 0:
            for k, n in enumerate(x.shape):
                if d + k >= len(shape):
                    return _not_a_number(x, d + k)
                if n != shape[d + k]:
                    return _ragged(shape[d + k], d + k, n)
            continue
        if d < len(shape):
            if not isinstance(x, (list, tuple)):
                return TypeError(
                    f"not a sequence: expected a sequence of length {shape[d]} at dim {d} but "
                    f"got {type(x).__name__}; hint: every element at one depth must be a list of "
                    "the same length, or every one a number"
                )
            if len(x) != shape[d]:
                return _ragged(shape[d], d, len(x))
            stack.extend((c, d + 1) for c in reversed(x))
        elif isinstance(x, (list, tuple)):
            return _not_a_number(x, d)
        elif isinstance(x, np.ndarray):
            if x.dtype.kind not in "biufc":
                return _scalar_error(x.item())
        elif not isinstance(x, _NUMBERS):
            return _scalar_error(x)
        elif isinstance(x, int) and not -(2**63) <= x < 2**63:
            return _overflow(x)
    return None


def _ragged(expected: int, dim: int, got: int) -> ValueError:
    return ValueError(
        f"expected sequence of length {expected} at dim {dim} (got {got}); hint: a tensor is "
        "rectangular: pad the shorter rows, or keep rows of different lengths in a list of "
        "tensors (see nn.utils.rnn.pad_sequence)"
    )


def _not_a_number(x: Any, dim: int) -> TypeError:
    return TypeError(
        f"expected a number at dim {dim} but got a sequence of length {len(x)}; hint: every "
        "element at one depth must be a number, or every one a list of the same length"
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


def _refuse_pin_memory(pin_memory: bool) -> None:
    if pin_memory:
        raise RuntimeError(
            "pin_memory=True requires a CUDA or other accelerator backend; no pinned memory "
            "allocator is available on this system. hint: drop pin_memory (ndgrad's CPU tensors "
            "already live in host memory)"
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
    _refuse_pin_memory(pin_memory)
    if _backend.is_array(data) and not isinstance(data, np.ndarray):
        xp = _backend.namespace(data)
        a = xp.asarray(data, copy=True)
        if dtype is not None:
            a = xp.astype(a, getattr(xp, _dt.to_dtype(dtype).name))
        t = make(a)
        if requires_grad:
            t.requires_grad_(True)
        return t
    if dtype is not None and isinstance(data, (list, tuple, range, int, float, complex)):
        # Convert Python data straight to the requested dtype (no float32 detour), after the
        # same checks as without dtype (NumPy would turn None into nan and "1.5" into 1.5).
        if isinstance(data, (int, float, complex)):
            if isinstance(data, int) and not -(2**63) <= data < 2**63:
                raise _overflow(data)
            a = np.asarray(data)
        else:
            try:
                a = _nested_array(list(data) if isinstance(data, range) else data)
            except RuntimeError as e:  # with a dtype PyTorch says it as a TypeError
                if not str(e).startswith("Could not infer dtype of "):
                    raise
                kind = str(e).split(";")[0].removeprefix("Could not infer dtype of ")
                raise _not_real(kind) from None
        return _from_python(_finish(a, dtype, device, requires_grad), requires_grad)
    if dtype is not None and data is None:
        raise _not_real("NoneType")
    return _from_python(_finish(_infer(data), dtype, device, requires_grad), requires_grad)


def _from_python(t: Tensor, requires_grad: bool) -> Tensor:
    """Under ``set_debug(True)``, remember that ``t`` was made from Python data (so explain()
    can say a gradient chain was cut by ``.item()``/``.tolist()`` and ``tensor(...)``)."""
    if DEBUG[0] and not requires_grad:
        t._x().cut = "made by ndgrad.tensor(...) from Python data" + cut_site()
    return t


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
