"""Casts and copies that stay in the graph: ``to(dtype)``, ``type``, ``clone``."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core.tensor import Tensor, cut_site
from .elementwise import real
from .registry import Sample, attach_method, def_op
from .samples import rand, unary

# ---------------------------------------------------------------- casts


def _to_fwd(xp: Any, x: Any, *, dtype: Any) -> Any:
    if not dtype.is_complex and _dt.from_np_dtype(x.dtype).is_complex:
        x = xp.real(x)  # complex -> real keeps the real part (``x.to`` warns, as PyTorch)
    return _backend.backend(xp).astype(x, dtype)


def _to_vjp(g: Tensor, ans: Any, x: Any, *, dtype: Any) -> Tensor:
    # The engine casts it back to the input's dtype. A real input of a complex cast gets the
    # real part of g (PyTorch's handle_r_to_c): d/dx of the real x as the complex x + 0i.
    if dtype.is_complex and not x.dtype.is_complex:
        return real(g)
    return g


to_dtype = def_op(
    "_to_dtype",
    api="to",
    forward=_to_fwd,
    vjp=_to_vjp,
    jvp="linear",
    params=(("dtype", None),),
    save=None,
    method=False,
    export=False,
    backward_name="ToCopyBackward0",
    # a cast to the samples' own dtype (the template checks dtypes as given); casts between
    # dtypes and their gradients are checked against PyTorch in tests/test_tensor.py
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt),), {"dtype": _dt.from_np_dtype(np.dtype(dt))}),
        Sample((rand(rng, (), dt),), {"dtype": _dt.from_np_dtype(np.dtype(dt))}),
    ],
    ref=lambda x, dtype: x.astype(dtype.np),
    torch=lambda x, dtype: x.to(getattr(__import__("torch"), dtype.name)),
    complex=True,
)


def _to(
    self: Tensor, *args: Any, dtype: Any = None, device: Any = None, copy: bool = False, **kw: Any
) -> Tensor:
    """``x.to(dtype)``, ``x.to("cpu")``, ``x.to(other)``: a cast is recorded (differentiable)."""
    from .._core.tensor import device as _device

    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, _device)):
            device = a
        elif a is not None:
            dtype = a
    if device is not None:
        from .._core.factories import _check_device

        if _check_device(device) != self.device:  # pragma: no cover - needs a GPU backend
            raise NotImplementedError("moving tensors between devices comes with the GPU backend")
    if dtype is None:
        return self.clone() if copy else self
    dt = _dt.to_dtype(dtype)
    if dt is self.dtype and not copy:
        return self
    if not dt.is_complex and self.dtype.is_complex:
        warnings.warn(
            "Casting complex values to real discards the imaginary part; hint: take z.real, "
            "z.abs() or z.angle() explicitly",
            UserWarning,
            stacklevel=2,
        )
    out = to_dtype(self, dtype=dt)
    if self._requires_grad and not (dt.is_floating_point or dt.is_complex):
        out._requires_grad = False
        out._node = None
        out._x().cut = f"it was cast to the integer dtype {dt}" + cut_site()
    return out


attach_method("to", _to)
for _name, _d in (
    ("float", _dt.float32),
    ("double", _dt.float64),
    ("half", _dt.float16),
    ("long", _dt.int64),
    ("int", _dt.int32),
    ("bool", _dt.bool_),
):
    attach_method(_name, (lambda d: lambda self: _to(self, d))(_d))
attach_method("type_as", lambda self, other: _to(self, other.dtype))

clone = def_op(
    "clone",
    stubs=False,  # its rules read only what they saved
    forward=lambda xp, x: _backend.backend(xp).copy(x),
    vjp=lambda g, ans, x: g,
    jvp="linear",
    save=None,
    samples=unary(),
    ref=lambda x: x.copy(),
    complex=True,
    doc="A copy that stays in the graph. d/dx = 1.",
)
