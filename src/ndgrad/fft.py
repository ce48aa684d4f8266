"""``ndgrad.fft``: PyTorch's ``torch.fft`` (every op of the table named ``fft.<name>``).

The functions are declared in ``ndgrad/ops`` with the rest of the table; this module only
gathers them, so each op stays in one place.
"""

from typing import Any

from .ops.registry import namespace

globals().update(namespace("fft"))
__all__ = sorted(namespace("fft"))


def __getattr__(name: str) -> Any:
    raise AttributeError(
        f"module 'ndgrad.fft' has no attribute '{name}'; hint: ndgrad.fft has "
        f"{len(__all__)} functions; see docs/ops.md for what ndgrad supports"
    )
