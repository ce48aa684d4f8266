"""``ndgrad.special``: PyTorch's ``torch.special`` (every op of the table named ``special.<name>``).

The functions are declared in ``ndgrad/ops`` with the rest of the table; this module only
gathers them, so each op stays in one place.
"""

from typing import Any

from .ops.registry import namespace

globals().update(namespace("special"))
__all__ = sorted(namespace("special"))


def __getattr__(name: str) -> Any:
    raise AttributeError(
        f"module 'ndgrad.special' has no attribute '{name}'; hint: ndgrad.special has "
        f"{len(__all__)} functions; see docs/ops.md for what ndgrad supports"
    )
