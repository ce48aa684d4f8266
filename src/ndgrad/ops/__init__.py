"""The op table. Importing this package registers every op and attaches the Tensor methods."""

from . import elementwise, indexing, linalg, reduction, shape  # noqa: F401  (registration)
from .registry import EXPORTS, TABLE, OpDef, Sample, def_op

__all__ = ["EXPORTS", "TABLE", "OpDef", "Sample", "def_op"]
