"""``ndgrad.nn`` layers: convolutions (``Conv1d``/``2d``/``3d``, ``ConvTranspose1d``/``2d``/``3d``).

Each layer holds ``weight`` (and ``bias`` unless ``bias=False``) with PyTorch's shapes and default
initialisation, and calls ``ndgrad.nn.functional`` for the maths:

    out[n, o] = bias[o] + sum_{c in group(o)} sum_k weight[o, c, k] * input[n, c, s*i + d*k - p]

Non-zero padding modes (``reflect``, ``replicate``, ``circular``) pad the input with
``functional.pad`` first and then convolve with no padding, as PyTorch does.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .module import Module
from .utils import _ntuple, _register_weight_and_bias, _reset_kaiming_uniform

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """The shared body of every convolution layer (PyTorch's ``_ConvNd``)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: tuple,
        stride: tuple,
        padding: str | tuple,
        dilation: tuple,
        transposed: bool,
        output_padding: tuple,
        groups: int,
        bias: bool,
        padding_mode: str,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'same', 'valid'}}"
                )
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {set(_PADDING_MODES)}, "
                f"but got padding_mode='{padding_mode}'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's argument: last spatial dim first, (left, right) for each.
        pads: list[int] = [0, 0] * len(kernel_size)
        for i, (d, k) in enumerate(zip(dilation, kernel_size)):
            j = len(kernel_size) - 1 - i
            if isinstance(padding, str):
                if padding == "same":
                    total = d * (k - 1)
                    pads[2 * j], pads[2 * j + 1] = total // 2, total - total // 2
            else:
                pads[2 * j] = pads[2 * j + 1] = padding[i]
        self._reversed_padding_repeated_twice = pads
        if transposed:
            shape = (in_channels, out_channels // groups, *kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *kernel_size)
        _register_weight_and_bias(self, shape, out_channels, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: ``kaiming_uniform_(weight, a=sqrt(5))``, which is
        ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, and the same bound for ``bias``."""
        _reset_kaiming_uniform(self.weight, self.bias)

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _conv_forward(self, input: Any, weight: Any, bias: Any) -> Any:
        conv = (F.conv1d, F.conv2d, F.conv3d)[len(self.kernel_size) - 1]
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            zero = (0,) * len(self.kernel_size)
            return conv(padded, weight, bias, self.stride, zero, self.dilation, self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Any) -> Any:
        return self._conv_forward(input, self.weight, self.bias)


class _ConvLayer(_ConvNd):
    _dims = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        n = self._dims
        super().__init__(
            in_channels,
            out_channels,
            _ntuple(kernel_size, n),
            _ntuple(stride, n),
            padding if isinstance(padding, str) else _ntuple(padding, n),
            _ntuple(dilation, n),
            False,
            _ntuple(0, n),
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )


class Conv1d(_ConvLayer):
    """A 1-D convolution over ``(N, C_in, L)`` (or unbatched ``(C_in, L)``) input.

    ``weight``: ``(out_channels, in_channels // groups, kernel_size)``; ``bias``:
    ``(out_channels,)``. ``L_out = floor((L + 2 p - d (k - 1) - 1) / s + 1)``.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.Conv1d(2, 3, 3, padding=1)
        >>> m(ndgrad.ones(1, 2, 5)).shape
        ndgrad.Size([1, 3, 5])
        >>> m
        Conv1d(2, 3, kernel_size=(3,), stride=(1,), padding=(1,))
    """

    _dims = 1


class Conv2d(_ConvLayer):
    """A 2-D convolution over ``(N, C_in, H, W)`` (or unbatched ``(C_in, H, W)``) input.

    ``weight``: ``(out_channels, in_channels // groups, kH, kW)``; ``bias``: ``(out_channels,)``.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.Conv2d(2, 4, 3, stride=2, bias=False)
        >>> m(ndgrad.ones(1, 2, 7, 7)).shape
        ndgrad.Size([1, 4, 3, 3])
        >>> m
        Conv2d(2, 4, kernel_size=(3, 3), stride=(2, 2), bias=False)
    """

    _dims = 2


class Conv3d(_ConvLayer):
    """A 3-D convolution over ``(N, C_in, D, H, W)`` (or unbatched ``(C_in, D, H, W)``) input.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.Conv3d(1, 2, 2)(ndgrad.ones(1, 1, 3, 3, 3)).shape
        ndgrad.Size([1, 2, 2, 2, 2])
    """

    _dims = 3


class _ConvTransposeNd(_ConvNd):
    """The shared body of the transposed convolutions: ``output_size`` picks ``output_padding``."""

    _dims = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {self.__class__.__name__}'
            )
        n = self._dims
        super().__init__(
            in_channels,
            out_channels,
            _ntuple(kernel_size, n),
            _ntuple(stride, n),
            _ntuple(padding, n),
            _ntuple(dilation, n),
            True,
            _ntuple(output_padding, n),
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )

    def _output_padding(self, input: Any, output_size: Any) -> tuple:
        if output_size is None:
            return self.output_padding
        n = self._dims
        non_spatial = 2 if input.dim() == n + 2 else 1
        output_size = list(output_size)
        if len(output_size) == non_spatial + n:
            output_size = output_size[non_spatial:]
        if len(output_size) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have {n} "
                f"or {non_spatial + n} elements (got {len(output_size)})"
            )
        min_sizes = [
            (input.shape[d + non_spatial] - 1) * self.stride[d]
            - 2 * self.padding[d]
            + self.dilation[d] * (self.kernel_size[d] - 1)
            + 1
            for d in range(n)
        ]
        max_sizes = [m + s - 1 for m, s in zip(min_sizes, self.stride)]
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range "
                    f"from {min_sizes} to {max_sizes} (for an input of "
                    f"{tuple(input.shape[non_spatial:])})"
                )
        return tuple(int(s - m) for s, m in zip(output_size, min_sizes))

    def forward(self, input: Any, output_size: Any = None) -> Any:
        conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self._dims - 1]
        output_padding = self._output_padding(input, output_size)
        return conv(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(_ConvTransposeNd):
    """The gradient of ``Conv1d`` with respect to its input, as a layer ("deconvolution").

    ``weight``: ``(in_channels, out_channels // groups, kernel_size)``.
    ``L_out = (L - 1) s - 2 p + d (k - 1) + output_padding + 1``.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.ConvTranspose1d(2, 3, 3, stride=2)
        >>> m(ndgrad.ones(1, 2, 4)).shape
        ndgrad.Size([1, 3, 9])
        >>> m(ndgrad.ones(1, 2, 4), output_size=[10]).shape
        ndgrad.Size([1, 3, 10])
    """

    _dims = 1


class ConvTranspose2d(_ConvTransposeNd):
    """The 2-D transposed convolution.

    ``weight``: ``(in_channels, out_channels // groups, kH, kW)``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.ConvTranspose2d(2, 1, 2, stride=2)(ndgrad.ones(1, 2, 3, 3)).shape
        ndgrad.Size([1, 1, 6, 6])
    """

    _dims = 2


class ConvTranspose3d(_ConvTransposeNd):
    """The 3-D transposed convolution.

    ``weight``: ``(in_channels, out_channels // groups, kD, kH, kW)``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.ConvTranspose3d(1, 2, 2)(ndgrad.ones(1, 1, 2, 2, 2)).shape
        ndgrad.Size([1, 2, 3, 3, 3])
    """

    _dims = 3
