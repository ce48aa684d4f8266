"""``ndgrad.autograd.forward_ad``: dual tensors for forward-mode AD (see ``_core.forward_ad``)."""

from .._core.forward_ad import (
    UnpackedDualTensor,
    dual_level,
    enter_dual_level,
    exit_dual_level,
    make_dual,
    unpack_dual,
)

__all__ = [
    "dual_level",
    "make_dual",
    "unpack_dual",
    "UnpackedDualTensor",
    "enter_dual_level",
    "exit_dual_level",
]
