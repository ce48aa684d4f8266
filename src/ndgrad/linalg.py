"""``ndgrad.linalg``: PyTorch's ``torch.linalg`` (every op of the table named ``linalg.<name>``).

The functions are declared in ``ndgrad/ops`` with the rest of the table; this module only
gathers them, so each op stays in one place.
"""

from typing import Any

from .ops.registry import namespace

globals().update(namespace("linalg"))
__all__ = sorted(namespace("linalg"))


def __getattr__(name: str) -> Any:
    raise AttributeError(
        f"module 'ndgrad.linalg' has no attribute '{name}'; hint: ndgrad.linalg has "
        f"{len(__all__)} functions; see docs/ops.md for what ndgrad supports"
    )
