"""Gradient clipping: rescale (``clip_grad_norm_``) or clamp (``clip_grad_value_``) the
``.grad`` of parameters in place, under ``no_grad``.

``clip_grad_norm_`` computes the norm of all gradients together, as if they were one vector,
``||g||_p = (sum_i ||g_i||_p^p)^(1/p)`` (``p = inf``: the largest ``|g|``), and multiplies every
gradient by ``min(1, max_norm / (||g||_p + 1e-6))``.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Iterable
from typing import Any

from ..._core.grad_mode import no_grad
from ..._core.tensor import Tensor

__all__ = [
    "clip_grad_norm_",
    "clip_grad_norm",
    "clip_grad_value_",
    "get_total_norm",
    "clip_grads_with_norm_",
]

_Tensors = Tensor | Iterable[Tensor]


def _as_list(parameters: Any, warn_empty: bool = True) -> list:
    if isinstance(parameters, Tensor):
        return [parameters]
    is_generator = isinstance(parameters, types.GeneratorType)
    out = list(parameters)
    if warn_empty and is_generator and len(out) == 0:
        warnings.warn(
            "`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=4
        )
    return out


def _check_foreach(foreach: bool | None) -> None:
    if foreach not in (None, True, False):
        raise TypeError(f"foreach must be None or a bool, got {foreach!r}")


def get_total_norm(
    tensors: _Tensors,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The ``norm_type``-norm of the tensors taken together (0 for no tensors).

    ``foreach`` selects PyTorch's fused kernels; here every setting computes the same loop.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.utils.get_total_norm([ndgrad.tensor([3.0]), ndgrad.tensor([4.0])])
        tensor(5.)
    """
    import ndgrad

    _check_foreach(foreach)
    tensors = _as_list(tensors, warn_empty=False)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return ndgrad.tensor(0.0)
    with no_grad():
        norms = [ndgrad.linalg.vector_norm(g, norm_type) for g in tensors]
        total_norm = ndgrad.linalg.vector_norm(ndgrad.stack(norms), norm_type)
    if error_if_nonfinite and bool(total_norm.isnan() | total_norm.isinf()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total_norm


def clip_grads_with_norm_(
    parameters: _Tensors, max_norm: float, total_norm: Tensor, foreach: bool | None = None
) -> None:
    """Multiply every gradient by ``min(1, max_norm / (total_norm + 1e-6))``, in place.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.tensor([3.0, 4.0], requires_grad=True)
        >>> w.grad = ndgrad.tensor([3.0, 4.0])
        >>> ndgrad.nn.utils.clip_grads_with_norm_([w], 2.5, ndgrad.tensor(5.0))
        >>> w.grad
        tensor([1.5000, 2.0000])
    """
    import ndgrad

    _check_foreach(foreach)
    parameters = _as_list(parameters, warn_empty=False)
    grads = [p.grad for p in parameters if p.grad is not None]
    max_norm = float(max_norm)
    if len(grads) == 0:
        return
    with no_grad():
        clip_coef = max_norm / (total_norm + 1e-6)
        clip_coef_clamped = ndgrad.clamp(clip_coef, max=1.0)
        for g in grads:
            g.mul_(clip_coef_clamped.to(g.dtype))


def clip_grad_norm_(
    parameters: _Tensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Rescale the gradients of ``parameters`` so that their total norm is at most
    ``max_norm``; returns the total norm before clipping.

    ``norm_type`` may be ``float('inf')``. With ``error_if_nonfinite=True`` a NaN or infinite
    total norm raises instead of scaling.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.tensor([1.0, -2.0], requires_grad=True)
        >>> w.grad = ndgrad.tensor([1.0, -2.0])
        >>> ndgrad.nn.utils.clip_grad_norm_([w], 1.0, norm_type=float("inf"))
        tensor(2.)
        >>> w.grad
        tensor([ 0.5000, -1.0000])
    """
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(
    parameters: _Tensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Deprecated alias of ``clip_grad_norm_`` (warns, as PyTorch)."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: _Tensors, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient to ``[-clip_value, clip_value]``, in place.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.zeros(3, requires_grad=True)
        >>> w.grad = ndgrad.tensor([-5.0, 0.5, 5.0])
        >>> ndgrad.nn.utils.clip_grad_value_([w], 1.0)
        >>> w.grad
        tensor([-1.0000,  0.5000,  1.0000])
    """
    _check_foreach(foreach)
    parameters = _as_list(parameters, warn_empty=False)
    clip_value = float(clip_value)
    with no_grad():
        for p in parameters:
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)
