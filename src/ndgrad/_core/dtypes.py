"""ndgrad dtypes, the default dtype and PyTorch's type-promotion rules.

PyTorch's promotion (``torch.result_type``): operands fall into three priority groups: tensors with
dimensions, zero-dimensional tensors, Python scalars. Categories rank bool < integer < floating.
The result takes the highest category present; within it, the dtypes of the highest-priority group
that has an operand of that category are promoted together. A Python float meeting only integer or
bool tensors gives the default dtype (float32), never float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "dtype",
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool_",
    "get_default_dtype",
    "set_default_dtype",
    "to_np_dtype",
    "from_np_dtype",
    "result_type",
]


class dtype:  # noqa: N801 - PyTorch's name
    """A tensor element type, printed as PyTorch prints them (``ndgrad.float32``)."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "itemsize", "is_signed")

    def __init__(self, name: str, np_dtype: Any) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_complex = self.np.kind == "c"
        self.is_signed = self.np.kind in "fic"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"ndgrad.{self.name}"

    def __reduce__(self) -> str:
        return self.name

    def to_complex(self) -> dtype:
        return {"float32": complex64, "float64": complex128}.get(self.name, self)

    def to_real(self) -> dtype:
        return {"complex64": float32, "complex128": float64}.get(self.name, self)


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
complex64 = dtype("complex64", np.complex64)
complex128 = dtype("complex128", np.complex128)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)

_ALL = [float16, float32, float64, complex64, complex128, int8, int16, int32, int64, uint8, bool_]
_BY_NAME: dict[str, dtype] = {d.name: d for d in _ALL}
_BY_NP: dict[Any, dtype] = {d.np: d for d in _ALL}

_default = [float32]


def get_default_dtype() -> dtype:
    """The dtype that Python floats and lists of floats become (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype; like PyTorch, only float32 and float64 (and float16)."""
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(
            f"only floating-point types are supported as the default type, got {d}; "
            "hint: use ndgrad.float32 or ndgrad.float64"
        )
    _default[0] = d


def to_dtype(d: Any) -> dtype:
    """Accept an ndgrad dtype, a NumPy dtype/type, or a name like ``"float64"``."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return float64  # torch: dtype=float means float64? no: torch rejects; NumPy: float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    try:
        return from_np_dtype(np.dtype(d))
    except TypeError as e:
        raise TypeError(f"{d!r} is not a dtype ndgrad knows; hint: use e.g. ndgrad.float32") from e


def to_np_dtype(d: Any) -> np.dtype:
    return to_dtype(d).np


def from_np_dtype(npd: Any) -> dtype:
    """The ndgrad dtype of a backend dtype (NumPy dtypes directly, others by name)."""
    if type(npd) is not str and isinstance(npd, np.dtype):
        d = _BY_NP.get(npd)
        if d is not None:
            return d
    name = str(npd)
    if name.startswith("array_api_strict") or "." in name:
        name = name.rsplit(".", 1)[-1]
    name = {"bool_": "bool"}.get(name, name)
    if name in _BY_NAME:
        return _BY_NAME[name]
    raise TypeError(f"ndgrad has no dtype for {npd!r}")


def _category(d: dtype) -> int:
    if d is bool_:
        return 0
    if d.is_complex:
        return 3
    if d.is_floating_point:
        return 2
    return 1


def _scalar_category(s: Any) -> int:
    if isinstance(s, bool):
        return 0
    if isinstance(s, int):
        return 1
    if isinstance(s, float):
        return 2
    return 3


def result_type(*operands: Any) -> dtype:
    """PyTorch's ``result_type`` for Tensors (``.dtype``/``.ndim``) and Python scalars."""
    groups: list[list[dtype]] = [[], [], []]  # dimensioned, zero-dim, scalars-as-dtype
    cat_max = [-1, -1, -1]
    for o in operands:
        if isinstance(o, (bool, int, float, complex)):
            c = _scalar_category(o)
            d = {0: bool_, 1: int64, 2: get_default_dtype(), 3: get_default_dtype().to_complex()}[c]
            g = 2
        else:
            d = o.dtype
            c = _category(d)
            g = 0 if o.ndim > 0 else 1
        groups[g].append(d)
        cat_max[g] = max(cat_max[g], c)
    top = max(cat_max)
    for g in range(3):
        if cat_max[g] == top:
            members = [d for d in groups[g] if _category(d) == top]
            res = members[0]
            for d in members[1:]:
                res = from_np_dtype(np.promote_types(res.np, d.np))
            return res
    raise ValueError("result_type needs at least one operand")  # pragma: no cover
