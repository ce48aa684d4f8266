"""Tensor factories: ``zeros``, ``ones``, ``full``, ``arange``, ``zeros_like`` ... as in PyTorch.

Shapes are given as separate ints, one tuple (``()`` included) or ``size=``; the dtype is the
default dtype (float32) unless given. ``tensor()`` and friends (data in) are in ``construct.py``
and re-exported here.

``out=`` follows PyTorch: the result is written into ``out`` (its views see it) and ``out`` is
returned; a wrong-shaped ``out`` is resized (``arange`` warns, as PyTorch's); an ``out`` that
requires grad is refused while grad mode is on; ``dtype=`` must then agree with ``out.dtype``.
The random factories (``rand``, ``randn`` ...) live in ``random.py``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _backend
from . import dtypes as _dt
from .batched import BatchedTensor, wrap
from .construct import (
    _check_device,
    _finish,
    _refuse_pin_memory,
    as_tensor,
    from_numpy,
    get_default_device,
    set_default_device,
    tensor,
)
from .grad_mode import grad_enabled
from .tensor import Tensor, make

__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "empty_strided",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "arange",
    "linspace",
    "eye",
    "is_floating_point",
    "is_complex",
    "is_nonzero",
    "memory_format",
    "contiguous_format",
    "preserve_format",
    "channels_last",
    "channels_last_3d",
    "set_default_device",
    "get_default_device",
]


class memory_format:  # noqa: N801 - PyTorch's name
    """How a new tensor's elements are laid out in memory (``ndgrad.contiguous_format`` ...)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ndgrad.{self.name}"

    def __reduce__(self) -> str:
        return self.name


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


# --------------------------------------------------------------------------------------------
# Names PyTorch's messages use for dtypes.

_TORCH_NAMES = {
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "uint8": "Byte",
    "bool": "Bool",
}


def torch_name(d: Any) -> str:
    """PyTorch's ScalarType name of a dtype, as its messages print it (``Float``, ``Long``)."""
    d = _dt.to_dtype(d)
    return _TORCH_NAMES.get(d.name, d.name)


# --------------------------------------------------------------------------------------------
# Sizes, allocation, out=.


def _shape(size: Sequence[Any], name: str = "") -> tuple:
    """A shape from ``(2, 3)``, ``((2, 3),)`` or ``(Size([2, 3]),)``, with PyTorch's errors."""
    who = f"{name}(): " if name else ""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    elif len(size) > 1 and any(isinstance(s, (tuple, list)) for s in size):
        raise TypeError(f"{who}takes 1 positional argument for the size but {len(size)} were given")
    dims = []
    for i, s in enumerate(size):
        if isinstance(s, bool) or not hasattr(s, "__index__"):
            raise TypeError(
                f"{who}argument 'size' must be tuple of ints, but found element of type "
                f"{type(s).__name__} at pos {i + 1}; hint: sizes are whole numbers, e.g. "
                "zeros(2, 3) or zeros((2, 3))"
            )
        try:
            dims.append(int(s.__index__()))
        except TypeError:
            raise TypeError(
                f"{who}argument 'size' must be tuple of ints, but found a tensor that is not one "
                f"integer at pos {i + 1}"
            ) from None
    for s in dims:
        if s < 0 and name == "zeros":  # PyTorch's zeros says it its own way
            raise RuntimeError(
                f"zeros: Dimension size must be non-negative. (got {s} in {dims}); hint: sizes "
                "count elements, so they are >= 0"
            )
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {dims}")
    return tuple(dims)


def _size(name: str, args: tuple, size: Any) -> tuple:
    """The shape of ``name(*args, size=size)``: varargs, one tuple, or ``size=``, not both."""
    if size is not None:
        if args:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        return _shape((size,), name)
    if not args:
        raise TypeError(
            f'{name}() missing 1 required positional arguments: "size"; hint: give a shape, '
            f"e.g. {name}(2, 3), {name}((2, 3)) or {name}(()) for a 0-d tensor"
        )
    return _shape(args, name)


def _nbytes(shape: tuple, npd: np.dtype) -> int:
    return math.prod(shape) * np.dtype(npd).itemsize


def alloc(name: str, shape: tuple, npd: Any, fn: Callable[[], Any]) -> Any:
    """Run ``fn()`` (which allocates an array), turning NumPy's errors into PyTorch's."""
    nbytes = _nbytes(shape, npd)
    if nbytes > 2**63 - 1:
        raise RuntimeError(
            f"Storage size calculation overflowed with sizes={list(shape)}; hint: this tensor "
            "would not fit in any memory: check the shape passed to " + name + "()"
        )
    try:
        return fn()
    except (MemoryError, ValueError) as e:
        if isinstance(e, ValueError) and "too big" not in str(e) and "Maximum" not in str(e):
            raise
        dt = _dt.from_np_dtype(np.dtype(npd))
        raise RuntimeError(
            "DefaultCPUAllocator: can't allocate memory: you tried to allocate "
            f"{nbytes} bytes ({nbytes / 2**30:.1f} GiB: {name}() of shape {list(shape)}, {dt}); "
            "hint: check the shape (a value passed where a size was meant?), use a smaller "
            "dtype, or process the data in batches"
        ) from None


def _fdt(dtype: Any) -> np.dtype:
    return (_dt.to_dtype(dtype) if dtype is not None else _dt.get_default_dtype()).np


def out_dtype(name: str, dtype: Any, out: Any) -> Any:
    """Check ``out=`` before any work; return the dtype to compute in (``out``'s by default)."""
    if out is None:
        return dtype
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if out._requires_grad and grad_enabled():
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad.; hint: fill it under "
            "`with ndgrad.no_grad():`, or drop out= and use the returned tensor"
        )
    if dtype is None:
        return out.dtype
    d = _dt.to_dtype(dtype)
    if d is not out.dtype:
        raise RuntimeError(
            f"dtype {torch_name(d)} does not match dtype of out parameter "
            f"({torch_name(out.dtype)}); hint: drop dtype= (the result takes out's dtype) or "
            f"pass an out tensor of dtype ndgrad.{d.name}"
        )
    return d


def write_out(a: Any, out: Tensor, requires_grad: bool = False, resize_warning: str = "") -> Tensor:
    """Write array ``a`` into ``out`` (resizing it when the shapes differ); return ``out``."""
    data = out._data
    xp = _backend.namespace(data)
    if tuple(data.shape) == tuple(a.shape):
        if type(data) is np.ndarray:
            if not data.flags.writeable:
                raise RuntimeError(
                    "unsupported operation: the out tensor shares memory across elements (e.g. "
                    "it came from expand()); hint: pass a clone() as out"
                )
            np.copyto(data, a, casting="unsafe")
        else:
            data[...] = _backend.asarray(xp, a)
    else:
        if resize_warning:
            warnings.warn(resize_warning, UserWarning, stacklevel=3)
        a = a if xp is np else _backend.asarray(xp, a)
        out._data = a.astype(data.dtype) if a.dtype != data.dtype else a
    out._bump_version()
    if requires_grad:
        out.requires_grad_(True)
    return out


def result(
    a: Any, out: Tensor | None, dev: Any, requires_grad: bool, resize_warning: str = ""
) -> Tensor:
    """A new tensor holding array ``a``, or ``a`` written into ``out``."""
    if out is None:
        return _finish(a, None, dev, requires_grad)
    if dev is not None:
        _check_device(dev)
    return write_out(a, out, requires_grad, resize_warning)


# --------------------------------------------------------------------------------------------
# zeros, ones, empty, full, empty_strided.


def _filled(
    name: str,
    args: tuple,
    size: Any,
    fill: Callable[[tuple, np.dtype], Any],
    out: Any,
    dtype: Any,
    device: Any,
    requires_grad: bool,
) -> Tensor:
    shape = _size(name, args, size)
    npd = _fdt(out_dtype(name, dtype, out))
    return result(alloc(name, shape, npd, lambda: fill(shape, npd)), out, device, requires_grad)


def zeros(
    *args: Any,
    size: Any = None,
    out: Tensor | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``.

    Example:
        >>> import ndgrad
        >>> ndgrad.zeros(2, dtype=ndgrad.int64)
        tensor([0, 0])
    """
    _refuse_pin_memory(pin_memory)
    return _filled("zeros", args, size, np.zeros, out, dtype, device, requires_grad)


def ones(
    *args: Any,
    size: Any = None,
    out: Tensor | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor of ones: ``ones(2, 3)``, ``ones((2, 3))`` or ``ones(size=(2, 3))``."""
    _refuse_pin_memory(pin_memory)
    return _filled("ones", args, size, np.ones, out, dtype, device, requires_grad)


def empty(
    *args: Any,
    size: Any = None,
    out: Tensor | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
    memory_format: memory_format = contiguous_format,
) -> Tensor:
    """An uninitialised tensor (NumPy's ``empty``); ``memory_format`` as in PyTorch."""
    _refuse_pin_memory(pin_memory)
    fmt = _check_format("empty", memory_format, None, allow_preserve=False)

    def fill(shape: tuple, npd: np.dtype) -> np.ndarray:
        return _with_format("empty", np.empty, shape, npd, fmt)

    return _filled("empty", args, size, fill, out, dtype, device, requires_grad)


def _fill_dtype(fill_value: Any) -> Any:
    if isinstance(fill_value, (bool, np.bool_)):
        return _dt.bool_
    if isinstance(fill_value, (int, np.integer)):
        return _dt.int64
    if isinstance(fill_value, complex):
        return _dt.get_default_dtype().to_complex()
    if isinstance(fill_value, Tensor):
        return fill_value.dtype
    return None


def full(
    size: Any,
    fill_value: Any,
    *,
    out: Tensor | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value like PyTorch's.

    Example:
        >>> import ndgrad
        >>> ndgrad.full((2,), 7).dtype
        ndgrad.int64
    """
    _refuse_pin_memory(pin_memory)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None and out is None:
        dtype = _fill_dtype(fill_value)

    def fill(shape: tuple, npd: np.dtype) -> np.ndarray:
        return np.full(shape, fill_value, npd)

    return _filled("full", (size,), None, fill, out, dtype, device, requires_grad)


def empty_strided(
    size: Any,
    stride: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """An uninitialised tensor with the given strides (in elements, as PyTorch's).

    Example:
        >>> import ndgrad
        >>> t = ndgrad.empty_strided((2, 3), (1, 2))
        >>> t.numpy().strides
        (4, 8)
    """
    _refuse_pin_memory(pin_memory)
    shape = _shape((size,), "empty_strided")
    strides = _shape((stride,), "empty_strided") if not _has_negative(stride) else None
    if strides is None:
        raise RuntimeError(
            f"Storage size calculation overflowed with sizes={list(shape)} and strides="
            f"{list(stride)}; hint: negative strides are not supported: flip() the tensor instead"
        )
    if len(strides) != len(shape):
        raise RuntimeError(
            f"dimensionality of sizes ({len(shape)}) must match dimensionality of strides "
            f"({len(strides)})"
        )
    npd = _fdt(dtype)
    n = 0 if 0 in shape else 1 + sum((s - 1) * st for s, st in zip(shape, strides))
    buf = alloc("empty_strided", (n,), npd, lambda: np.empty(n, npd))
    item = buf.itemsize
    a = np.lib.stride_tricks.as_strided(buf, shape, tuple(st * item for st in strides))
    return _finish(a, None, device, requires_grad)


def _has_negative(seq: Any) -> bool:
    return isinstance(seq, (tuple, list)) and any(
        isinstance(s, (int, np.integer)) and s < 0 for s in seq
    )


# --------------------------------------------------------------------------------------------
# Layouts (memory_format) and the *_like factories.


def _check_format(name: str, fmt: Any, ndim: int | None, allow_preserve: bool = True) -> Any:
    if fmt is None:
        return preserve_format if allow_preserve else contiguous_format
    if not isinstance(fmt, memory_format):
        raise TypeError(
            f"{name}(): argument 'memory_format' must be ndgrad.memory_format, not "
            f"{type(fmt).__name__}"
        )
    if fmt is preserve_format and not allow_preserve:
        raise RuntimeError(
            "unsupported memory format Preserve; hint: preserve_format needs a tensor to "
            "preserve: use empty_like(x), or memory_format=ndgrad.contiguous_format"
        )
    want = {channels_last: 4, channels_last_3d: 5}.get(fmt)
    if want is not None and ndim is not None and ndim != want:
        raise RuntimeError(
            f"required rank {want} tensor to use {fmt.name} format; hint: {fmt.name} is for "
            f"{'NCHW' if want == 4 else 'NCDHW'} tensors"
        )
    return fmt


def _with_format(name: str, make_fn: Callable[..., Any], shape: tuple, npd: Any, fmt: Any) -> Any:
    """``make_fn(shape, npd)`` laid out as ``fmt`` (channels last: the channel dim innermost)."""
    if fmt is contiguous_format or fmt is preserve_format:
        return make_fn(shape, npd)
    _check_format(name, fmt, len(shape))
    perm = (0, *range(2, len(shape)), 1)
    phys = make_fn(tuple(shape[p] for p in perm), npd)
    return phys.transpose(np.argsort(perm))


def like_array(name: str, src: Any, npd: Any, fmt: Any, kind: str, value: Any = None) -> Any:
    """A new array shaped like backend array ``src``: ``kind`` is zeros, ones, empty or full."""
    fmt = _check_format(name, fmt, src.ndim)
    shape = tuple(src.shape)
    xp = _backend.namespace(src)
    if xp is not np:
        if fmt is channels_last or fmt is channels_last_3d:
            raise NotImplementedError(
                f"{name}(): memory_format={fmt} needs NumPy arrays ({_backend.backend_name(xp)} "
                "has no strides); hint: use contiguous_format"
            )
        xd = getattr(xp, _dt.from_np_dtype(npd).name)
        if kind == "full":
            return xp.full(shape, value, dtype=xd)
        return getattr(xp, kind)(shape, dtype=xd)
    if fmt is preserve_format:
        fns = {"zeros": np.zeros_like, "ones": np.ones_like, "empty": np.empty_like}
        if kind == "full":
            return alloc(name, shape, npd, lambda: np.full_like(src, value, npd, order="K"))
        return alloc(name, shape, npd, lambda: fns[kind](src, npd, order="K"))

    def make_fn(s: tuple, d: Any) -> np.ndarray:
        return np.full(s, value, d) if kind == "full" else getattr(np, kind)(s, d)

    return alloc(name, shape, npd, lambda: _with_format(name, make_fn, shape, npd, fmt))


def check_tensor(name: str, input: Any, arg: str = "input") -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{name}(): argument '{arg}' (position 1) must be Tensor, not {type(input).__name__}"
        )
    return input


def _like(
    name: str, input: Any, kind: str, dtype: Any, device: Any, rg: bool, fmt: Any, value: Any = None
) -> Tensor:
    src = check_tensor(name, input)._data
    npd = _dt.from_np_dtype(src.dtype).np if dtype is None else _dt.to_np_dtype(dtype)
    return _finish(like_array(name, src, npd, fmt, kind, value), None, device, rg)


def zeros_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: memory_format = preserve_format,
) -> Tensor:
    """Zeros with ``input``'s shape, dtype and layout (``memory_format``)."""
    return _like("zeros_like", input, "zeros", dtype, device, requires_grad, memory_format)


def ones_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: memory_format = preserve_format,
) -> Tensor:
    """Ones with ``input``'s shape, dtype and layout (``memory_format``)."""
    return _like("ones_like", input, "ones", dtype, device, requires_grad, memory_format)


def empty_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: memory_format = preserve_format,
) -> Tensor:
    """An uninitialised tensor with ``input``'s shape, dtype and layout."""
    return _like("empty_like", input, "empty", dtype, device, requires_grad, memory_format)


def full_like(
    input: Tensor,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: memory_format = preserve_format,
) -> Tensor:
    """``fill_value`` with ``input``'s shape and dtype (not the value's dtype, as PyTorch)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _like(
        "full_like", input, "full", dtype, device, requires_grad, memory_format, fill_value
    )


# --------------------------------------------------------------------------------------------
# Ranges and eye.


def _number(name: str, v: Any, arg: str) -> Any:
    if isinstance(v, Tensor):
        return v.item()
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
        raise TypeError(f"{name}(): argument '{arg}' must be Number, not {type(v).__name__}")
    return v


def arange(
    start: Any = None,
    end: Any = None,
    step: Any = 1,
    *,
    out: Tensor | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``: int64 for ints, else float.

    Example:
        >>> import ndgrad
        >>> ndgrad.arange(1, 7, 2)
        tensor([1, 3, 5])
    """
    if start is None and end is None:
        raise TypeError('arange() missing 1 required positional arguments: "end"')
    if end is None:
        start, end = 0, start
    elif start is None:
        start = 0
    start, end, step = (
        _number("arange", v, a) for v, a in ((start, "start"), (end, "end"), (step, "step"))
    )
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError(
            "upper bound and lower bound inconsistent with step sign; hint: to count down, "
            "give a negative step, e.g. arange(5, 0, -1)"
        )
    if dtype is None and out is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = _dt.int64 if ints else _dt.get_default_dtype()
    npd = _dt.to_np_dtype(out_dtype("arange", dtype, out))
    est = max(0, math.ceil((end - start) / step))
    a = alloc("arange", (est,), npd, lambda: np.arange(start, end, step, dtype=npd))
    n = a.shape[0]
    warn = ""
    if out is not None and out.numel() != n:
        warn = (
            f"The number of elements in the out tensor of shape {list(out.shape)} is "
            f"{out.numel()} which does not match the computed number of elements {n}. Note that "
            "this may occur as a result of rounding error. The out tensor will be resized to a "
            f"tensor of shape ({n},)."
        )
    return result(a, out, device, requires_grad, warn)


def linspace(
    start: Any,
    end: Any,
    steps: int,
    *,
    out: Tensor | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    start, end = _number("linspace", start, "start"), _number("linspace", end, "end")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"linspace(): argument 'steps' must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    npd = _fdt(out_dtype("linspace", dtype, out))
    a = alloc("linspace", (int(steps),), npd, lambda: np.linspace(start, end, steps))
    if npd.kind in "iub":
        a = np.trunc(a)
    return result(a.astype(npd), out, device, requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    out: Tensor | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The identity matrix (``n`` x ``m``)."""
    for v, name in ((n, "n"), (m, "m")):
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    npd = _fdt(out_dtype("eye", dtype, out))
    shape = (n, n if m is None else m)
    return result(
        alloc("eye", shape, npd, lambda: np.eye(n, m, dtype=npd)), out, device, requires_grad
    )


# --------------------------------------------------------------------------------------------
# Predicates.


def is_floating_point(input: Tensor) -> bool:
    """True if ``input`` is a floating-point tensor (float16, float32, float64)."""
    return check_tensor("is_floating_point", input).dtype.is_floating_point


def is_complex(input: Tensor) -> bool:
    """True if ``input`` is a complex tensor."""
    return check_tensor("is_complex", input).dtype.is_complex


def is_nonzero(input: Tensor) -> bool:
    """``bool`` of a one-element tensor; PyTorch's errors for zero or several elements."""
    n = check_tensor("is_nonzero", input).numel()
    if n != 1:
        raise RuntimeError(
            f"Boolean value of Tensor with {'no values' if n == 0 else 'more than one value'} "
            "is ambiguous"
        )
    return bool(_backend.to_numpy(input._data).reshape(()).item())


# --------------------------------------------------------------------------------------------
# Tensor.new_* (dtype and device default to self's).


def _new_factory(
    self: Tensor,
    name: str,
    args: tuple,
    size: Any,
    kind: str,
    dtype: Any,
    device: Any,
    rg: bool,
    value: Any = None,
) -> Tensor:
    shape = _size(name, args, size)
    if type(self) is BatchedTensor:  # inside vmap, as functorch: one new tensor per entry
        inner = _new_factory(
            self._value, name, (), (self._bsize, *shape), kind, dtype, device, rg, value
        )
        return wrap(inner, self._level, self._bsize)
    d = _dt.from_np_dtype(self._data.dtype) if dtype is None else _dt.to_dtype(dtype)
    xp = _backend.namespace(self._data)
    if xp is np or device is not None:

        def make_fn() -> np.ndarray:
            if kind == "full":
                return np.full(shape, value, d.np)
            return getattr(np, kind)(shape, d.np)

        a = alloc(name, shape, d.np, make_fn)
        return _finish(a, None, device if device is not None else self.device, rg)
    xd = getattr(xp, d.name)
    a = xp.full(shape, value, dtype=xd) if kind == "full" else getattr(xp, kind)(shape, dtype=xd)
    t = make(a)
    return t.requires_grad_(True) if rg else t


def _new_zeros(
    self: Tensor,
    *args: Any,
    size: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Zeros of the given size with ``self``'s dtype and device (unless given)."""
    return _new_factory(self, "new_zeros", args, size, "zeros", dtype, device, requires_grad)


def _new_ones(
    self: Tensor,
    *args: Any,
    size: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Ones of the given size with ``self``'s dtype and device (unless given)."""
    return _new_factory(self, "new_ones", args, size, "ones", dtype, device, requires_grad)


def _new_empty(
    self: Tensor,
    *args: Any,
    size: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """An uninitialised tensor with ``self``'s dtype and device (unless given)."""
    return _new_factory(self, "new_empty", args, size, "empty", dtype, device, requires_grad)


def _new_full(
    self: Tensor,
    size: Any,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``fill_value`` everywhere, with ``self``'s dtype (not the value's) and device."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _new_factory(
        self, "new_full", (size,), None, "full", dtype, device, requires_grad, fill_value
    )


def _new_tensor(
    self: Tensor, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A copy of ``data`` with ``self``'s dtype and device (unless given), a new leaf."""
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()."
            "clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "tensor.new_tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
    t = tensor(data, dtype=self.dtype if dtype is None else dtype)
    xp = _backend.namespace(self._data)
    if device is None and xp is not np:
        t = make(_backend.asarray(xp, t._data))
    elif device is not None:
        t = _finish(t._data, None, device, False)
    return t.requires_grad_(True) if requires_grad else t


for _name, _fn in (
    ("new_zeros", _new_zeros),
    ("new_ones", _new_ones),
    ("new_empty", _new_empty),
    ("new_full", _new_full),
    ("new_tensor", _new_tensor),
    ("is_nonzero", is_nonzero),
):
    _fn.__name__ = _name
    _fn.__qualname__ = f"Tensor.{_name}"
    setattr(Tensor, _name, _fn)
del _name, _fn
