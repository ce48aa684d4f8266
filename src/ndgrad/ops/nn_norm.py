"""Normalization layers of ``ndgrad.nn.functional``: layer/batch/instance/group/rms norm, ... .

Every function here is a composite of ndgrad ops (mean, rsqrt, norm, cat...): its gradients,
forward mode and higher order come from them. The statistics are computed on the centred input
(``mean((x - mean(x))**2)``), which is as stable as the two-pass formula PyTorch uses; none
needs a rule of its own. Running statistics (``batch_norm``, ``instance_norm``) are updated in
place under ``no_grad``, as PyTorch's buffers are:
``running = (1 - momentum) * running + momentum * batch_stat``, the variance unbiased.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._core.grad_mode import no_grad
from .._core.tensor import Tensor
from .registry import EXPORTS, Sample, def_composite
from .samples import rand

__all__ = [
    "batch_norm",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "local_response_norm",
    "normalize",
    "rms_norm",
]


def _shape_list(shape: Any, op: str) -> list:
    if not isinstance(shape, (tuple, list)) and not hasattr(shape, "__len__"):
        raise TypeError(
            f"{op}(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
            f"{type(shape).__name__}; hint: pass a tuple, e.g. ({shape},)"
        )
    return [int(s) for s in shape]


def _fmt(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _affine(y: Tensor, weight: Any, bias: Any, shape: tuple) -> Tensor:
    """``y * weight + bias``, each reshaped to ``shape`` (None: left out)."""
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _standardize(x: Tensor, dims: tuple, eps: float) -> tuple:
    """``(x - mean) / sqrt(var + eps)`` over ``dims`` (biased variance), with mean and var."""
    mean = x.mean(dims, keepdim=True)
    xc = x - mean
    var = (xc * xc).mean(dims, keepdim=True)
    return xc * (var + eps).rsqrt(), mean, var


def _update(running: Any, stat: Tensor, momentum: float) -> None:
    """``running <- (1 - momentum) * running + momentum * stat``, in place, no history."""
    if running is None:
        return
    with no_grad():
        new = stat.detach().reshape(running.shape).to(running.dtype) * momentum
        running.copy_(new + running * (1.0 - momentum))


def _check_eps(eps: float, training: bool) -> None:
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")


def _check_stat(name: str, t: Any, c: int) -> None:
    if t is not None and t.numel() != c:
        raise RuntimeError(
            f"{name} should contain {c} elements not {t.numel()}; hint: running statistics "
            "hold one value per channel (dim 1 of the input)"
        )


# --------------------------------------------------------------------------------------------
# layer_norm, rms_norm


def _check_normalized(x: Tensor, shape: list, sep: str, weight: Any = None) -> tuple:
    k = len(shape)
    if k == 0 or x.ndim < k or list(x.shape[x.ndim - k :]) != shape:
        star = "[*" + sep + ", ".join(str(s) for s in shape) + "]"
        raise RuntimeError(
            f"Given normalized_shape={_fmt(shape)}, expected input with shape {star}, but got "
            f"input of size{_fmt(x.shape)}; hint: normalized_shape names the trailing dims"
        )
    if weight is not None and list(weight.shape) != shape:
        raise RuntimeError(
            "Expected weight to be of same shape as normalized_shape, but got weight of shape "
            f"{_fmt(weight.shape)} and normalized_shape = {_fmt(shape)}"
        )
    return tuple(range(x.ndim - k, x.ndim))


def layer_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` dims: ``(x - E[x]) / sqrt(Var[x] + eps)
    * weight + bias`` (biased variance). A composite: with y = (x - m) * r, r = (v + eps)^-1/2,
    d/dx follows from mean, mul and rsqrt.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([[1.0, 2.0, 3.0]])
        >>> ndgrad.nn.functional.layer_norm(x, (3,)).round(decimals=4)
        tensor([[-1.2247,  0.0000,  1.2247]])
    """
    shape = _shape_list(normalized_shape, "layer_norm")
    dims = _check_normalized(input, shape, ", ", weight)
    y = _standardize(input, dims, eps)[0]
    return _affine(y, weight, bias, tuple(shape))


def rms_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """``x / sqrt(mean(x**2) + eps) * weight`` over the trailing dims; ``eps=None`` is the
    machine epsilon of the input's dtype, as PyTorch's."""
    shape = _shape_list(normalized_shape, "rms_norm")
    dims = _check_normalized(input, shape, "", weight)
    if eps is None:
        eps = float(np.finfo(input.dtype.np).eps)
    y = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return y if weight is None else y * weight


# --------------------------------------------------------------------------------------------
# batch_norm, instance_norm, group_norm


def _verify_batch_size(shape: tuple) -> None:
    if shape[0] * math.prod(shape[2:]) == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size "
            f"ndgrad.Size({list(shape)})"
        )


def _channel_shape(x: Tensor) -> tuple:
    return (1, -1) + (1,) * (x.ndim - 2)


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel (dim 1) over the batch and spatial dims.

    Training: the batch's mean and biased variance normalize; ``running_mean``/``running_var``
    (when given) become ``(1 - momentum) * running + momentum * stat`` in place, with the
    unbiased variance (n / (n - 1)). Evaluation: the running statistics normalize (constants).

    Example:
        >>> import ndgrad
        >>> rm, rv = ndgrad.zeros(2), ndgrad.ones(2)
        >>> x = ndgrad.tensor([[1.0, 2.0], [3.0, 6.0]])
        >>> y = ndgrad.nn.functional.batch_norm(x, rm, rv, training=True)
        >>> rm
        tensor([0.2000, 0.4000])
    """
    if training:
        _verify_batch_size(tuple(input.shape))
    _check_eps(eps, training)
    if input.ndim < 2:
        raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")
    c = input.shape[1]
    _check_stat("running_mean", running_mean, c)
    _check_stat("running_var", running_var, c)
    cshape = _channel_shape(input)
    if not training:
        if running_mean is None:
            raise RuntimeError("running_mean must be defined in evaluation mode")
        if running_var is None:
            raise RuntimeError("running_var must be defined in evaluation mode")
        y = (input - running_mean.reshape(cshape)) * (running_var.reshape(cshape) + eps).rsqrt()
        return _affine(y, weight, bias, cshape)
    dims = (0,) + tuple(range(2, input.ndim))
    y, mean, var = _standardize(input, dims, eps)
    n = input.numel() // c
    _update(running_mean, mean, momentum)
    _update(running_var, var * (n / (n - 1)), momentum)
    return _affine(y, weight, bias, cshape)


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each (sample, channel) over its spatial dims. With ``use_input_stats`` the
    running statistics (when given) move towards the batch average of the instances' mean and
    unbiased variance, as PyTorch's; without it they normalize."""
    shape = tuple(input.shape)
    if use_input_stats:
        s = math.prod(shape[2:])
        if s == 1:
            raise ValueError(
                f"Expected more than 1 spatial element when training, got input size "
                f"ndgrad.Size({list(shape)})"
            )
    if input.ndim < 3:
        raise ValueError(f"expected 3D or higher input (got {input.ndim}D input)")
    c = shape[1]
    _check_stat("running_mean", running_mean, c)
    _check_stat("running_var", running_var, c)
    cshape = _channel_shape(input)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                "Expected running_mean and running_var to be defined when use_input_stats is false"
            )
        y = (input - running_mean.reshape(cshape)) * (running_var.reshape(cshape) + eps).rsqrt()
        return _affine(y, weight, bias, cshape)
    dims = tuple(range(2, input.ndim))
    y, mean, var = _standardize(input, dims, eps)
    _update(running_mean, mean.reshape(shape[:2]).mean(0), momentum)
    _update(running_var, (var * (s / (s - 1))).reshape(shape[:2]).mean(0), momentum)
    return _affine(y, weight, bias, cshape)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Split the channels into ``num_groups`` groups and normalize each (sample, group) over its
    channels and spatial dims; ``weight``/``bias`` are per channel."""
    if input.ndim < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    shape = tuple(input.shape)
    n, c = shape[0], shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {_fmt(shape)} and num_groups={num_groups}"
        )
    _verify_batch_size((n * c // num_groups, num_groups) + shape[2:])
    y = _standardize(input.reshape(n, num_groups, -1), (2,), eps)[0].reshape(shape)
    return _affine(y, weight, bias, _channel_shape(input))


# --------------------------------------------------------------------------------------------
# local_response_norm, normalize


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """``x / (k + alpha / size * sum of x**2 over ``size`` neighbouring channels)**beta``; the
    window is zero-padded (``size // 2`` before, ``(size - 1) // 2`` after), as PyTorch's."""
    if input.ndim < 3:
        raise ValueError(
            "Expected 3D or higher dimensionality                          input (got "
            f"{input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    sq = input * input
    c = input.shape[1]
    before, after = size // 2, (size - 1) // 2
    parts = []
    if before:
        parts.append(sq.new_zeros((input.shape[0], before) + tuple(input.shape[2:])))
    parts.append(sq)
    if after:
        parts.append(sq.new_zeros((input.shape[0], after) + tuple(input.shape[2:])))
    padded = EXPORTS["cat"](parts, 1) if len(parts) > 1 else sq
    total = padded.narrow(1, 0, c)
    for j in range(1, size):
        total = total + padded.narrow(1, j, c)
    div = (total / size * alpha + k) ** beta
    return input / div


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None
) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is not None:
        return EXPORTS["div"](input, denom, out=out)
    return input / denom


# --------------------------------------------------------------------------------------------
# Samples and the table.


def _s(*args: Any, grad: tuple | None = None, name: str = "", **kwargs: Any) -> Sample:
    return Sample(tuple(args), kwargs, grad=grad, name=name)


def _layer_norm_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 3), dt), (3,), rand(rng, (3,), dt), rand(rng, (3,), dt), name="affine"),
        _s(rand(rng, (2, 2, 3), dt), [2, 3], eps=1e-3, name="2 dims"),
        _s(rand(rng, (4,), dt), (4,), rand(rng, (4,), dt), name="1-d"),
    ]


def _rms_norm_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 3), dt), (3,), rand(rng, (3,), dt), name="weight"),
        _s(rand(rng, (2, 2, 3), dt), [2, 3], eps=1e-3, name="2 dims"),
    ]


def _stats(rng: np.random.Generator, c: int, dt: Any) -> tuple:
    return rand(rng, (c,), dt), rand(rng, (c,), dt, 0.5, 2.0)


def _batch_norm_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(
            rand(rng, (3, 2), dt),
            *_stats(rng, 2, dt),
            rand(rng, (2,), dt),
            rand(rng, (2,), dt),
            training=True,
            grad=(0, 3, 4),
            name="train affine",
        ),  # fmt: skip
        _s(rand(rng, (2, 2, 3), dt), None, None, training=True, momentum=0.3, name="no stats"),
        _s(
            rand(rng, (2, 2, 2), dt),
            *_stats(rng, 2, dt),
            rand(rng, (2,), dt),
            None,
            eps=1e-3,
            grad=(0, 3),
            name="eval",
        ),  # fmt: skip
    ]


def _instance_norm_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(
            rand(rng, (2, 2, 3), dt),
            None,
            None,
            rand(rng, (2,), dt),
            rand(rng, (2,), dt),
            name="affine",
        ),  # fmt: skip
        _s(rand(rng, (2, 2, 3), dt), *_stats(rng, 2, dt), grad=(0,), name="running stats"),
        _s(
            rand(rng, (1, 2, 2, 2), dt),
            *_stats(rng, 2, dt),
            use_input_stats=False,
            eps=1e-3,
            grad=(0,),
            name="running stats used",
        ),  # fmt: skip
    ]


def _group_norm_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 4, 2), dt), 2, rand(rng, (4,), dt), rand(rng, (4,), dt), name="affine"),
        _s(rand(rng, (1, 2, 3), dt), 1, eps=1e-3, name="one group"),
    ]


def _lrn_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 4, 2), dt), 3, alpha=0.5, name="3d odd size"),
        _s(rand(rng, (1, 3, 2, 2), dt), 2, alpha=0.3, beta=0.5, k=2.0, name="4d even size"),
    ]


def _normalize_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 3), dt), name="default"),
        _s(rand(rng, (2, 3), dt), p=1.0, dim=0, name="p=1"),
        _s(rand(rng, (2, 2, 3), dt), 3.0, -1, name="p=3"),
    ]


def _ln_ref(x: np.ndarray, shape: Any, w: Any = None, b: Any = None, eps: float = 1e-5) -> Any:
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


def _normalize_ref(x: np.ndarray, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Any:
    n = np.sum(np.abs(x) ** p, axis=dim, keepdims=True) ** (1.0 / p)
    return x / np.maximum(n, eps)


_F = "nn.functional."
for _fn, _samples, _ref in (
    (layer_norm, _layer_norm_samples, _ln_ref),
    (rms_norm, _rms_norm_samples, None),
    (batch_norm, _batch_norm_samples, None),
    (instance_norm, _instance_norm_samples, None),
    (group_norm, _group_norm_samples, None),
    (local_response_norm, _lrn_samples, None),
    (normalize, _normalize_samples, _normalize_ref),
):
    # complex: PyTorch differentiates rms_norm and normalize for complex inputs
    _cplx = _fn in (rms_norm, normalize)
    def_composite(_F + _fn.__name__, _fn, samples=_samples, ref=_ref, complex=_cplx)


# Top-level ``torch.layer_norm`` & co. take ATen's argument order (and a cudnn flag).
def _layer_norm_top(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    cudnn_enable: bool = True,
) -> Tensor:
    return layer_norm(input, normalized_shape, weight, bias, eps)


def _batch_norm_top(
    input: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
    cudnn_enabled: bool,
) -> Tensor:
    return batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _instance_norm_top(
    input: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    use_input_stats: bool,
    momentum: float,
    eps: float,
    cudnn_enabled: bool,
) -> Tensor:
    return instance_norm(
        input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps
    )


def _group_norm_top(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    cudnn_enabled: bool = True,
) -> Tensor:
    return group_norm(input, num_groups, weight, bias, eps)


for _name, _top in (
    ("layer_norm", _layer_norm_top),
    ("batch_norm", _batch_norm_top),
    ("instance_norm", _instance_norm_top),
    ("group_norm", _group_norm_top),
    ("rms_norm", rms_norm),
):
    EXPORTS[_name] = _top
    _top.__name__ = _top.__qualname__ = _name
