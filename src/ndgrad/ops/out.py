"""``out=``: PyTorch's semantics for writing an op's result into a given tensor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.grad_mode import _GRAD
from .._core.tensor import Tensor

if TYPE_CHECKING:
    from .registry import OpDef

_EMPTY: dict = {}
_grad_enabled = _GRAD.get
_ndarray = np.ndarray
_PY_SCALARS = (int, float, bool, complex)


def write_out(op: OpDef, fn: Callable[..., Any], args: Sequence[Any], kwargs: dict) -> Any:
    """``op(*args, out=t)``: compute, then write into ``t`` (resized, cast) and return it.

    As PyTorch: refused while recording when an argument (or ``out``) requires grad; a
    wrong-shaped ``out`` with elements is resized with PyTorch's UserWarning (an empty one
    silently); the result is cast to ``out``'s dtype when the cast is safe ("same kind").
    """
    kwargs = dict(kwargs)
    out = kwargs.pop("out")
    name = op.name.lstrip("_")
    outs = out if isinstance(out, (tuple, list)) else (out,)
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(o).__name__}")
    if _grad_enabled() and (
        any(isinstance(a, Tensor) and a._requires_grad for a in args)
        or any(isinstance(v, Tensor) and v._requires_grad for v in kwargs.values())
        or any(o._requires_grad for o in outs)
    ):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad. hint: drop out= and "
            "assign the result (y = op(x)), or compute under ndgrad.no_grad()"
        )
    res = fn(*args, **kwargs)
    results = res if isinstance(res, tuple) else (res,)
    if len(results) != len(outs):
        raise TypeError(f"{name}(): argument 'out' must be a tuple of {len(results)} Tensors")
    for o, r in zip(outs, results):
        copy_into_out(o, r, name)
    return out if not isinstance(res, tuple) else type(res)(*outs)


def copy_into_out(o: Tensor, r: Tensor, name: str) -> None:
    """Write result ``r`` into ``out`` tensor ``o`` (PyTorch's resize and cast rules)."""
    import warnings

    d = r._data
    od = o._data
    src, dst = _dt.from_np_dtype(d.dtype), _dt.from_np_dtype(od.dtype)
    if src is not dst and not _can_cast(src, dst):
        raise RuntimeError(
            f"result type {_dt_title(src)} can't be cast to the desired output type "
            f"{_dt_title(dst)}; hint: pass an out tensor of dtype {src} (or none at all)"
        )
    if tuple(od.shape) != tuple(d.shape):
        if od.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(od.shape)}, which does not match the required output shape "
                f"{list(d.shape)}. This behavior is deprecated, and in a future PyTorch release "
                "outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                "with t.resize_(0).",
                UserWarning,
                stacklevel=4,
            )
        o._data = (
            _backend.backend(_backend.namespace(d)).astype(d, dst)
            if src is not dst
            else _backend.namespace(d).asarray(d, copy=True)
        )
    elif type(od) is _ndarray:
        np.copyto(od, d, casting="unsafe")
    else:
        od[...] = _backend.backend(_backend.namespace(d)).astype(d, dst) if src is not dst else d
    o._bump_version()


def _can_cast(src: _dt.dtype, dst: _dt.dtype) -> bool:
    order = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
    return order[src.np.kind] <= order[dst.np.kind]


def _dt_title(d: _dt.dtype) -> str:
    """PyTorch's scalar-type name in messages: Float, Double, Long, ..."""
    names = {
        "float32": "Float",
        "float64": "Double",
        "float16": "Half",
        "int64": "Long",
        "int32": "Int",
        "int16": "Short",
        "int8": "Char",
        "uint8": "Byte",
        "bool": "Bool",
        "complex64": "ComplexFloat",
        "complex128": "ComplexDouble",
    }
    return names.get(d.name, d.name)
