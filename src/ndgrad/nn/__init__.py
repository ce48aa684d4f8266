"""``ndgrad.nn``: neural-network layers written in ndgrad ops (filled by a later issue).

Importable from the start so that ``from ndgrad import nn`` works in code written for PyTorch.
"""

from . import functional

__all__ = ["functional"]
