"""``Identity``, ``Linear``, ``Bilinear`` and ``LazyLinear``.

``Linear``: ``y = x W^T + b``, ``W`` of shape ``(out_features, in_features)``, initialised as
PyTorch's: ``kaiming_uniform_(W, a=sqrt(5))`` (``U(-1/sqrt(in), 1/sqrt(in))``) and ``b`` from the
same bound. ``Bilinear``: ``y_k = x1^T A_k x2 + b_k``.
"""

from __future__ import annotations

import math
from typing import Any

from ..._core.grad_mode import no_grad
from ..._core.tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import UninitializedParameter
from .module import Module
from .utils import _register_weight_and_bias, _reset_kaiming_uniform

__all__ = ["Identity", "Linear", "Bilinear", "LazyLinear"]


class Identity(Module):
    """Returns its input; any constructor arguments are accepted and ignored (as PyTorch's).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Identity(54, unused="argument")(ndgrad.tensor([1.0, 2.0]))
        tensor([1., 2.])
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """``y = x W^T + b`` over the last dimension of ``x`` (any leading dimensions).

    ``weight``: ``(out_features, in_features)``; ``bias``: ``(out_features,)``, both from
    ``U(-1/sqrt(in_features), 1/sqrt(in_features))``.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.Linear(20, 30)
        >>> m(ndgrad.randn(128, 20)).shape
        ndgrad.Size([128, 30])
        >>> m
        Linear(in_features=20, out_features=30, bias=True)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _register_weight_and_bias(
            self, (out_features, in_features), out_features, bias, device, dtype
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default initialisation (see the class docstring)."""
        _reset_kaiming_uniform(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Bilinear(Module):
    """``y_k = x1^T A_k x2 + b_k``: ``weight`` ``(out, in1, in2)``, ``bias`` ``(out,)``, both
    from ``U(-1/sqrt(in1), 1/sqrt(in1))``.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.Bilinear(20, 30, 40)
        >>> m(ndgrad.randn(128, 20), ndgrad.randn(128, 30)).shape
        ndgrad.Size([128, 40])
        >>> m
        Bilinear(in1_features=20, in2_features=30, out_features=40, bias=True)
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        shape = (out_features, in1_features, in2_features)
        _register_weight_and_bias(self, shape, out_features, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``U(-1/sqrt(in1_features), 1/sqrt(in1_features))`` for weight and bias."""
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class LazyLinear(Linear):
    """A ``Linear`` whose ``in_features`` is read from the first input's last dimension.

    Until then ``weight`` and ``bias`` are ``UninitializedParameter``; the first call fills
    them (with ``Linear``'s initialisation) and the module becomes a ``Linear``.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.LazyLinear(3)
        >>> m(ndgrad.ones(2, 5)).shape
        ndgrad.Size([2, 3])
        >>> m
        Linear(in_features=5, out_features=3, bias=True)
    """

    cls_to_become = Linear

    def __init__(
        self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        Module.__init__(self)
        self.in_features = 0
        self.out_features = out_features
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def has_uninitialized_params(self) -> bool:
        """True until the first call gives the parameters their shapes."""
        return any(isinstance(p, UninitializedParameter) for p in self._parameters.values())

    def initialize_parameters(self, input: Tensor) -> None:
        """Give ``weight`` the shape ``(out_features, input.shape[-1])`` and initialise."""
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: Any) -> None:
        super()._load_from_state_dict(state_dict, prefix, *args)
        w = self._parameters.get("weight")
        if w is not None and not isinstance(w, UninitializedParameter):
            self.in_features = w.shape[-1]
            self._become()

    def _become(self) -> None:
        if not self.has_uninitialized_params():
            self.__class__ = self.cls_to_become

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.has_uninitialized_params():
            self.initialize_parameters(*args, **kwargs)
            self._become()
        return Module.__call__(self, *args, **kwargs)

    def extra_repr(self) -> str:
        if self.has_uninitialized_params():
            return f"in_features=0, out_features={self.out_features}, bias={self.bias is not None}"
        return super().extra_repr()
