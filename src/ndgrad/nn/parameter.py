"""``Parameter`` and ``Buffer``: the tensors a ``Module`` registers when they are assigned to it.

A ``Parameter`` is a leaf ``Tensor`` that requires grad by default; assigning one to a module
attribute (``self.weight = Parameter(...)``) adds it to ``module.parameters()``. Operations on a
parameter give plain tensors, as in PyTorch. A ``Buffer`` marks a tensor to be registered as a
buffer (state that is saved but not trained, like BatchNorm's running mean).
"""

from __future__ import annotations

import copy
from typing import Any

from .._core.tensor import Tensor, make

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]


def _array_of(data: Any) -> Any:
    if data is None:
        import numpy as np

        from .._core import dtypes as _dt

        return np.empty((0,), dtype=_dt.get_default_dtype().np)
    if not isinstance(data, Tensor):
        raise TypeError(
            f"Parameter's data must be a Tensor, got {type(data).__name__}; "
            "hint: Parameter(ndgrad.tensor(...))"
        )
    return data._data


def _fill(t: Tensor, array: Any) -> None:
    t._data = array
    t._grad = None
    t._requires_grad = False
    t._node = None
    t._vc = None
    t._base = None
    t._ext = None


class Parameter(Tensor):
    """A tensor that is a module parameter: a leaf that requires grad unless told otherwise.

    ``Parameter(data)`` shares ``data``'s memory (as PyTorch's) and is always a leaf, even when
    ``data`` was computed. ``Parameter()`` is an empty tensor of the default dtype.

    Example:
        >>> import ndgrad
        >>> p = ndgrad.nn.Parameter(ndgrad.tensor([1.0, 2.0]))
        >>> p
        Parameter containing:
        tensor([1., 2.], requires_grad=True)
        >>> type(p * 2).__name__, p.is_leaf
        ('Tensor', True)
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        t = object.__new__(cls)
        _fill(t, _array_of(data))
        if requires_grad:
            t.requires_grad_(True)  # raises for integer dtypes, as PyTorch
        return t

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__ (Tensor.__init__ is the legacy constructor)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        xp = self.xp
        result = type(self)(make(xp.asarray(self._data, copy=True)), self._requires_grad)
        if self._grad is not None:
            result._grad = copy.deepcopy(self._grad, memo)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto: int) -> Any:
        return (_rebuild_parameter, (self._data, self._requires_grad))


def _rebuild_parameter(data: Any, requires_grad: bool) -> Parameter:
    return Parameter(make(data), requires_grad)


class Buffer(Tensor):
    """A tensor to be registered as a module buffer when assigned to a module attribute.

    ``persistent=False`` keeps the buffer out of ``state_dict``. The module stores a plain
    tensor (the buffer's data), as PyTorch does.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.Module()
        >>> m.steps = ndgrad.nn.Buffer(ndgrad.zeros(1))
        >>> [name for name, _ in m.named_buffers()]
        ['steps']
    """

    __slots__ = ("persistent",)

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Buffer:
        t = object.__new__(cls)
        _fill(t, _array_of(data))
        if data is not None and data._requires_grad:
            t.requires_grad_(True)
        t.persistent = persistent
        return t

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        pass

    def _plain(self) -> Tensor:
        t = make(self._data, self._requires_grad)
        return t


def _new_uninitialized(cls: type, requires_grad: bool, dtype: Any) -> Any:
    """An empty ``(0,)`` tensor of class ``cls``, of ``dtype`` (default: the default dtype)."""
    import numpy as np

    from .._core import dtypes as _dt

    t = object.__new__(cls)
    d = _dt.get_default_dtype() if dtype is None else dtype
    _fill(t, np.empty((0,), dtype=_dt.to_np_dtype(d)))
    t._requires_grad = bool(requires_grad)
    return t


def _materialize(t: Tensor, shape: Any, dtype: Any, becomes: type) -> None:
    """Give the uninitialised ``t`` its ``shape`` (uninitialised values; its dtype unless
    ``dtype``) and make it a ``becomes``."""
    import numpy as np

    from .._core import dtypes as _dt

    if isinstance(shape, int):
        shape = (shape,)
    np_dtype = t._data.dtype if dtype is None else _dt.to_np_dtype(dtype)
    t._data = np.empty(tuple(shape), dtype=np_dtype)
    t.__class__ = becomes


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (``LazyLinear``); ``materialize`` fills it."""

    __slots__ = ()

    def __new__(cls, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> Any:
        return _new_uninitialized(cls, requires_grad, dtype)

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        pass

    def __repr__(self) -> str:
        return "<UninitializedParameter>"

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the parameter its shape (uninitialised values) and make it a ``Parameter``."""
        _materialize(self, shape, dtype, Parameter)


class UninitializedBuffer(Tensor):
    """A buffer whose shape is not known yet (lazy layers); ``materialize`` fills it and makes
    it a plain tensor."""

    __slots__ = ()

    def __new__(cls, requires_grad: bool = False, device: Any = None, dtype: Any = None) -> Any:
        return _new_uninitialized(cls, requires_grad, dtype)

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None) -> None:
        pass

    def __repr__(self) -> str:
        return "<UninitializedBuffer>"

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the buffer its shape (uninitialised values) and make it a plain tensor."""
        _materialize(self, shape, dtype, Tensor)


def is_lazy(param: Any) -> bool:
    """True for a parameter or buffer that is not materialised yet."""
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))
