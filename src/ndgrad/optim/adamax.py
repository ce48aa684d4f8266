"""Adamax: Adam with the infinity norm (PyTorch's ``optim.Adamax``)."""

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

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax (Kingma and Ba, 2014), PyTorch's update rule.

    .. code-block:: text

        g <- g + weight_decay * theta                  (if weight_decay != 0)
        m <- beta1 * m + (1 - beta1) * g
        u <- max(beta2 * u, |g| + eps)
        theta <- theta - lr / (1 - beta1^t) * m / u

    Args:
        params: the tensors to optimise, or parameter groups (dicts).
        lr: learning rate (default: 2e-3).
        betas: coefficients of the running average and of the infinity norm.
        eps: added to ``|g|`` (default: 1e-8).
        weight_decay: L2 penalty (default: 0).
        foreach: accepted as ``None``/``False`` only (PyTorch has it positional here).
        maximize: maximise the objective instead of minimising it.
        differentiable, capturable: accepted as ``False`` only.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.tensor([1.0], requires_grad=True)
        >>> opt = ndgrad.optim.Adamax([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w
        tensor([0.9000], requires_grad=True)
    """

    _refused_flags = _IMPLEMENTATION_FLAGS

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_adam_args(lr, eps, betas, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._upgrade_state(foreach=None, maximize=False, differentiable=False, capturable=False)

    def _new_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return _zeros(p, "exp_avg", "exp_inf")

    @_use_no_grad
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _to_scalar(group["lr"])
            weight_decay, eps = group["weight_decay"], group["eps"]
            for p, grad, state in self._params_with_grad(group):
                grad = _weight_decay(p, grad, weight_decay)
                param, grad, exp_avg, exp_inf = _real(p, grad, state["exp_avg"], state["exp_inf"])
                exp_avg.lerp_(grad, 1 - beta1)
                exp_inf.mul_(beta2)
                exp_inf.copy_(exp_inf.maximum(grad.abs().add_(eps)))
                bias_correction = 1 - beta1 ** _get_value(state["step"])
                clr = lr / bias_correction
                param.addcdiv_(exp_avg, exp_inf, value=-_get_value(clr))
        return loss
