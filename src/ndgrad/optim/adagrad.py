"""Adagrad (PyTorch's ``optim.Adagrad``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._core.factories import full_like
from .._core.tensor import Tensor
from .optimizer import (
    _IMPLEMENTATION_FLAGS,
    Optimizer,
    ParamsT,
    _call_closure,
    _check_hyper,
    _get_value,
    _new_step,
    _plus,
    _real,
    _to_scalar,
    _use_no_grad,
)

__all__ = ["Adagrad"]


def _initial_sum(p: Tensor, value: float) -> Tensor:
    return full_like(p, complex(value, value) if p.is_complex() else value)


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), PyTorch's update rule.

    .. code-block:: text

        g <- g + weight_decay * theta                  (if weight_decay != 0)
        clr = lr / (1 + (t - 1) * lr_decay)
        s <- s + g * g                                 (s starts at initial_accumulator_value)
        theta <- theta - clr * g / (sqrt(s) + eps)

    As in PyTorch, the state (``step`` and ``sum``) of every parameter is created by the
    constructor, so ``state_dict()`` holds it before the first step.

    Args:
        params: the tensors to optimise, or parameter groups (dicts).
        lr: learning rate (default: 1e-2).
        lr_decay: learning-rate decay (default: 0).
        weight_decay: L2 penalty (default: 0).
        initial_accumulator_value: the starting value of the sums of squares (default: 0).
        eps: added to the denominator (default: 1e-10).
        foreach, fused, differentiable: accepted as ``None``/``False`` only.
        maximize: maximise the objective instead of minimising it.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.tensor([1.0], requires_grad=True)
        >>> opt = ndgrad.optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w
        tensor([0.9000], requires_grad=True)
    """

    _refused_flags = _IMPLEMENTATION_FLAGS

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_hyper(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check_hyper(lr_decay >= 0.0, f"Invalid lr_decay value: {lr_decay}")
        _check_hyper(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        _check_hyper(
            initial_accumulator_value >= 0.0,
            f"Invalid initial_accumulator_value value: {initial_accumulator_value}",
        )
        _check_hyper(eps >= 0.0, f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _new_step()
                state["sum"] = _initial_sum(p, initial_accumulator_value)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)
        for s in self.state.values():
            if "step" in s and not isinstance(s["step"], Tensor):
                s["step"] = _new_step(float(s["step"]))

    @_use_no_grad
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            weight_decay, lr_decay, eps = group["weight_decay"], group["lr_decay"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:  # a parameter added by add_param_group: PyTorch's defaults
                    state["step"] = _new_step()
                    value = self.defaults["initial_accumulator_value"]
                    state["sum"] = _initial_sum(p, value)
                step_t = state["step"]
                step_t += 1
                step = _get_value(step_t)
                grad = -p.grad if group["maximize"] else p.grad
                if weight_decay != 0:
                    grad = _plus(grad, p, weight_decay)
                clr = lr / (1 + (step - 1) * lr_decay)
                param, grad, state_sum = _real(p, grad, state["sum"])
                state_sum.addcmul_(grad, grad, value=1)
                std = state_sum.sqrt().add_(eps)
                param.addcdiv_(grad, std, value=-_get_value(clr))
        return loss
