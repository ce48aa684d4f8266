"""PyTorch's legacy names, which week-one code and old tutorials still use.

* ``FloatTensor``, ``DoubleTensor``, ``HalfTensor``, ``LongTensor``, ``IntTensor``, ``ShortTensor``,
  ``CharTensor``, ``ByteTensor``, ``BoolTensor``: calling one makes a tensor of its dtype
  (``FloatTensor([1, 2])`` from data, ``FloatTensor(2, 3)`` of a shape), and ``isinstance(t,
  FloatTensor)`` is true for float32 tensors on the CPU, as PyTorch's metaclass check. They are not
  subclasses of ``Tensor`` and what they make is a plain ``Tensor``, again as in PyTorch.
* ``autograd.Variable``: since PyTorch 0.4 a Variable *is* a tensor; ``Variable(t,
  requires_grad=True)`` gives a new leaf sharing ``t``'s memory, and ``isinstance(t, Variable)`` is
  true for every tensor.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import dtypes as _dt
from .tensor import Size, Tensor, make

__all__ = [
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
    "Variable",
]


class _LegacyTensorType(type):
    """The metaclass of ``FloatTensor`` and its kin: a call constructs, isinstance checks dtype."""

    dtype: _dt.dtype

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.device.type == "cpu"

    def __repr__(cls) -> str:
        return f"<class 'ndgrad.{cls.__name__}'>"

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        from .factories import _check_device, tensor, zeros

        if device is not None and _check_device(device).type != "cpu":
            raise RuntimeError(
                f"legacy constructor expects device type: cpu but device type: "
                f"{_check_device(device).type} was passed; hint: use ndgrad.tensor(data, "
                f"dtype=ndgrad.{cls.dtype.name}, device=...)"
            )
        dt = cls.dtype
        if not args:
            return zeros(0, dtype=dt)
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            return zeros(*args, dtype=dt)  # PyTorch leaves the memory uninitialised
        if len(args) == 1 and isinstance(args[0], Size):
            return zeros(*args[0], dtype=dt)
        if len(args) != 1:
            raise TypeError(
                f"new() received an invalid combination of arguments: {cls.__name__}"
                f"({', '.join(type(a).__name__ for a in args)}); hint: pass one sequence of "
                f"data ({cls.__name__}([1, 2])) or the sizes as ints ({cls.__name__}(2, 3))"
            )
        data = args[0]
        if isinstance(data, Tensor):
            if data.dtype is not dt:
                raise TypeError(
                    f"expected {dt} (got {data.dtype}); hint: convert it with "
                    f"x.to(ndgrad.{dt.name})"
                )
            return make(data._data)  # an alias of the data, as PyTorch's legacy constructor
        if isinstance(data, (int, float, complex, bool)):
            raise TypeError(
                f"new(): data must be a sequence (got {type(data).__name__}); hint: "
                f"{cls.__name__}([{data!r}]) for one value"
            )
        return tensor(data, dtype=dt)


def _legacy(name: str, dt: _dt.dtype) -> type:
    cls = _LegacyTensorType(
        name,
        (),
        {
            "dtype": dt,
            "__module__": "ndgrad",
            "__doc__": f"PyTorch's legacy ``torch.{name}``: makes, and matches, {dt} tensors.",
        },
    )
    return cls


FloatTensor = _legacy("FloatTensor", _dt.float32)
DoubleTensor = _legacy("DoubleTensor", _dt.float64)
HalfTensor = _legacy("HalfTensor", _dt.float16)
LongTensor = _legacy("LongTensor", _dt.int64)
IntTensor = _legacy("IntTensor", _dt.int32)
ShortTensor = _legacy("ShortTensor", _dt.int16)
CharTensor = _legacy("CharTensor", _dt.int8)
ByteTensor = _legacy("ByteTensor", _dt.uint8)
BoolTensor = _legacy("BoolTensor", _dt.bool_)


class _VariableType(type):
    """The metaclass of ``Variable``: every tensor is a Variable; a call returns a tensor."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor)

    def __call__(
        cls, data: Any = None, requires_grad: bool = False, volatile: bool = False
    ) -> Tensor:
        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with torch.no_grad():` "
                "instead. hint: `with ndgrad.no_grad():`",
                UserWarning,
                stacklevel=2,
            )
        if data is None:
            from .factories import zeros

            t = zeros(0)
        elif isinstance(data, Tensor):
            t = data.detach()  # shares memory and the version counter, as PyTorch's
        else:
            raise TypeError(
                f"Variable data has to be a tensor, but got {type(data).__name__}; hint: "
                "Variable(ndgrad.tensor(data)), or just ndgrad.tensor(data, requires_grad=True)"
            )
        if requires_grad:
            t.requires_grad_(True)
        return t


class Variable(metaclass=_VariableType):
    """PyTorch's legacy ``Variable``: ``Variable(t, requires_grad=True)`` is a tensor.

    Example:
        >>> import ndgrad
        >>> from ndgrad.autograd import Variable
        >>> Variable(ndgrad.ones(2), requires_grad=True)
        tensor([1., 1.], requires_grad=True)
    """

    __module__ = "ndgrad.autograd"
