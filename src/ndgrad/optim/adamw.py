"""AdamW: Adam with decoupled weight decay (PyTorch's ``optim.AdamW``)."""

from __future__ import annotations

from typing import Any

from .._core.tensor import Tensor
from .adam import Adam
from .optimizer import ParamsT

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW: :class:`Adam` with ``decoupled_weight_decay=True`` and ``weight_decay=1e-2``.

    The weights decay directly instead of through the gradient, so the decay does not enter
    the running averages:

    .. code-block:: text

        theta <- theta * (1 - lr * weight_decay)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        theta <- theta - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Args: as :class:`Adam` (without ``decoupled_weight_decay``, which is always True).

    Example:
        >>> import ndgrad
        >>> w = ndgrad.tensor([1.0], requires_grad=True)
        >>> opt = ndgrad.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = ndgrad.zeros(1)
        >>> _ = opt.step()
        >>> w
        tensor([0.9500], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
