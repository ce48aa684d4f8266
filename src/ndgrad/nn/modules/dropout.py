"""``ndgrad.nn`` layers: dropout.

In training mode (``module.train()``, the default) each element (or each channel, for the
``1d``/``2d``/``3d`` forms) is zeroed with probability ``p`` and the survivors are scaled by
``1 / (1 - p)``, so the expectation is unchanged; in eval mode the layers are the identity.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .module import Module

__all__ = [
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "AlphaDropout",
    "FeatureAlphaDropout",
]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zeroes each element with probability ``p`` during training: ``y = x * m / (1 - p)``,
    ``m ~ Bernoulli(1 - p)``; the identity in eval mode.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.Dropout(0.5)
        >>> m
        Dropout(p=0.5, inplace=False)
        >>> y = m(ndgrad.ones(1000))
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
        >>> m.eval()(ndgrad.ones(3))
        tensor([1., 1., 1.])
    """

    def forward(self, input: Any) -> Any:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of ``(N, C, L)`` (or ``(C, L)``) input with probability ``p``.

    Example:
        >>> import ndgrad
        >>> y = ndgrad.nn.Dropout1d(0.5)(ndgrad.ones(1, 8, 3))
        >>> all(len(set(row)) == 1 for row in y[0].tolist())
        True
    """

    def forward(self, input: Any) -> Any:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels of ``(N, C, H, W)`` (or ``(C, H, W)``) input with probability ``p``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Dropout2d(0.2).eval()(ndgrad.ones(1, 1, 1, 2))
        tensor([[[[1., 1.]]]])
    """

    def forward(self, input: Any) -> Any:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zeroes whole channels of ``(N, C, D, H, W)`` input with probability ``p``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Dropout3d().eval()(ndgrad.ones(1, 1, 1, 1, 1))
        tensor([[[[[1.]]]]])
    """

    def forward(self, input: Any) -> Any:
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks: dropped elements are set to SELU's negative saturation and the
    result is affinely rescaled so that mean and variance are kept.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.AlphaDropout(0.2).eval()(ndgrad.ones(2))
        tensor([1., 1.])
    """

    def forward(self, input: Any) -> Any:
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.FeatureAlphaDropout(0.2).eval()(ndgrad.ones(1, 2, 1))
        tensor([[[1.],
                 [1.]]])
    """

    def forward(self, input: Any) -> Any:
        return F.feature_alpha_dropout(input, self.p, self.training)
