"""Adadelta (PyTorch's ``optim.Adadelta``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._core.factories import zeros_like
from .._core.tensor import Tensor
from .optimizer import (
    _IMPLEMENTATION_FLAGS,
    Optimizer,
    ParamsT,
    _add,
    _call_closure,
    _check_hyper,
    _new_step,
    _plus,
    _real,
    _to_scalar,
    _use_no_grad,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), PyTorch's update rule.

    .. code-block:: text

        g <- g + weight_decay * theta                  (if weight_decay != 0)
        v <- rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * delta * delta
        theta <- theta - lr * delta

    Args:
        params: the tensors to optimise, or parameter groups (dicts).
        lr: scale of the update (default: 1.0).
        rho: smoothing constant of the running averages (default: 0.9).
        eps: added inside the square roots (default: 1e-6).
        weight_decay: L2 penalty (default: 0).
        foreach, capturable, differentiable: accepted as ``None``/``False`` only.
        maximize: maximise the objective instead of minimising it.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.tensor([1.0], dtype=ndgrad.float64, requires_grad=True)
        >>> opt = ndgrad.optim.Adadelta([w])
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> round(w.item(), 6)
        0.996838
    """

    _refused_flags = _IMPLEMENTATION_FLAGS

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_hyper(lr >= 0.0, f"Invalid learning rate: {lr}")
        _check_hyper(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        _check_hyper(eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check_hyper(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
            for p in group["params"]:
                p_state = self.state.get(p, {})
                if len(p_state) != 0 and not isinstance(p_state["step"], Tensor):
                    p_state["step"] = _new_step(float(p_state["step"]))

    @_use_no_grad
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            rho, eps, weight_decay = group["rho"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state["square_avg"] = zeros_like(p)
                    state["acc_delta"] = zeros_like(p)
                state["step"] += 1
                grad = -p.grad if group["maximize"] else p.grad
                if weight_decay != 0:
                    grad = _plus(grad, p, weight_decay)
                param, grad, square_avg, acc_delta = _real(
                    p, grad, state["square_avg"], state["acc_delta"]
                )
                square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
                std = square_avg.add(eps).sqrt_()
                delta = acc_delta.add(eps).sqrt_()
                delta.div_(std).mul_(grad)
                acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
                _add(param, delta, -lr)
        return loss
