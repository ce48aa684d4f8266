"""The op table. Importing this package registers every op and attaches the Tensor methods."""

from . import (  # noqa: F401  (registration)
    einsum,
    elementwise,
    indexing,
    join,
    linalg,
    nn_ops,
    reduction,
    shape,
    views,
)
from .registry import EXPORTS, TABLE, OpDef, Sample, def_op

__all__ = ["EXPORTS", "TABLE", "OpDef", "Sample", "def_op"]
