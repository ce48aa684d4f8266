"""Helpers that several layers share (PyTorch keeps its ``_ntuple`` in ``torch.nn.modules.utils``
too): argument tuples, and the ``weight``/``bias`` pair of the affine layers with PyTorch's
default initialisation."""

from __future__ import annotations

import math
from typing import Any

from .. import init
from ..parameter import Parameter
from .module import Module


def _ntuple(value: Any, n: int) -> tuple:
    """``3 -> (3, 3)`` for ``n = 2``; a tuple or list is kept as a tuple (PyTorch's ``_pair``)."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,) * n


def _single(value: Any) -> tuple:
    return _ntuple(value, 1)


def _empty(*shape: int, device: Any = None, dtype: Any = None) -> Any:
    import ndgrad

    return ndgrad.empty(*shape, device=device, dtype=dtype)


def _register_weight_and_bias(
    module: Module, weight_shape: tuple, out: int, bias: bool, device: Any, dtype: Any
) -> None:
    """Parameters ``weight`` (uninitialised, of ``weight_shape``) and ``bias`` (``(out,)``, or
    registered as None unless ``bias``), in this order, as PyTorch's layers register them."""
    module.weight = Parameter(_empty(*weight_shape, device=device, dtype=dtype))
    if bias:
        module.bias = Parameter(_empty(out, device=device, dtype=dtype))
    else:
        module.register_parameter("bias", None)


def _reset_kaiming_uniform(weight: Any, bias: Any) -> None:
    """PyTorch's default for ``Linear`` and the convolutions: ``kaiming_uniform_(weight,
    a=sqrt(5))``, which is ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, and the same bound for
    ``bias`` (if any)."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)
