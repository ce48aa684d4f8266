"""``ndgrad.accelerator``: PyTorch's device-agnostic accelerator queries (``torch.accelerator``).

The only accelerator ndgrad knows is CUDA through CuPy (``ndgrad.cuda``); without one, code
written as PyTorch's tutorials write it falls back to the CPU.

Example:
    >>> import ndgrad
    >>> dev = ndgrad.accelerator.current_accelerator()
    >>> (dev.type if ndgrad.accelerator.is_available() else "cpu") in ("cpu", "cuda")
    True
"""

from __future__ import annotations

from . import cuda
from ._core.tensor import device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index"]


def is_available() -> bool:
    """True when an accelerator (a CUDA GPU seen by CuPy) is present."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """The accelerator's device type as a ``device`` (``device("cuda")``), or None without one."""
    return device("cuda") if cuda.is_available() else None


def device_count() -> int:
    return cuda.device_count()


def current_device_index() -> int:
    """The index of the current accelerator device (0), or -1 without one."""
    return 0 if cuda.is_available() else -1
