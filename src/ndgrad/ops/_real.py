"""Ops that refuse complex data as PyTorch 2.13 does: ``real_only(forward, refusal)``.

See Note [Complex numbers have no order].
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core import dtypes as _dt

# Note [Complex numbers have no order]
# PyTorch defines no order on complex numbers, so the ops that order values refuse complex
# tensors, each with its kernel's error: comparisons (lt, le, gt, ge and their in-place forms),
# max/min and their relatives (amax, argmax, aminmax, maximum, fmax, clamp, relu, hardtanh,
# threshold), sorting (sort, argsort, topk, kthvalue, median) and sign. NumPy orders complex
# numbers lexicographically, so without a check ndgrad would answer where PyTorch refuses.
# ``real_only`` wraps a record's forward, the only code on raw arrays, so every path that runs
# the record (the general and the fast paths, in-place, ``out=``, vmap) sees the check. A record
# with a NumPy fast path (``ufunc=``) would need its ufunc wrapped too, since the fast paths call
# it instead of the forward: none of these records has one. The check reads the dtypes after
# promotion (``r > z`` refuses in the common complex dtype, as PyTorch names it): a dtype lookup
# per input, about 100 ns on ``x > y`` (0.74 -> 0.85 us for 100 float64 elements).

# (PyTorch's dtype name, the op's params) -> the exception to raise
Refusal = Callable[[str, dict], Exception]

_NAMES = {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}
_ndarray = np.ndarray
_SCALARS = (int, float, bool)
_F64 = np.dtype("float64")
_F32 = np.dtype("float32")
_EMPTY: dict = {}


def kernel(name: str, hint: str) -> Refusal:
    """PyTorch's dispatch error for a kernel without complex loops:
    ``"gt_cpu" not implemented for 'ComplexFloat'``."""
    return lambda dtype, params: NotImplementedError(
        f"\"{name}\" not implemented for '{dtype}'; hint: {hint}"
    )


def message(cls: type[Exception], text: str, hint: str) -> Refusal:
    """A fixed PyTorch message (``clamp is not supported for complex types``) and ndgrad's hint."""
    return lambda dtype, params: cls(f"{text}; hint: {hint}")


def complex_name(arrays: Any) -> str | None:
    """PyTorch's name of the complex dtype among ``arrays`` (arrays, Python scalars, None), or
    None when none is complex. A Python complex next to real arrays names the complex dtype of
    the first floating one (ComplexFloat otherwise), as PyTorch's promotion would."""
    scalar = False
    for a in arrays:
        if type(a) is _ndarray:
            d = a.dtype
            if d.kind == "c":
                return _NAMES[d.name]
            continue
        if a is None or isinstance(a, _SCALARS):
            continue
        if isinstance(a, complex):
            scalar = True
            continue
        d = getattr(a, "dtype", None)
        if d is not None:
            nd = _dt.from_np_dtype(d)
            if nd.is_complex:
                return _NAMES.get(nd.name, nd.name)
    if scalar:
        for a in arrays:
            d = getattr(a, "dtype", None)
            if d is not None and _dt.from_np_dtype(d).name == "float64":
                return "ComplexDouble"
        return "ComplexFloat"
    return None


def real_only(forward: Callable[..., Any], refusal: Refusal) -> Callable[..., Any]:
    """``forward(xp, *arrays, **params)`` raising ``refusal`` for complex arrays.

    The wrapper takes the forward's own positional signature when it has one to three arrays
    and no params (``*args`` packing costs more than the check): on real NumPy arrays and Python
    numbers the check is one identity test per input.
    """
    n, keywords = _arity(forward)
    make = (_ONE_WITH_PARAMS if n == 1 else _GENERAL) if keywords else _BY_ARITY.get(n, _GENERAL)
    checked = make(forward, refusal)
    checked.__wrapped__ = forward  # type: ignore[attr-defined]
    return checked


def _arity(forward: Callable[..., Any]) -> tuple[int, bool]:
    """(number of positional arrays after ``xp``, -1 for ``*args``; whether it takes params)."""
    positional = 0
    keywords = False
    for p in list(inspect.signature(forward).parameters.values())[1:]:
        if p.kind == p.VAR_POSITIONAL:
            return -1, True
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional += 1
        else:
            keywords = True
    return positional, keywords


# The checks below inline "a real NumPy array or a Python number" for speed (closure cells, no
# calls); anything else takes ``complex_name``, which knows every backend.
def _one(forward: Callable[..., Any], refusal: Refusal) -> Callable[..., Any]:
    nd, f64, f32 = _ndarray, _F64, _F32

    def checked(xp: Any, x: Any) -> Any:
        if type(x) is nd:
            d = x.dtype
            if d is f64 or d is f32 or d.kind != "c":  # identity first: the common dtypes
                return forward(xp, x)
        name = complex_name((x,))
        if name is not None:
            raise refusal(name, _EMPTY)
        return forward(xp, x)

    return checked


def _two(forward: Callable[..., Any], refusal: Refusal) -> Callable[..., Any]:
    nd, f64, f32 = _ndarray, _F64, _F32

    def checked(xp: Any, x: Any, y: Any) -> Any:
        if type(x) is nd:
            d = x.dtype
            if d is f64 or d is f32 or d.kind != "c":
                ty = type(y)
                if ty is nd:
                    d = y.dtype
                    if d is f64 or d is f32 or d.kind != "c":
                        return forward(xp, x, y)
                elif ty is float or ty is int:
                    return forward(xp, x, y)
        name = complex_name((x, y))
        if name is not None:
            raise refusal(name, _EMPTY)
        return forward(xp, x, y)

    return checked


def _three(forward: Callable[..., Any], refusal: Refusal) -> Callable[..., Any]:
    nd, f64, f32 = _ndarray, _F64, _F32

    def checked(xp: Any, x: Any, a: Any, b: Any) -> Any:  # clamp(x, min, max)
        if type(x) is nd:
            d = x.dtype
            if d is f64 or d is f32 or d.kind != "c":
                ta, tb = type(a), type(b)
                if (
                    a is None or ta is float or ta is int or (ta is nd and a.dtype.kind != "c")
                ) and (b is None or tb is float or tb is int or (tb is nd and b.dtype.kind != "c")):
                    return forward(xp, x, a, b)
        name = complex_name((x, a, b))
        if name is not None:
            raise refusal(name, _EMPTY)
        return forward(xp, x, a, b)

    return checked


def _one_with_params(forward: Callable[..., Any], refusal: Refusal) -> Callable[..., Any]:
    nd, f64, f32 = _ndarray, _F64, _F32

    def checked(xp: Any, x: Any, **params: Any) -> Any:  # sort(x, dim=...), amax(x, dim=...)
        if type(x) is nd:
            d = x.dtype
            if d is f64 or d is f32 or d.kind != "c":
                return forward(xp, x, **params)
        name = complex_name((x,))
        if name is not None:
            raise refusal(name, params)
        return forward(xp, x, **params)

    return checked


def _general(forward: Callable[..., Any], refusal: Refusal) -> Callable[..., Any]:
    def checked(xp: Any, *arrays: Any, **params: Any) -> Any:
        name = complex_name(arrays)
        if name is not None:
            raise refusal(name, params)
        return forward(xp, *arrays, **params)

    return checked


_GENERAL = _general
_ONE_WITH_PARAMS = _one_with_params
_BY_ARITY = {1: _one, 2: _two, 3: _three}
