"""NAdam: Adam with Nesterov momentum (PyTorch's ``optim.NAdam``)."""

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
    _check_hyper,
    _get_value,
    _new_step,
    _real,
    _to_scalar,
    _use_no_grad,
    _weight_decay,
    _zeros,
)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), PyTorch's update rule.

    With :math:`t` the step count, the momentum schedule
    :math:`\mu_t = \beta_1 (1 - \tfrac12 \cdot 0.96^{t \psi})` (:math:`\psi` = ``momentum_decay``)
    and :math:`\Pi_t = \prod_{i \le t} \mu_i` (the state ``mu_product``):

    .. code-block:: text

        theta <- theta * (1 - lr * weight_decay)      if decoupled_weight_decay
        g <- g + weight_decay * theta                  otherwise, if weight_decay != 0
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        denom = sqrt(v / (1 - beta2^t)) + eps
        theta <- theta - lr (1 - mu_t) / (1 - Pi_t) * g / denom
                       - lr mu_{t+1} / (1 - Pi_t mu_{t+1}) * m / denom

    ``mu_product`` is kept as a 0-d tensor of the step's dtype (float32 unless the default dtype
    is float64), as PyTorch keeps it.

    Args:
        params: the tensors to optimise, or parameter groups (dicts).
        lr: learning rate (default: 2e-3).
        betas: coefficients of the running averages (default: (0.9, 0.999)).
        eps: added to the denominator (default: 1e-8).
        weight_decay: weight decay (default: 0).
        momentum_decay: the momentum decay :math:`\psi` (default: 4e-3).
        decoupled_weight_decay: decay the weights directly (NAdamW).
        maximize: maximise the objective instead of minimising it.
        foreach, capturable, differentiable: accepted as ``None``/``False`` only.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.tensor([1.0], requires_grad=True)
        >>> opt = ndgrad.optim.NAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> round(w.item(), 4)
        0.8944
    """

    _refused_flags = _IMPLEMENTATION_FLAGS

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_adam_args(lr, eps, betas, weight_decay)
        _check_hyper(momentum_decay=momentum_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._upgrade_state(
            scalars=("step", "mu_product"),
            maximize=False,
            foreach=None,
            capturable=False,
            differentiable=False,
            decoupled_weight_decay=False,
        )

    def _new_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {"mu_product": _new_step(1.0), **_zeros(p, "exp_avg", "exp_avg_sq")}

    @_use_no_grad
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _to_scalar(group["lr"])
            weight_decay, eps = group["weight_decay"], group["eps"]
            momentum_decay = group["momentum_decay"]
            for p, grad, state in self._params_with_grad(group):
                mu_product = state["mu_product"]
                param, grad, exp_avg, exp_avg_sq = _real(
                    p, grad, state["exp_avg"], state["exp_avg_sq"]
                )
                step = _get_value(state["step"])
                bias_correction2 = 1 - beta2**step
                grad = _weight_decay(param, grad, weight_decay, lr, group["decoupled_weight_decay"])
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product *= mu
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = exp_avg_sq.div(bias_correction2).sqrt()
                mu_product_next = _get_value(mu_product) * mu_next
                denom.add_(eps)
                value = -lr * (1.0 - mu) / (1.0 - _get_value(mu_product))
                param.addcdiv_(grad, denom, value=_get_value(value))
                value = (-lr * mu_next) / (1.0 - mu_product_next)
                param.addcdiv_(exp_avg, denom, value=_get_value(value))
        return loss
