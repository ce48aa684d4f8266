"""The Tensor: an array with the five autograd attributes PyTorch users know.

``data`` (the values), ``grad`` (filled by backward on leaves that require grad), ``requires_grad``,
``grad_fn`` (the Node that made it, None for leaves) and ``is_leaf``. Operators and most methods are
attached by the op table (``ndgrad.ops``); this file holds what is not an op.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import _backend
from . import anomaly as _anomaly
from . import dtypes as _dt
from .grad_mode import grad_enabled
from .node import AccumulateGrad, Node, Output, RemovableHandle

__all__ = ["Tensor", "make", "device", "Size"]


class Size(tuple):
    """The shape of a tensor: a tuple that prints as ``ndgrad.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"ndgrad.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class device:  # noqa: N801 - PyTorch's name
    """Where a tensor lives: ``device("cpu")``; ``device("cuda:0")`` for CuPy arrays."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any = "cpu", index: int | None = None) -> None:
        kind = type
        if isinstance(kind, device):
            kind, index = kind.type, kind.index
        kind = str(kind)
        if ":" in kind:
            text = kind
            kind, idx = kind.split(":", 1)
            if not idx.isdigit() or not idx.isascii() or (len(idx) > 1 and idx[0] == "0"):
                raise RuntimeError(
                    f"Invalid device string: '{text}'; hint: write 'cuda:0' (a non-negative "
                    "index without spaces or leading zeros) or 'cpu'"
                )
            index = int(idx)
        elif index is not None and int(index) < 0:
            raise RuntimeError("Device index must not be negative")
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {kind}; "
                "hint: use 'cpu' (or 'cuda' with the GPU backend)"
            )
        self.type = kind
        self.index = index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


_CPU = device("cpu")


class _Ext:
    """Rarely used per-tensor state, kept out of the hot path (one object, made on demand)."""

    __slots__ = (
        "hooks",
        "post_hooks",
        "retains_grad",
        "acc_ref",
        "cut",
        "tangent",
        "name",
        "view_of",
        "inference",
    )

    def __init__(self) -> None:
        self.hooks: list | None = None
        self.post_hooks: list | None = None
        self.retains_grad = False
        self.acc_ref = None
        self.cut: str | None = None
        self.tangent: Tensor | None = None
        self.name: str | None = None
        self.view_of: tuple | None = None  # (base, index) for views made by x[index]
        self.inference = False


_new = object.__new__


def make(data: Any, requires_grad: bool = False, node: Node | None = None) -> Tensor:
    """Wrap a backend array without copying (internal, hot path)."""
    t = _new(Tensor)
    t._data = data
    t._grad = None
    t._requires_grad = requires_grad
    t._node = node
    t._vc = None
    t._base = None
    t._ext = None
    return t


def _version_of(t: Tensor) -> int:
    vc = t._vc
    return 0 if vc is None else vc[0]


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> y = (3 * x ** 2).sum()
        >>> y.backward()
        >>> x.grad
        tensor([ 6., 12., 18.])
    """

    __slots__ = ("_data", "_grad", "_requires_grad", "_node", "_vc", "_base", "_ext", "__weakref__")
    __hash__ = object.__hash__
    __array_ufunc__ = None  # NumPy defers to our reflected operators: ndarray + Tensor -> Tensor
    __array_function__ = None

    def __init__(self, *args: Any, dtype: Any = None, device: Any = None) -> None:
        """The legacy constructor: ``Tensor([1, 2])`` (data, default dtype) or ``Tensor(2, 3)``."""
        from .factories import tensor as _tensor

        if len(args) == 1 and not isinstance(args[0], int):
            src = _tensor(args[0], dtype=dtype or _dt.get_default_dtype())
        else:
            shape = tuple(args[0]) if len(args) == 1 and not isinstance(args[0], int) else args
            src = make(
                np.zeros(
                    shape, dtype=(dtype and _dt.to_np_dtype(dtype)) or _dt.get_default_dtype().np
                )
            )
        self._data = src._data
        self._grad = None
        self._requires_grad = False
        self._node = None
        self._vc = None
        self._base = None
        self._ext = None

    # ------------------------------------------------------------------ internal helpers
    def _x(self) -> _Ext:
        e = self._ext
        if e is None:
            e = self._ext = _Ext()
        return e

    def _acc_ref(self) -> Any:
        e = self._ext
        return None if e is None else e.acc_ref

    def _set_acc_ref(self, ref: Any) -> None:
        self._x().acc_ref = ref

    def _bump_version(self) -> None:
        vc = self._vc
        if vc is None:
            self._vc = [1]
        else:
            vc[0] += 1

    def _shared_vc(self) -> list:
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        return vc

    # ------------------------------------------------------------------ the five attributes
    @property
    def data(self) -> Tensor:
        """The values, as a tensor that does not require grad (same memory, own version)."""
        t = make(self._data)
        if self._requires_grad:
            t._x().cut = ".data" + cut_site()
        return t

    @data.setter
    def data(self, value: Any) -> None:
        if isinstance(value, Tensor):
            value = value._data
        elif not _backend.is_array(value):
            raise TypeError(
                f"Tensor.data must be set to a Tensor (or array), got {type(value).__name__}; "
                "hint: x.data = x.data - lr * x.grad"
            )
        self._data = value

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward (leaves that require grad, or ``retain_grad``)."""
        if self._node is not None and not (self._ext is not None and self._ext.retains_grad):
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you indeed "
                "want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on "
                "the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you "
                "access the leaf Tensor instead.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if tuple(value.shape) != tuple(self.shape):
                raise RuntimeError(
                    f"assigned grad has data of a different size: the tensor has shape "
                    f"{tuple(self.shape)} but the grad has shape {tuple(value.shape)}; "
                    "hint: a gradient always has the shape of its tensor"
                )
            if value.dtype is not self.dtype:
                raise RuntimeError(
                    f"assigned grad has data of a different type: {value.dtype} for a "
                    f"{self.dtype} tensor; hint: convert it with .to({self.dtype})"
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._node is not None:
            raise _leaf_flag_error(bool(value))
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf in place; returns the tensor.

        On a non-leaf (which always requires grad) ``requires_grad_(True)`` does nothing, as in
        PyTorch; ``requires_grad_(False)`` raises.
        """
        if self._node is not None:
            if requires_grad:
                return self
            raise _leaf_flag_error(False)
        if requires_grad:
            d = self.dtype
            if not (d.is_floating_point or d.is_complex):
                raise RuntimeError(
                    "only Tensors of floating point and complex dtype can require gradients; "
                    f"this tensor is {d}. hint: make it floating point first, e.g. "
                    "x = x.float() or ndgrad.tensor(..., dtype=ndgrad.float32)"
                )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad_fn(self) -> Node | None:
        n = self._node
        if type(n) is Output:  # See Note [Outputs of multi-output nodes] in node.py
            return n.node
        return n

    @property
    def output_nr(self) -> int:
        """Which output of its ``grad_fn`` this tensor is (0 for single-output ops and leaves)."""
        n = self._node
        return n.nr if type(n) is Output else 0

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def _version(self) -> int:
        return _version_of(self)

    # ------------------------------------------------------------------ array facts
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[dim]

    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_np_dtype(self._data.dtype)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        n = 1
        for s in self._data.shape:
            n *= s
        return n

    nelement = numel

    @property
    def device(self) -> device:
        d = getattr(self._data, "device", "cpu")
        if isinstance(d, str) and d == "cpu":
            return _CPU
        name = type(self._data).__module__
        if name.startswith("cupy"):
            return device("cuda", int(getattr(d, "id", 0)))
        return _CPU

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    @property
    def xp(self) -> Any:
        """The array namespace of the data (NumPy, CuPy, ...)."""
        return _backend.namespace(self._data)

    # ------------------------------------------------------------------ autograd methods
    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Accumulate d(self)/d(leaf), weighted by ``gradient``, into every leaf's ``.grad``.

        For a one-element tensor ``gradient`` may be left out (it is 1). For any other shape it is
        the vector ``v`` of the vector-Jacobian product ``v^T J``: a weight per component.
        """
        from .engine import backward as _backward

        _backward(
            (self,), None if gradient is None else (gradient,), retain_graph, create_graph, inputs
        )

    def detach(self) -> Tensor:
        """A tensor with the same data, cut from the graph (shares the version counter)."""
        t = make(self._data)
        t._vc = self._shared_vc()
        if self._requires_grad:
            t._x().cut = "detach()" + cut_site()
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place: it becomes a leaf that does not require grad."""
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. hint: y = x.detach()"
            )
        self._node = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep the gradient of this non-leaf tensor in ``.grad`` after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._node is None:
            return
        import weakref

        e = self._x()
        if e.retains_grad:
            return
        e.retains_grad = True
        self._node._ext().retain = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self._node is not None and self._ext is not None and self._ext.retains_grad

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a return value replaces it.

        On a leaf the hooks run before the gradient is accumulated into ``.grad``; on a non-leaf
        they run before the gradient flows on into ``grad_fn``.
        """
        if not self._requires_grad:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient; "
                "hint: call x.requires_grad_() on the leaf first"
            )
        if self._node is not None:
            return self._node.add_tensor_hook(hook)
        else:
            e = self._x()
            if e.hooks is None:
                e.hooks = []
            lst = e.hooks
        lst.append(hook)
        return RemovableHandle(lst, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """Call ``hook(tensor)`` after a gradient was accumulated into this leaf's ``.grad``."""
        if self._node is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        e = self._x()
        if e.post_hooks is None:
            e.post_hooks = []
        e.post_hooks.append(hook)
        return RemovableHandle(e.post_hooks, hook)

    # ------------------------------------------------------------------ conversions
    def item(self) -> Any:
        """The value of a one-element tensor as a Python number (leaves the graph)."""
        if self.numel() != 1:
            raise RuntimeError(
                f"a Tensor with {self.numel()} elements cannot be converted to Scalar; "
                "hint: use .tolist() for many values or index one element first"
            )
        return _backend.to_numpy(self._data).reshape(()).item()

    def tolist(self) -> Any:
        return _backend.to_numpy(self._data).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array (shares memory on the CPU)."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return _backend.to_numpy(self._data)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The data as a NumPy array, for ``np.asarray(t)`` and libraries that take arrays.

        This is how matplotlib, pandas and SciPy see a tensor (``plt.plot(x.detach(), x.grad)``).
        A tensor that requires grad converts too (PyTorch raises there, as ``.numpy()`` does in
        both): the array has no history, so nothing can go wrong silently. NumPy 2's ``copy=``:
        ``True`` always copies, ``None`` copies only when it must (another dtype, another
        backend), ``False`` never copies and raises ``ValueError`` when it would have to.

        Example:
            >>> import numpy as np, ndgrad
            >>> np.asarray(ndgrad.tensor([1.0, 2.0]))
            array([1., 2.], dtype=float32)
        """
        d = self._data
        if type(d) is np.ndarray:
            a, fresh = d, False
        else:
            if copy is False:
                raise ValueError(
                    "Unable to avoid copy while creating an array as requested: the tensor's data "
                    f"lives on the {_backend.backend_name(_backend.namespace(d))} backend; "
                    "hint: pass copy=None (np.asarray) to allow a copy to the host"
                )
            a, fresh = _backend.to_numpy(d), True
        if dtype is not None and a.dtype != np.dtype(dtype):
            if copy is False:
                raise ValueError(
                    f"Unable to avoid copy while creating an array as requested: the tensor is "
                    f"{self.dtype}, not {np.dtype(dtype)}; hint: pass copy=None to allow the cast"
                )
            return a.astype(dtype)
        return a.copy() if copy and not fresh else a

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def _one(self, kind: str) -> Any:
        if self.numel() != 1:
            if kind == "bool":  # PyTorch's classes: RuntimeError for bool(), ValueError otherwise
                raise RuntimeError(
                    "Boolean value of Tensor with more than one value is ambiguous; hint: use "
                    ".any() or .all(), or compare one element"
                )
            raise ScalarConversionError(
                f"only one element tensors can be converted to Python scalars; hint: this tensor "
                f"has {self.numel()} elements: index one first (x[0]) or use .tolist()"
            )
        return self.item()

    def __bool__(self) -> bool:
        return bool(self._one("bool"))

    def __float__(self) -> float:
        return float(self._one("float"))

    def __int__(self) -> int:
        return int(self._one("int"))

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self._one("complex"))

    def __repr__(self) -> str:
        from .printing import tensor_repr

        return tensor_repr(self)

    def __deepcopy__(self, memo: dict) -> Tensor:
        """``copy.deepcopy(t)`` of a leaf: new memory, the same ``requires_grad`` and ``.grad``.

        As in PyTorch, a non-leaf raises, and tensors that shared memory (a view and its base)
        still share it in the copy when they are copied together.
        """
        if self._node is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment. hint: deepcopy x.detach() (then .requires_grad_() if "
                "needed), or make the copy from the leaves"
            )
        view = _view_parts(self)
        if view is not None and view[0]._node is None:
            t = _rebuild_view(copy.deepcopy(view[0], memo), *view[1:], self._requires_grad)
        else:
            xp = _backend.namespace(self._data)
            t = make(xp.asarray(self._data, copy=True), self._requires_grad)
        if self._grad is not None:
            t._grad = copy.deepcopy(self._grad, memo)
        memo[id(self)] = t
        return t

    def __reduce_ex__(self, proto: int) -> Any:
        """Pickling (``pickle``, ``copy.copy``, ``multiprocessing``, joblib), as in PyTorch.

        A tensor pickles as its array (NumPy's own pickling) and ``requires_grad``; history and
        ``.grad`` are not kept, so a tensor that was computed loads as a leaf, and a view loads
        as a tensor of its own (PyTorch does the same). ``copy.copy`` shares the memory, as
        PyTorch's. Unpickling can run code: read files you did not write with ``ndgrad.load``,
        which never unpickles.
        """
        return (_rebuild_tensor, (self._data, self._requires_grad))

    def is_inference(self) -> bool:
        """True for tensors made inside ``inference_mode()``."""
        return self._ext is not None and self._ext.inference

    @property
    def name(self) -> str | None:
        return None if self._ext is None else self._ext.name

    def cuda(
        self, device: Any = None, non_blocking: bool = False, memory_format: Any = None
    ) -> Tensor:
        """A copy on the GPU; without a GPU backend, PyTorch's "not compiled with CUDA" error.

        The error is an ``AssertionError``, as PyTorch's (and also a ``RuntimeError``).
        """
        from .factories import _check_device

        if isinstance(device, int):
            device = f"cuda:{device}"
        d = _check_device("cuda" if device is None else device)  # raises without a GPU
        if d.type != "cuda":
            raise RuntimeError(f"Invalid device, must be cuda device, got {d}")
        if d == self.device:  # pragma: no cover - needs a GPU backend
            return self
        raise NotImplementedError(  # pragma: no cover - needs a GPU backend
            "moving tensors between devices comes with the GPU backend"
        )


class ScalarConversionError(ValueError, RuntimeError):
    """``float(t)`` / ``int(t)`` / ``complex(t)`` of a tensor with more than one element.

    A ``ValueError``, as PyTorch's, and a ``RuntimeError`` for code written against earlier
    versions of ndgrad.
    """


# --------------------------------------------------------------------------------------------
# Pickling and deepcopy: module-level, so that a pickle names ndgrad._core.tensor._rebuild_tensor.


def _rebuild_tensor(data: Any, requires_grad: bool = False) -> Tensor:
    """A leaf tensor around an unpickled array (the inverse of ``Tensor.__reduce_ex__``)."""
    t = make(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _view_parts(t: Tensor) -> tuple | None:
    """``(base, byte offset, dtype, shape, strides, writeable)`` of a NumPy view in its base."""
    base = t._base
    if base is None:
        return None
    d, bd = t._data, base._data
    if (
        type(d) is not np.ndarray
        or type(bd) is not np.ndarray
        or not bd.flags.c_contiguous
        or d.dtype.hasobject
        or d.size == 0
    ):
        return None
    lo, hi = np.lib.array_utils.byte_bounds(d)
    blo, bhi = np.lib.array_utils.byte_bounds(bd)
    if lo < blo or hi > bhi:  # base.data was replaced since: the view no longer lies in it
        return None
    offset = d.__array_interface__["data"][0] - blo
    return base, offset, d.dtype, d.shape, d.strides, bool(d.flags.writeable)


def _rebuild_view(
    base: Tensor,
    offset: int,
    dtype: np.dtype,
    shape: tuple,
    strides: tuple,
    writeable: bool,
    requires_grad: bool,
) -> Tensor:
    """A leaf in ``base``'s memory where the copied view was in its base's (deepcopy keeps it)."""
    a = np.ndarray(shape, dtype=dtype, buffer=base._data, offset=offset, strides=strides)
    if not writeable:
        a.flags.writeable = False
    return _rebuild_tensor(a, requires_grad)


def _leaf_flag_error(requires_grad: bool) -> RuntimeError:
    msg = "you can only change requires_grad flags of leaf variables."
    if not requires_grad:
        msg += (
            " If you want to use a computed variable in a subgraph that doesn't require "
            "differentiation use var_no_grad = var.detach()."
        )
    else:
        msg += " hint: a computed tensor already requires grad; use var.detach() to cut it."
    return RuntimeError(msg)


def _cut_reason(t: Tensor) -> str | None:
    return None if t._ext is None else t._ext.cut


# Note [Where a cut happened]
# A cut reason (``_Ext.cut``: "detach()", ".data", "it was computed under no_grad()", ...) names
# the user's file and line, " at FILE:LINE", only while ``ndgrad.set_debug(True)`` (``DEBUG[0]``)
# or anomaly mode is on: finding the line walks the stack, so it is never done otherwise. Results
# computed from a cut tensor carry its reason on, site included (``note_cut`` in ops/dispatch.py);
# ``ndgrad.explain`` and backward's error message read it back.
DEBUG = [False]


def cut_site() -> str:
    """The user's ``" at FILE:LINE"`` while debug or anomaly mode is on, else ``""``."""
    if not (DEBUG[0] or _anomaly.ACTIVE[0]):
        return ""
    fs = _anomaly._user_frame(_anomaly._stack())
    return "" if fs is None else f" at {fs.filename}:{fs.lineno}"


def grad_recording() -> bool:
    return grad_enabled()


__all__ += ["_version_of", "AccumulateGrad"]
