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
    _check_lr,
    _get_value,
    _new_step,
    _real,
    _to_scalar,
    _use_no_grad,
    _weight_decay,
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
        _check_lr(lr)
        _check_hyper(
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
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
        self._upgrade_state(
            scalars=(), foreach=None, maximize=False, differentiable=False, fused=None
        )
        for s in self.state.values():  # PyTorch's Adagrad converts every state's step
            if "step" in s and not isinstance(s["step"], Tensor):
                s["step"] = _new_step(float(s["step"]))

    def _new_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        # Only for a parameter added by add_param_group (the constructor makes the others'),
        # with PyTorch's default, not the group's initial_accumulator_value.
        return {"sum": _initial_sum(p, self.defaults["initial_accumulator_value"])}

    @_use_no_grad
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            weight_decay, lr_decay, eps = group["weight_decay"], group["lr_decay"], group["eps"]
            for p, grad, state in self._params_with_grad(group):
                step = _get_value(state["step"])
                grad = _weight_decay(p, grad, weight_decay)
                clr = lr / (1 + (step - 1) * lr_decay)
                param, grad, state_sum = _real(p, grad, state["sum"])
                state_sum.addcmul_(grad, grad, value=1)
                std = state_sum.sqrt().add_(eps)
                param.addcdiv_(grad, std, value=-_get_value(clr))
        return loss
