"""Shape ops: reshape, view, expand, transpose, permute, squeeze, unsqueeze, cat, stack, ...

Most are views of their input (they share memory and the version counter, as in PyTorch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.tensor import Tensor
from .registry import EXPORTS, Sample, def_op
from .samples import rand


def size_arg(shape: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _reshape_fwd(xp: Any, x: Any, *, shape: tuple) -> Any:
    try:
        return xp.reshape(x, shape)
    except ValueError:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {int(np.prod(x.shape))}; "
            "hint: the new shape must hold the same number of elements (use -1 for one "
            "dimension to infer it)"
        ) from None


_reshape = def_op(
    "reshape",
    forward=_reshape_fwd,
    vjp=lambda g, ans, x, *, shape: g.reshape(x.shape),
    jvp="linear",
    params=(("shape", None),),
    save=None,
    view=True,
    method=False,
    export=False,
    backward_name="ReshapeAliasBackward0",
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 3), dt),), {"shape": (3, 2)}),
        Sample((rand(rng, (2, 3), dt),), {"shape": (-1,)}),
        Sample((rand(rng, (), dt),), {"shape": (1, 1)}),
    ],
    ref=lambda x, shape: np.reshape(x, shape),
    torch=lambda x, shape: x.reshape(shape),
)


def reshape(input: Tensor, *shape: Any) -> Tensor:  # noqa: A002
    """A tensor with the same data and ``shape`` (a view when possible); -1 infers a size."""
    return _reshape(input, shape=size_arg(shape))


def view(self: Tensor, *shape: Any) -> Tensor:
    """Like reshape (PyTorch's view also requires contiguous memory; NumPy copies if needed)."""
    return _reshape(self, shape=size_arg(shape))


def _expand_fwd(xp: Any, x: Any, *, shape: tuple) -> Any:
    lead = len(shape) - x.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({x.ndim})"
        )
    full = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    try:
        return xp.broadcast_to(x, full)
    except ValueError:
        raise RuntimeError(
            f"The expanded size of the tensor must match the existing size at non-singleton "
            f"dimensions: cannot expand shape {tuple(x.shape)} to {tuple(shape)}; hint: only "
            "dimensions of size 1 can be expanded"
        ) from None


_expand = def_op(
    "expand",
    forward=_expand_fwd,
    vjp=lambda g, ans, x, *, shape: g,  # the engine sums back to x's shape
    jvp="linear",
    params=(("shape", None),),
    save=None,
    view=True,
    method=False,
    export=False,
    samples=lambda rng, dt: [
        Sample((rand(rng, (3, 1), dt),), {"shape": (3, 4)}),
        Sample((rand(rng, (3,), dt),), {"shape": (2, 3)}),
        Sample((rand(rng, (), dt),), {"shape": (2,)}),
    ],
    ref=lambda x, shape: np.broadcast_to(x, shape),
    torch=lambda x, shape: x.expand(shape),
)


def expand(self: Tensor, *sizes: Any) -> Tensor:
    """A broadcast view to ``sizes`` (-1 keeps a dimension); gradients are summed back."""
    shape = size_arg(sizes)
    if tuple(self._data.shape) == shape:
        return self
    return _expand(self, shape=shape)


for _n, _f in (("reshape", reshape), ("view", view), ("expand", expand)):
    setattr(Tensor, _n, _f)
Tensor.expand_as = lambda self, other: expand(self, tuple(other.shape))
Tensor.view_as = lambda self, other: view(self, tuple(other.shape))
Tensor.reshape_as = lambda self, other: reshape(self, tuple(other.shape))
EXPORTS["reshape"] = reshape

__all__ = sorted(k for k in EXPORTS)
