"""``ndgrad.nn`` layers: LayerNorm, RMSNorm, GroupNorm, LocalResponseNorm.

Each normalises over a set of dimensions and (optionally) applies a learnt elementwise affine
map, initialised to the identity (``weight = 1``, ``bias = 0``):

    LayerNorm:  y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias   (over normalized_shape)
    RMSNorm:    y = x / sqrt(mean(x^2) + eps) * weight
    GroupNorm:  LayerNorm over each group of C / G channels, affine per channel
"""

from __future__ import annotations

import numbers
from typing import Any

from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["LayerNorm", "RMSNorm", "GroupNorm", "LocalResponseNorm"]


def _register_affine(
    module: Module, affine: bool, shape: tuple, device: Any, dtype: Any, bias: bool | None
) -> None:
    """Register the elementwise affine map of a normalisation layer, as PyTorch does:
    parameters ``weight`` and (unless ``bias is None``: the layer has none) ``bias`` of
    ``shape`` when ``affine``, registered as None otherwise (or when ``bias`` is False)."""
    import ndgrad

    if affine:
        module.weight = Parameter(ndgrad.empty(*shape, device=device, dtype=dtype))
    else:
        module.register_parameter("weight", None)
    if bias is None:
        return
    if affine and bias:
        module.bias = Parameter(ndgrad.empty(*shape, device=device, dtype=dtype))
    else:
        module.register_parameter("bias", None)


def _reset_affine(module: Module, affine: bool) -> None:
    """``weight <- 1`` and ``bias <- 0`` (where there is one) when ``affine``: the identity."""
    if affine:
        init.ones_(module.weight)
        if getattr(module, "bias", None) is not None:
            init.zeros_(module.bias)


def _normalized_shape(normalized_shape: Any) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    return tuple(normalized_shape)


class LayerNorm(Module):
    """Layer normalisation over the last ``len(normalized_shape)`` dimensions:
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` (biased variance).

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.LayerNorm(3)
        >>> m
        LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True)
        >>> m(ndgrad.tensor([[1.0, 2.0, 3.0]])).detach()
        tensor([[-1.2247,  0.0000,  1.2247]])
    """

    def __init__(
        self,
        normalized_shape: Any,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(self, elementwise_affine, self.normalized_shape, device, dtype, bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self, self.elementwise_affine)

    def forward(self, input: Any) -> Any:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class RMSNorm(Module):
    """Root-mean-square normalisation: ``y = x / sqrt(mean(x^2) + eps) * weight``; ``eps=None``
    means ``finfo(x.dtype).eps``.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.RMSNorm(2)
        >>> m
        RMSNorm((2,), eps=None, elementwise_affine=True)
        >>> m(ndgrad.tensor([[3.0, 4.0]])).detach()
        tensor([[0.8485, 1.1314]])
    """

    def __init__(
        self,
        normalized_shape: Any,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(self, elementwise_affine, self.normalized_shape, device, dtype, None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self, self.elementwise_affine)

    def forward(self, x: Any) -> Any:
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class GroupNorm(Module):
    """Group normalisation: the ``C`` channels of ``(N, C, *)`` input are split into
    ``num_groups`` groups, each normalised over its channels and positions, then an affine map
    per channel.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.GroupNorm(2, 4)
        >>> m
        GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)
        >>> m(ndgrad.arange(8.0).reshape(1, 4, 2)).shape
        ndgrad.Size([1, 4, 2])
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(
                f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _register_affine(self, affine, (num_channels,), device, dtype, bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self, self.affine)

    def forward(self, input: Any) -> Any:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class LocalResponseNorm(Module):
    """Normalisation across neighbouring channels:
    ``b_c = a_c / (k + alpha / n * sum_{c' in window(c)} a_{c'}^2)^beta``.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.LocalResponseNorm(2)
        >>> m
        LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
        >>> m(ndgrad.ones(1, 3, 2)).shape
        ndgrad.Size([1, 3, 2])
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Any) -> Any:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
