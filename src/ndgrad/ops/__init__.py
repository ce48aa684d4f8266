"""The op table. Importing this package registers every op and attaches the Tensor methods."""

from . import (  # noqa: F401  (registration)
    activations,
    activations_smooth,
    arith,
    arrange,
    blas,
    compare,
    complex_ops,
    conv,
    cumulative,
    division,
    einsum,
    elementwise,
    fft,
    indexing,
    inplace,
    join,
    linalg,
    linalg_cholesky,
    linalg_lstsq,
    linalg_lu,
    linalg_norms,
    linalg_solve,
    linalg_spectral,
    linalg_svd,
    losses,
    losses_margin,
    losses_prob,
    masked,
    nn_attention,
    nn_misc,
    nn_norm,
    nn_ops,
    norms,
    pointwise,
    pooling,
    random_inplace,
    reduction,
    resample,
    scatter,
    shape,
    sorting,
    special,
    stacking,
    statistics,
    tensor_methods,
    unary,
    views,
)
from .registry import EXPORTS, TABLE, OpDef, Sample, def_composite, def_op

# isort: off
from . import _bind  # noqa: F401  last: binds what _core needs (See OpsInterface), adds out=
from . import batching  # noqa: F401  vmap's rules (after every record exists)
# isort: on

__all__ = ["EXPORTS", "TABLE", "OpDef", "Sample", "def_composite", "def_op"]
