"""Adadelta (PyTorch's ``optim.Adadelta``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._core.tensor import Tensor
from .optimizer import (
    _IMPLEMENTATION_FLAGS,
    Optimizer,
    ParamsT,
    _add,
    _call_closure,
    _check_hyper,
    _check_lr,
    _real,
    _to_scalar,
    _use_no_grad,
    _weight_decay,
    _zeros,
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
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_hyper(eps=eps, weight_decay=weight_decay)
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
        self._upgrade_state(foreach=None, maximize=False, differentiable=False, capturable=False)

    def _new_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return _zeros(p, "square_avg", "acc_delta")

    @_use_no_grad
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            rho, eps, weight_decay = group["rho"], group["eps"], group["weight_decay"]
            for p, grad, state in self._params_with_grad(group):
                grad = _weight_decay(p, grad, weight_decay)
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
