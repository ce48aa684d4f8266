"""``ndgrad.nn`` layers: batch normalisation (``BatchNorm1d``/``2d``/``3d``).

Training mode normalises with the batch's statistics over every dimension but the channel one,

    y = (x - mean_B) / sqrt(var_B + eps) * weight + bias      (var_B biased),

and, when ``track_running_stats``, moves the buffers towards them in place:

    running_mean <- (1 - m) running_mean + m mean_B
    running_var  <- (1 - m) running_var  + m var_B * n / (n - 1)     (unbiased)

with ``m = momentum``, or ``m = 1 / num_batches_tracked`` (a cumulative average) when
``momentum=None``. Eval mode normalises with the running statistics (the batch's if there are
none).
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .module import Module
from .normalization import _register_affine, _reset_affine

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _NormBase(Module):
    """Parameters ``weight``/``bias`` and buffers ``running_mean``/``running_var``/
    ``num_batches_tracked``, as PyTorch's ``_NormBase``."""

    _version = 2  # PyTorch's: state dicts of version < 2 lack num_batches_tracked

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        import ndgrad

        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, affine, (num_features,), device, dtype, bias)
        if track_running_stats:
            self.register_buffer(
                "running_mean", ndgrad.zeros(num_features, device=device, dtype=dtype)
            )
            self.register_buffer(
                "running_var", ndgrad.ones(num_features, device=device, dtype=dtype)
            )
            self.register_buffer(
                "num_batches_tracked", ndgrad.tensor(0, dtype=ndgrad.long, device=device)
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """``running_mean <- 0``, ``running_var <- 1``, ``num_batches_tracked <- 0``."""
        import ndgrad

        if self.track_running_stats:
            with ndgrad.no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self, self.affine)

    def _check_input_dim(self, input: Any) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    def forward(self, input: Any) -> Any:
        import ndgrad

        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with ndgrad.no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        if self.training:
            bn_training = True
        else:
            bn_training = self.running_mean is None and self.running_var is None
        use_buffers = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if use_buffers else None,
            self.running_var if use_buffers else None,
            self.weight,
            self.bias,
            bn_training,
            factor,
            self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over ``(N, C)`` or ``(N, C, L)`` input (statistics per channel).

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.BatchNorm1d(2)
        >>> m
        BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
        >>> _ = m(ndgrad.tensor([[0.0, 1.0], [2.0, 3.0]]))
        >>> m.running_mean, m.running_var, m.num_batches_tracked
        (tensor([0.1000, 0.2000]), tensor([1.1000, 1.1000]), tensor(1))
    """

    def _check_input_dim(self, input: Any) -> None:
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over ``(N, C, H, W)`` input (statistics per channel).

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.BatchNorm2d(3, momentum=None).eval()
        >>> m(ndgrad.ones(1, 3, 2, 2)).shape
        ndgrad.Size([1, 3, 2, 2])
    """

    def _check_input_dim(self, input: Any) -> None:
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over ``(N, C, D, H, W)`` input (statistics per channel).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.BatchNorm3d(1)(ndgrad.ones(2, 1, 1, 1, 2)).shape
        ndgrad.Size([2, 1, 1, 1, 2])
    """

    def _check_input_dim(self, input: Any) -> None:
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")
