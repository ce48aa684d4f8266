"""``ndgrad.nn`` layers: pooling (max, average, adaptive, power-average).

The layers hold no parameters; each keeps PyTorch's attributes (``kernel_size``, ``stride``...,
``stride`` defaulting to ``kernel_size``) and calls the matching ``ndgrad.nn.functional`` op:

    max:     out[i] = max_{k} input[s*i + d*k - p]
    average: out[i] = (1/|window|) sum_{k} input[s*i + k - p]
    LP:      out[i] = (sum_{k} input[s*i + k]^p)^(1/p)
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .module import Module
from .utils import _ntuple, _single

__all__ = [
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
]


class _MaxPoolNd(Module):
    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )

    def forward(self, input: Any) -> Any:
        return self._max_pool(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )


class MaxPool1d(_MaxPoolNd):
    """The maximum over sliding windows of ``(N, C, L)`` input; with ``return_indices=True`` also
    the flat position of each maximum (for ``MaxUnpool1d``).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.MaxPool1d(2)(ndgrad.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        tensor([[[3., 2.]]])
    """

    _max_pool = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """The maximum over sliding windows of ``(N, C, H, W)`` input.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.MaxPool2d(2, return_indices=True)
        >>> out, idx = m(ndgrad.arange(16.0).reshape(1, 1, 4, 4))
        >>> out
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
        >>> m
        MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    _max_pool = staticmethod(F.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    """The maximum over sliding windows of ``(N, C, D, H, W)`` input.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.MaxPool3d(2)(ndgrad.arange(8.0).reshape(1, 1, 2, 2, 2))
        tensor([[[[[7.]]]]])
    """

    _max_pool = staticmethod(F.max_pool3d)


class _MaxUnpoolNd(Module):
    _dims = 1

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        n = self._dims
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride if stride is not None else kernel_size, n)
        self.padding = _ntuple(padding, n)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input: Any, indices: Any, output_size: Any = None) -> Any:
        unpool = (F.max_unpool1d, F.max_unpool2d, F.max_unpool3d)[self._dims - 1]
        return unpool(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool1d``: each value goes back to the position its index
    names, zeros elsewhere.

    Example:
        >>> import ndgrad
        >>> out, idx = ndgrad.nn.MaxPool1d(2, return_indices=True)(
        ...     ndgrad.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        >>> ndgrad.nn.MaxUnpool1d(2)(out, idx)
        tensor([[[0., 3., 2., 0.]]])
    """

    _dims = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool2d``.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.arange(16.0).reshape(1, 1, 4, 4)
        >>> out, idx = ndgrad.nn.MaxPool2d(2, return_indices=True)(x)
        >>> ndgrad.nn.MaxUnpool2d(2)(out, idx).sum().item()
        40.0
    """

    _dims = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of ``MaxPool3d``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.MaxUnpool3d(2)
        MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0))
    """

    _dims = 3


class _AvgPoolNd(Module):
    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input: Any) -> Any:
        return self._avg_pool(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )


class AvgPool1d(_AvgPoolNd):
    """The mean over sliding windows of ``(N, C, L)`` input (``count_include_pad``: whether padded
    zeros count in the divisor).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.AvgPool1d(2)(ndgrad.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        tensor([[[2., 1.]]])
        >>> ndgrad.nn.AvgPool1d(3, stride=2)
        AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))
    """

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super(_AvgPoolNd, self).__init__()  # skips _AvgPoolNd's: no divisor_override in 1-d
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Any) -> Any:
        return F.avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )


class AvgPool2d(_AvgPoolNd):
    """The mean over sliding windows of ``(N, C, H, W)`` input (``divisor_override`` replaces the
    window size in the divisor).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.AvgPool2d(2)(ndgrad.arange(16.0).reshape(1, 1, 4, 4))
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """

    _avg_pool = staticmethod(F.avg_pool2d)


class AvgPool3d(_AvgPoolNd):
    """The mean over sliding windows of ``(N, C, D, H, W)`` input.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.AvgPool3d(2)(ndgrad.arange(8.0).reshape(1, 1, 2, 2, 2))
        tensor([[[[[3.5000]]]]])
    """

    _avg_pool = staticmethod(F.avg_pool3d)


class _AdaptiveAvgPoolNd(Module):
    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"

    def forward(self, input: Any) -> Any:
        return self._adaptive_avg_pool(input, self.output_size)


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """The mean over ``output_size`` windows that tile the input: window ``i`` of ``L`` inputs
    spans ``[floor(i L / out), ceil((i + 1) L / out))``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.AdaptiveAvgPool1d(2)(ndgrad.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        tensor([[[2., 1.]]])
    """

    _adaptive_avg_pool = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """The 2-D adaptive mean; ``output_size`` may hold ``None`` (keep that input size).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.AdaptiveAvgPool2d(1)(ndgrad.arange(16.0).reshape(1, 1, 4, 4))
        tensor([[[[7.5000]]]])
    """

    _adaptive_avg_pool = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """The 3-D adaptive mean.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.AdaptiveAvgPool3d(1)(ndgrad.arange(8.0).reshape(1, 1, 2, 2, 2))
        tensor([[[[[3.5000]]]]])
    """

    _adaptive_avg_pool = staticmethod(F.adaptive_avg_pool3d)


class _AdaptiveMaxPoolNd(Module):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"

    def forward(self, input: Any) -> Any:
        return self._adaptive_max_pool(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """The maximum over ``output_size`` windows that tile the input.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.AdaptiveMaxPool1d(2)(ndgrad.tensor([[[1.0, 3.0, 2.0, 0.0]]]))
        tensor([[[3., 2.]]])
    """

    _adaptive_max_pool = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """The 2-D adaptive maximum, with the flat indices when ``return_indices=True``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.AdaptiveMaxPool2d((1, 2))(ndgrad.arange(16.0).reshape(1, 1, 4, 4))
        tensor([[[[13., 15.]]]])
    """

    _adaptive_max_pool = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """The 3-D adaptive maximum.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.AdaptiveMaxPool3d(1)(ndgrad.arange(8.0).reshape(1, 1, 2, 2, 2))
        tensor([[[[[7.]]]]])
    """

    _adaptive_max_pool = staticmethod(F.adaptive_max_pool3d)


class _LPPoolNd(Module):
    def __init__(
        self,
        norm_type: float,
        kernel_size: Any,
        stride: Any = None,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )

    def forward(self, input: Any) -> Any:
        return self._lp_pool(
            input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode
        )


class LPPool1d(_LPPoolNd):
    """The power-average ``(sum_window x^p)^(1/p)`` over sliding windows of ``(N, C, L)``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.LPPool1d(2, 2)(ndgrad.tensor([[[3.0, 4.0, 0.0, 1.0]]]))
        tensor([[[5., 1.]]])
    """

    _lp_pool = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """The power-average ``(sum_window x^p)^(1/p)`` over sliding windows of ``(N, C, H, W)``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.LPPool2d(1, 2)(ndgrad.ones(1, 1, 4, 4))
        tensor([[[[4., 4.],
                  [4., 4.]]]])
    """

    _lp_pool = staticmethod(F.lp_pool2d)


class LPPool3d(_LPPoolNd):
    """The power-average ``(sum_window x^p)^(1/p)`` over sliding windows of ``(N, C, D, H, W)``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.LPPool3d(1, 2)(ndgrad.ones(1, 1, 2, 2, 2))
        tensor([[[[[8.]]]]])
    """

    _lp_pool = staticmethod(F.lp_pool3d)
