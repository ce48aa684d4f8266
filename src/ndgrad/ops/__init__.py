"""The op table. Importing this package registers every op and attaches the Tensor methods."""

from . import (  # noqa: F401  (registration)
    blas,
    compare,
    division,
    einsum,
    elementwise,
    indexing,
    inplace,
    join,
    linalg,
    masked,
    nn_ops,
    norms,
    pointwise,
    random_inplace,
    reduction,
    scatter,
    shape,
    sorting,
    tensor_methods,
    unary,
    views,
)
from .registry import EXPORTS, TABLE, OpDef, Sample, def_op

# isort: off
from . import _bind  # noqa: F401  last: binds what _core needs (See OpsInterface), adds out=
# isort: on

__all__ = ["EXPORTS", "TABLE", "OpDef", "Sample", "def_op"]
