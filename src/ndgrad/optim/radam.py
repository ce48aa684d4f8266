"""RAdam: Adam with a rectified adaptive learning rate (PyTorch's ``optim.RAdam``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._core.tensor import Tensor
from .adam import _check_adam_args
from .optimizer import (
    _IMPLEMENTATION_FLAGS,
    Optimizer,
    ParamsT,
    _call_closure,
    _get_value,
    _real,
    _to_scalar,
    _use_no_grad,
    _weight_decay,
    _zeros,
)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2019), PyTorch's update rule.

    With :math:`\rho_\infty = 2/(1-\beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t)`:

    .. code-block:: text

        theta <- theta * (1 - lr * weight_decay)      if decoupled_weight_decay
        g <- g + weight_decay * theta                  otherwise, if weight_decay != 0
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1^t)
        if rho_t > 5:
            r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            theta <- theta - m_hat * lr * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r
        else:
            theta <- theta - m_hat * lr

    Args:
        params: the tensors to optimise, or parameter groups (dicts).
        lr: learning rate (default: 1e-3).
        betas: coefficients of the running averages (default: (0.9, 0.999)).
        eps: added to the denominator (default: 1e-8).
        weight_decay: weight decay (default: 0).
        decoupled_weight_decay: decay the weights directly (RAdamW).
        maximize: maximise the objective instead of minimising it.
        foreach, capturable, differentiable: accepted as ``None``/``False`` only.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.tensor([1.0], requires_grad=True)
        >>> opt = ndgrad.optim.RAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w
        tensor([0.8000], requires_grad=True)
    """

    _refused_flags = _IMPLEMENTATION_FLAGS

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_adam_args(lr, eps, betas, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._upgrade_state(
            foreach=None,
            maximize=False,
            differentiable=False,
            decoupled_weight_decay=False,
            capturable=False,
        )

    def _new_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return _zeros(p, "exp_avg", "exp_avg_sq")

    @_use_no_grad
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _to_scalar(group["lr"])
            weight_decay, eps = group["weight_decay"], group["eps"]
            for p, grad, state in self._params_with_grad(group):
                param, grad, exp_avg, exp_avg_sq = _real(
                    p, grad, state["exp_avg"], state["exp_avg_sq"]
                )
                step = _get_value(state["step"])
                grad = _weight_decay(param, grad, weight_decay, lr, group["decoupled_weight_decay"])
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                bias_corrected_exp_avg = exp_avg / bias_correction1
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
                if rho_t > 5.0:
                    rect = (
                        (rho_t - 4)
                        * (rho_t - 2)
                        * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                    ) ** 0.5
                    adaptive_lr = (bias_correction2**0.5) / exp_avg_sq.sqrt().add_(eps)
                    param.sub_(bias_corrected_exp_avg * lr * adaptive_lr * rect)
                else:
                    param.sub_(bias_corrected_exp_avg * lr)
        return loss
