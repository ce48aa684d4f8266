"""``Flatten`` and ``Unflatten``: reshape layers (views, as ``Tensor.flatten`` / ``unflatten``)."""

from __future__ import annotations

from typing import Any

from ..._core.tensor import Tensor
from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Flatten dimensions ``start_dim`` to ``end_dim`` into one (by default all but the batch).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Flatten()(ndgrad.zeros(32, 1, 5, 5)).shape
        ndgrad.Size([32, 25])
        >>> ndgrad.nn.Flatten(0, 2)
        Flatten(start_dim=0, end_dim=2)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into the shape ``unflattened_size`` (a tuple or list of ints,
    or, for a named dimension, a tuple of ``(name, size)`` pairs).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Unflatten(1, (2, 5, 5))(ndgrad.zeros(2, 50)).shape
        ndgrad.Size([2, 2, 5, 5])
        >>> ndgrad.nn.Unflatten(1, (2, 5, 5))
        Unflatten(dim=1, unflattened_size=(2, 5, 5))
    """

    def __init__(self, dim: int | str, unflattened_size: Any) -> None:
        super().__init__()
        if isinstance(dim, int):
            self._require_tuple_int(unflattened_size)
        elif isinstance(dim, str):
            raise NotImplementedError(
                "Unflatten with a named dimension needs named tensors, which ndgrad does not "
                "have; hint: pass the dimension's index"
            )
        else:
            raise TypeError("invalid argument type for dim parameter")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def _require_tuple_int(self, input: Any) -> None:
        if isinstance(input, (tuple, list)):
            for idx, elem in enumerate(input):
                if not isinstance(elem, int):
                    raise TypeError(
                        "unflattened_size must be tuple of ints, "
                        + f"but found element of type {type(elem).__name__} at pos {idx}"
                    )
            return
        raise TypeError(
            f"unflattened_size must be a tuple of ints, but found type {type(input).__name__}"
        )

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
