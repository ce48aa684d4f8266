"""Stochastic gradient descent, optionally with (Nesterov) momentum: PyTorch's ``optim.SGD``."""

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
    _plus,
    _to_scalar,
    _use_no_grad,
    _weight_decay,
)

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's update rule.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when ``maximize``):

    .. code-block:: text

        g <- g + weight_decay * theta                   (if weight_decay != 0)
        b <- g                                          (first step)
        b <- momentum * b + (1 - dampening) * g         (later steps, if momentum != 0)
        g <- g + momentum * b   if nesterov   else   g <- b
        theta <- theta - lr * g

    Args:
        params: the tensors to optimise, or parameter groups (dicts).
        lr: learning rate (default: 1e-3).
        momentum: momentum factor (default: 0).
        dampening: dampening of the momentum (default: 0).
        weight_decay: L2 penalty (default: 0).
        nesterov: Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.
        maximize: maximise the objective instead of minimising it.
        foreach, fused: accepted as ``None``/``False`` only (ndgrad has one implementation).
        differentiable: accepted as ``False`` only.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ndgrad.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     _ = opt.step()
        >>> w
        tensor([ 0.4600, -0.9200], requires_grad=True)
    """

    _refused_flags = _IMPLEMENTATION_FLAGS

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float | Tensor = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_lr(lr, nan_ok=True)  # PyTorch's SGD tests `lr < 0.0`, so NaN passes
        _check_hyper(momentum=momentum, weight_decay=weight_decay, nan_ok=True)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._upgrade_state(
            scalars=(),
            nesterov=False,
            maximize=False,
            foreach=None,
            differentiable=False,
            fused=False,
        )

    @_use_no_grad
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one step; ``closure`` re-evaluates the model and returns the loss."""
        loss = _call_closure(closure)
        for group in self.param_groups:
            lr = _to_scalar(group["lr"])
            weight_decay, momentum = group["weight_decay"], group["momentum"]
            dampening, nesterov = group["dampening"], group["nesterov"]
            for p, grad, _ in self._params_with_grad(group):
                grad = _weight_decay(p, grad, weight_decay)
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = grad.detach().clone()
                        state["momentum_buffer"] = buf
                    else:
                        _add(buf.mul_(momentum), grad, 1 - dampening)
                    grad = _plus(grad, buf, momentum) if nesterov else buf
                _add(p, grad, -lr)
        return loss
