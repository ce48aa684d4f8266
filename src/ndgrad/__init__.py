"""ndgrad: PyTorch's autograd semantics on plain NumPy arrays.

Example:
    >>> import ndgrad
    >>> x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = 3 * x ** 2
    >>> y.backward(ndgrad.ones_like(y))
    >>> x.grad
    tensor([ 6., 12., 18.])
"""

from __future__ import annotations

import builtins

from ._core.anomaly import (
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_anomaly_enabled,
)
from ._core.dtypes import bool_ as bool  # noqa: A004 - PyTorch's name
from ._core.dtypes import (
    complex64,
    complex128,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from ._core.factories import (
    arange,
    as_tensor,
    channels_last,
    channels_last_3d,
    contiguous_format,
    empty,
    empty_like,
    empty_strided,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_device,
    is_complex,
    is_floating_point,
    is_nonzero,
    linspace,
    memory_format,
    ones,
    ones_like,
    preserve_format,
    set_default_device,
    tensor,
    zeros,
    zeros_like,
)
from ._core.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from ._core.legacy import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from ._core.printing import set_printoptions
from ._core.random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from ._core.tensor import Size, Tensor, device
from .ops import EXPORTS as _EXPORTS

globals().update(_EXPORTS)

from . import accelerator, autograd, cuda, fft, func, linalg, nn, optim, special, utils, viz  # noqa: E402  # noqa: E402
from ._explain import explain, is_debug_enabled, set_debug  # noqa: E402
from .ops.reduction import return_types  # noqa: E402
from .serialization import load, save  # noqa: E402

vmap = func.vmap  # PyTorch's torch.vmap

half = float16
float = float32  # noqa: A001 - PyTorch's alias
double = float64
long = int64
int = int32  # noqa: A001
cfloat = complex64
cdouble = complex128


def is_tensor(obj: object) -> builtins.bool:
    """True if ``obj`` is an ndgrad Tensor."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> builtins.int:
    """The number of elements of ``input``."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"numel(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    return input.numel()


__version__ = "0.1.0"

__all__ = [
    "explain",
    "is_debug_enabled",
    "set_debug",
    "bool",
    "complex64",
    "complex128",
    "dtype",
    "float16",
    "float32",
    "float64",
    "get_default_dtype",
    "int8",
    "int16",
    "int32",
    "int64",
    "set_default_dtype",
    "uint8",
    "arange",
    "as_tensor",
    "empty",
    "empty_like",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "get_default_device",
    "initial_seed",
    "linspace",
    "manual_seed",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "seed",
    "set_default_device",
    "tensor",
    "zeros",
    "zeros_like",
    "enable_grad",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "set_grad_enabled",
    "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
    "set_anomaly_enabled",
    "Size",
    "Tensor",
    "device",
    "set_printoptions",
    "autograd",
    "fft",
    "linalg",
    "special",
    "cuda",
    "accelerator",
    "nn",
    "optim",
    "utils",
    "viz",
    "save",
    "load",
    "return_types",
    "half",
    "float",
    "double",
    "long",
    "int",
    "cfloat",
    "cdouble",
    "is_tensor",
    "numel",
    "Generator",
    "default_generator",
    "get_rng_state",
    "set_rng_state",
    "multinomial",
    "randint_like",
    "randperm",
    "empty_strided",
    "is_complex",
    "is_floating_point",
    "is_nonzero",
    "memory_format",
    "contiguous_format",
    "preserve_format",
    "channels_last",
    "channels_last_3d",
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
    "__version__",
]
__all__ += sorted(_EXPORTS)  # every op of the table: ndgrad.sin, ndgrad.matmul, ...
