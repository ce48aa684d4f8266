"""Activation layers: each calls its ``ndgrad.nn.functional`` form with the settings it holds.

``inplace=True`` (where PyTorch has it) overwrites the input, as the functional form's
``inplace``. ``PReLU`` is the one activation with a parameter (the learned negative slope).
"""

from __future__ import annotations

import warnings
from typing import Any

from ..._core.tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = [
    "Threshold",
    "ReLU",
    "RReLU",
    "Hardtanh",
    "ReLU6",
    "Sigmoid",
    "Hardsigmoid",
    "Tanh",
    "SiLU",
    "Mish",
    "Hardswish",
    "ELU",
    "CELU",
    "SELU",
    "GLU",
    "GELU",
    "Hardshrink",
    "LeakyReLU",
    "LogSigmoid",
    "Softplus",
    "Softshrink",
    "PReLU",
    "Softsign",
    "Tanhshrink",
    "Softmin",
    "Softmax",
    "Softmax2d",
    "LogSoftmax",
]


def _inplace(flag: bool, sep: str = ", ") -> str:
    return f"{sep}inplace=True" if flag else ""


def _softmax_dim(name: str, dim: int | None, ndim: int) -> int:
    """PyTorch's implicit ``dim`` for ``Softmax()`` without one (deprecated, so it warns)."""
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=4,
    )
    return 0 if ndim in (0, 1, 3) else 1


class _InplaceActivation(Module):
    """An activation whose only setting is ``inplace``; the subclass names its functional
    ``_fn``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return self._fn(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace(self.inplace, "")


class _AlphaActivation(Module):
    """``ELU`` and ``CELU``: settings ``alpha`` and ``inplace``."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return self._fn(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace(self.inplace)}"


class _Shrink(Module):
    """``Hardshrink`` and ``Softshrink``: the one setting ``lambd``."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return self._fn(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class _SoftmaxNd(Module):
    """``Softmin``, ``Softmax`` and ``LogSoftmax`` along ``dim`` (PyTorch's implicit choice,
    with its warning, when ``dim`` is None); ``_name`` is the functional's, for the warning."""

    _name: str

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return self._fn(input, _softmax_dim(self._name, self.dim, input.dim()))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Threshold(Module):
    """``y = x if x > threshold else value``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Threshold(0.1, 20.0)(ndgrad.tensor([0.0, 0.5]))
        tensor([20.0000,  0.5000])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace(self.inplace)}"


class ReLU(_InplaceActivation):
    """``y = max(0, x)`` (gradient 0 at ``x = 0``, as PyTorch).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.ReLU()(ndgrad.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    _fn = staticmethod(F.relu)


class RReLU(Module):
    """Randomised leaky ReLU: in training ``y = a x`` for ``x < 0`` with ``a ~ U(lower, upper)``
    per element; in eval ``a = (lower + upper) / 2``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.RReLU(0.1, 0.3).eval()(ndgrad.tensor([-1.0, 2.0]))
        tensor([-0.2000,  2.0000])
    """

    def __init__(
        self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False
    ) -> None:
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}{_inplace(self.inplace)}"


class Hardtanh(Module):
    """``y = clamp(x, min_val, max_val)``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Hardtanh(-2, 2)(ndgrad.tensor([-3.0, 1.0, 3.0]))
        tensor([-2.,  1.,  2.])
    """

    def __init__(
        self,
        min_val: float = -1.0,
        max_val: float = 1.0,
        inplace: bool = False,
        min_value: float | None = None,
        max_value: float | None = None,
    ) -> None:
        super().__init__()
        if min_value is not None:
            warnings.warn(
                "keyword argument `min_value` is deprecated and renamed to `min_val`",
                FutureWarning,
                stacklevel=2,
            )
            min_val = min_value
        if max_value is not None:
            warnings.warn(
                "keyword argument `max_value` is deprecated and renamed to `max_val`",
                FutureWarning,
                stacklevel=2,
            )
            max_val = max_value
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        if self.max_val <= self.min_val:
            raise AssertionError(
                f"max_val ({self.max_val}) must be greater than min_val ({self.min_val})"
            )

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace(self.inplace)}"


class ReLU6(Hardtanh):
    """``y = min(max(0, x), 6)``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.ReLU6()(ndgrad.tensor([-1.0, 3.0, 7.0]))
        tensor([0., 3., 6.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace(self.inplace, "")


class Sigmoid(Module):
    """``y = 1 / (1 + exp(-x))``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Sigmoid()(ndgrad.tensor([0.0]))
        tensor([0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Hardsigmoid(_InplaceActivation):
    """``y = clamp(x / 6 + 1 / 2, 0, 1)``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Hardsigmoid()(ndgrad.tensor([-4.0, 0.0, 4.0]))
        tensor([0.0000, 0.5000, 1.0000])
    """

    _fn = staticmethod(F.hardsigmoid)
    extra_repr = Module.extra_repr  # PyTorch shows no ``inplace`` for this one


class Tanh(Module):
    """``y = tanh(x)``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Tanh()(ndgrad.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class SiLU(_InplaceActivation):
    """Swish: ``y = x * sigmoid(x)``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.SiLU()(ndgrad.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7311])
    """

    _fn = staticmethod(F.silu)


class Mish(_InplaceActivation):
    """``y = x * tanh(softplus(x))``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Mish()(ndgrad.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8651])
    """

    _fn = staticmethod(F.mish)


class Hardswish(_InplaceActivation):
    """``y = x * clamp(x + 3, 0, 6) / 6``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Hardswish()(ndgrad.tensor([-4.0, 1.0, 4.0]))
        tensor([-0.0000,  0.6667,  4.0000])
    """

    _fn = staticmethod(F.hardswish)
    extra_repr = Module.extra_repr  # PyTorch shows no ``inplace`` for this one


class ELU(_AlphaActivation):
    """``y = x`` for ``x > 0``, ``alpha (exp(x) - 1)`` otherwise.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.ELU()(ndgrad.tensor([-1.0, 1.0]))
        tensor([-0.6321,  1.0000])
    """

    _fn = staticmethod(F.elu)


class CELU(_AlphaActivation):
    """``y = max(0, x) + min(0, alpha (exp(x / alpha) - 1))``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.CELU(2.0)(ndgrad.tensor([-2.0, 1.0]))
        tensor([-1.2642,  1.0000])
    """

    _fn = staticmethod(F.celu)


class SELU(_InplaceActivation):
    """``y = scale * elu(x, alpha)`` with PyTorch's constants (``alpha ~ 1.6733``,
    ``scale ~ 1.0507``).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.SELU()(ndgrad.tensor([1.0]))
        tensor([1.0507])
    """

    _fn = staticmethod(F.selu)


class GLU(Module):
    """Gated linear unit: split ``x`` in halves ``a, b`` along ``dim``; ``y = a * sigmoid(b)``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.GLU()(ndgrad.tensor([[2.0, 0.0]]))
        tensor([[1.]])
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GELU(Module):
    """``y = x * Phi(x)`` (``approximate='tanh'``: the tanh approximation).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.GELU()(ndgrad.tensor([1.0]))
        tensor([0.8413])
        >>> ndgrad.nn.GELU(approximate="tanh")
        GELU(approximate='tanh')
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Hardshrink(_Shrink):
    """``y = x`` where ``|x| > lambd``, else 0.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Hardshrink()(ndgrad.tensor([-1.0, 0.2, 0.7]))
        tensor([-1.0000,  0.0000,  0.7000])
    """

    _fn = staticmethod(F.hardshrink)


class LeakyReLU(Module):
    """``y = x`` for ``x >= 0``, ``negative_slope * x`` otherwise.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.LeakyReLU(0.1)(ndgrad.tensor([-1.0, 2.0]))
        tensor([-0.1000,  2.0000])
    """

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace(self.inplace)}"


class LogSigmoid(Module):
    """``y = log(sigmoid(x)) = -softplus(-x)`` (computed stably).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.LogSigmoid()(ndgrad.tensor([0.0]))
        tensor([-0.6931])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softplus(Module):
    """``y = log(1 + exp(beta x)) / beta``; linear where ``beta x > threshold``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Softplus()(ndgrad.tensor([0.0]))
        tensor([0.6931])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softshrink(_Shrink):
    """``y = x - lambd`` for ``x > lambd``, ``x + lambd`` for ``x < -lambd``, else 0.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Softshrink()(ndgrad.tensor([-1.0, 0.2, 1.0]))
        tensor([-0.5000,  0.0000,  0.5000])
    """

    _fn = staticmethod(F.softshrink)


class PReLU(Module):
    """``y = x`` for ``x >= 0``, ``a * x`` otherwise, with a learned ``a`` (``weight``): one
    for all channels, or ``num_parameters`` of them (one per channel, dimension 1).

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.PReLU()
        >>> m(ndgrad.tensor([-2.0, 2.0]))
        tensor([-0.5000,  2.0000], grad_fn=<PreluKernelBackward0>)
        >>> m.weight
        Parameter containing:
        tensor([0.2500], requires_grad=True)
    """

    def __init__(
        self, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None
    ) -> None:
        import ndgrad

        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(ndgrad.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Fill ``weight`` with ``init``."""
        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Softsign(Module):
    """``y = x / (1 + |x|)``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Softsign()(ndgrad.tensor([1.0, -3.0]))
        tensor([ 0.5000, -0.7500])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Tanhshrink(Module):
    """``y = x - tanh(x)``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Tanhshrink()(ndgrad.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class Softmin(_SoftmaxNd):
    """``y = softmax(-x)`` along ``dim``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Softmin(dim=0)(ndgrad.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """

    _fn = staticmethod(F.softmin)
    _name = "softmin"


class Softmax(_SoftmaxNd):
    """``y_i = exp(x_i) / sum_j exp(x_j)`` along ``dim``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Softmax(dim=-1)(ndgrad.tensor([[0.0, 0.0]]))
        tensor([[0.5000, 0.5000]])
    """

    _fn = staticmethod(F.softmax)
    _name = "softmax"


class Softmax2d(Module):
    """Softmax over the channels (dimension -3) of ``(N, C, H, W)`` or ``(C, H, W)`` input.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Softmax2d()(ndgrad.zeros(2, 1, 1))[:, 0, 0]
        tensor([0.5000, 0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead"
            )
        return F.softmax(input, -3)


class LogSoftmax(_SoftmaxNd):
    """``y_i = x_i - log sum_j exp(x_j)`` along ``dim`` (computed stably).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.LogSoftmax(dim=0)(ndgrad.tensor([0.0, 0.0]))
        tensor([-0.6931, -0.6931])
    """

    _fn = staticmethod(F.log_softmax)
    _name = "log_softmax"
