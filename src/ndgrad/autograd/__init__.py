"""``ndgrad.autograd``: ``grad``, ``backward``, forward-mode AD and grad-mode helpers."""

from __future__ import annotations

from .._core.engine import backward, grad
from .._core.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .._core.legacy import Variable
from . import anomaly_mode, forward_ad, graph
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .function import Function, FunctionCtx, InplaceFunction, once_differentiable
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "backward",
    "grad",
    "forward_ad",
    "functional",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "Variable",
    "Function",
    "FunctionCtx",
    "InplaceFunction",
    "once_differentiable",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
    "anomaly_mode",
    "graph",
    "detect_anomaly",
    "set_detect_anomaly",
]
