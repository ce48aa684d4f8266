"""``ndgrad.nn.functional``: the functional forms of the layers (composites of ndgrad ops)."""

from __future__ import annotations

from typing import Any

from ..ops import EXPORTS as _E
from ..ops.registry import namespace

relu = _E.get("relu")
sigmoid = _E.get("sigmoid")
tanh = _E.get("tanh")
softmax = _E.get("softmax")
log_softmax = _E.get("log_softmax")


def linear(input: Any, weight: Any, bias: Any = None) -> Any:
    """``input @ weight.T + bias``, recorded as PyTorch records it: ``AddmmBackward0`` for a 2-D
    input with a bias, ``MmBackward0``/``MvBackward0``... through ``matmul`` otherwise.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.ones(2, 3, requires_grad=True)
        >>> ndgrad.nn.functional.linear(ndgrad.ones(4, 3), w, ndgrad.zeros(2)).grad_fn.name()
        'AddmmBackward0'
    """
    wt = weight.t()
    if bias is not None and input.ndim == 2:
        return _E["addmm"](bias, input, wt)
    out = _E["matmul"](input, wt)
    return out if bias is None else out + bias


# Every op of the table named ``nn.functional.<name>`` (declared in ndgrad/ops).
globals().update(namespace("nn.functional"))

__all__ = sorted(
    {"relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear"}
    | set(namespace("nn.functional"))
)
