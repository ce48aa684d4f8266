"""Rprop: resilient backpropagation (PyTorch's ``optim.Rprop``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._core.factories import full_like, zeros_like
from .._core.tensor import Tensor
from .optimizer import (
    _IMPLEMENTATION_FLAGS,
    Optimizer,
    ParamsT,
    _call_closure,
    _check_lr,
    _get_value,
    _real,
    _to_scalar,
    _use_no_grad,
)

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop (Riedmiller and Braun, 1993), PyTorch's update rule.

    Per element, with ``prev`` the gradient kept from the last step:

    .. code-block:: text

        s = sign(g * prev)
        eta = etaplus if s > 0, etaminus if s < 0, 1 if s == 0
        step_size <- clamp(step_size * eta, step_size_min, step_size_max)
        g <- 0 where s < 0                              (skip the step after a sign change)
        theta <- theta - sign(g) * step_size
        prev <- g

    Args:
        params: the tensors to optimise, or parameter groups (dicts).
        lr: the initial step size (default: 1e-2).
        etas: ``(etaminus, etaplus)``, with ``0 < etaminus < 1 < etaplus`` (default: (0.5, 1.2)).
        step_sizes: ``(step_size_min, step_size_max)`` (default: (1e-6, 50)).
        capturable, foreach, differentiable: accepted as ``None``/``False`` only.
        maximize: maximise the objective instead of minimising it.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ndgrad.optim.Rprop([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w
        tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    _refused_flags = _IMPLEMENTATION_FLAGS

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
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
        lr = _get_value(_to_scalar(group["lr"]))
        step_size = full_like(p, complex(lr, lr) if p.is_complex() else lr)
        return {"prev": zeros_like(p), "step_size": step_size}

    @_use_no_grad
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p, grad, state in self._params_with_grad(group):
                param, grad, prev, step_size = _real(p, grad, state["prev"], state["step_size"])
                sign = grad.mul(prev).sign()
                sign[sign.gt(0)] = etaplus
                sign[sign.lt(0)] = etaminus
                sign[sign.eq(0)] = 1
                step_size.mul_(sign).clamp_(step_size_min, step_size_max)
                grad = grad.clone()
                grad[sign.eq(etaminus)] = 0
                param.addcmul_(grad.sign(), step_size, value=-1)
                prev.copy_(grad)
        return loss
