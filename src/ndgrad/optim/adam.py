"""Adam (and, with ``decoupled_weight_decay=True``, AdamW): PyTorch's ``optim.Adam``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._core.tensor import Tensor
from .optimizer import (
    _IMPLEMENTATION_FLAGS,
    Optimizer,
    ParamsT,
    _call_closure,
    _check_hyper,
    _check_lr,
    _get_value,
    _real,
    _to_scalar,
    _use_no_grad,
    _weight_decay,
    _zeros,
)

__all__ = ["Adam"]


def _check_adam_args(lr: Any, eps: float, betas: Any, weight_decay: float) -> None:
    """The checks of Adam, AdamW, RAdam, NAdam and Adamax, in PyTorch's order."""
    _check_lr(lr)
    _check_hyper(eps=eps)
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")
    _check_hyper(weight_decay=weight_decay)


class Adam(Optimizer):
    r"""Adam, PyTorch's update rule (the for-loop implementation).

    With :math:`t` the step count (from 1) and :math:`g` the gradient (negated when
    ``maximize``):

    .. code-block:: text

        theta <- theta * (1 - lr * weight_decay)     if decoupled_weight_decay (AdamW)
        g <- g + weight_decay * theta                 otherwise, if weight_decay != 0
        m <- beta1 * m + (1 - beta1) * g              (m.lerp_(g, 1 - beta1))
        v <- beta2 * v + (1 - beta2) * g * g
        v_max <- max(v_max, v)                        (amsgrad; v_max replaces v below)
        denom = sqrt(v) / sqrt(1 - beta2^t) + eps
        theta <- theta - lr / (1 - beta1^t) * m / denom

    Complex parameters are updated as their real views (``view_as_real``), as in PyTorch.

    Args:
        params: the tensors to optimise, or parameter groups (dicts).
        lr: learning rate (default: 1e-3).
        betas: coefficients of the running averages of the gradient and its square.
        eps: added to the denominator (default: 1e-8).
        weight_decay: weight decay (L2 penalty, or decoupled) (default: 0).
        amsgrad: use the maximum of the second moments (AMSGrad).
        maximize: maximise the objective instead of minimising it.
        decoupled_weight_decay: decay the weights directly, as AdamW does.
        foreach, fused, capturable, differentiable: accepted as ``None``/``False`` only.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ndgrad.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w
        tensor([ 0.9000, -0.9000], requires_grad=True)
        >>> opt.state[w]["step"]
        tensor(1.)
    """

    _refused_flags = _IMPLEMENTATION_FLAGS

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_adam_args(lr, eps, betas, weight_decay)
        if not (
            (isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor) and betas[i].numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(map(_to_scalar, betas))  # type: ignore[assignment]
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._upgrade_state(
            amsgrad=False,
            maximize=False,
            foreach=None,
            capturable=False,
            differentiable=False,
            decoupled_weight_decay=False,
            fused=None,
        )

    def _new_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        moments = ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if group["amsgrad"] else [])
        return _zeros(p, *moments)

    @_use_no_grad
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = (_to_scalar(b) for b in group["betas"])
            lr = _to_scalar(group["lr"])
            weight_decay, eps, amsgrad = group["weight_decay"], group["eps"], group["amsgrad"]
            for p, grad, state in self._params_with_grad(group):
                grad = _weight_decay(p, grad, weight_decay, lr, group["decoupled_weight_decay"])
                param, grad, exp_avg, exp_avg_sq = _real(
                    p, grad, state["exp_avg"], state["exp_avg_sq"]
                )
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=_get_value(1 - beta2))
                step = _get_value(state["step"])
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2**0.5
                if amsgrad:
                    (max_exp_avg_sq,) = _real(state["max_exp_avg_sq"])
                    max_exp_avg_sq.copy_(max_exp_avg_sq.maximum(exp_avg_sq))
                    denom = (max_exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                else:
                    denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                param.addcdiv_(exp_avg, denom, value=-_get_value(step_size))
        return loss
