"""``ndgrad.nn.functional``: the functional forms of the layers (composites of ndgrad ops)."""

from __future__ import annotations

from ..ops import EXPORTS as _E

relu = _E.get("relu")
sigmoid = _E.get("sigmoid")
tanh = _E.get("tanh")
softmax = _E.get("softmax")
log_softmax = _E.get("log_softmax")

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax"]
