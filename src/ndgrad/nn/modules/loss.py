"""Loss layers (and the distance layers ``CosineSimilarity``, ``PairwiseDistance``).

Each holds its settings and calls the ``ndgrad.nn.functional`` form. ``reduction`` is
``'mean'`` (default), ``'sum'`` or ``'none'``; PyTorch's deprecated ``size_average`` /
``reduce`` pair still works and is turned into ``reduction`` with PyTorch's warning. A class
``weight`` (and ``BCEWithLogitsLoss``'s ``pos_weight``) is a buffer, so it moves with ``.to()``
and is saved in ``state_dict``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from ..._core.tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = [
    "L1Loss",
    "NLLLoss",
    "NLLLoss2d",
    "PoissonNLLLoss",
    "GaussianNLLLoss",
    "KLDivLoss",
    "MSELoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "HingeEmbeddingLoss",
    "MultiLabelMarginLoss",
    "SmoothL1Loss",
    "HuberLoss",
    "SoftMarginLoss",
    "CrossEntropyLoss",
    "MultiLabelSoftMarginLoss",
    "CosineEmbeddingLoss",
    "MarginRankingLoss",
    "MultiMarginLoss",
    "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
    "CosineSimilarity",
    "PairwiseDistance",
]


def _legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """PyTorch's ``_Reduction.legacy_get_string``: the old pair of flags as a ``reduction``."""
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
        stacklevel=4,
    )
    return ret


def _check_triplet_margin(loss: str, margin: float) -> None:
    if margin <= 0:
        raise ValueError(f"{loss}: expected margin to be greater than 0, got {margin} instead")


class _Loss(Module):
    reduction: str

    def __init__(
        self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean"
    ) -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            self.reduction = _legacy_reduction(size_average, reduce)
        else:
            self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.weight: Tensor | None


class L1Loss(_Loss):
    """Mean absolute error: ``l_n = |x_n - y_n|``, then reduced.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.L1Loss()(ndgrad.tensor([1.0, 2.0]), ndgrad.tensor([0.0, 4.0]))
        tensor(1.5000)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    """Negative log likelihood of class indices under log-probabilities ``input`` (N, C):
    ``l_n = -w_{y_n} x_{n, y_n}``; ``'mean'`` divides by ``sum_n w_{y_n}``.

    Example:
        >>> import ndgrad
        >>> logp = ndgrad.tensor([[-1.0, -2.0], [-3.0, -0.5]])
        >>> ndgrad.nn.NLLLoss()(logp, ndgrad.tensor([0, 1]))
        tensor(0.7500)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )


class NLLLoss2d(NLLLoss):
    """PyTorch's old name for ``NLLLoss`` on ``(N, C, H, W)`` input (``NLLLoss`` does it all).

    Example:
        >>> import ndgrad
        >>> import warnings
        >>> x = ndgrad.zeros(1, 2, 1, 1).log_softmax(1)
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     loss = ndgrad.nn.NLLLoss2d()
        >>> loss(x, ndgrad.zeros(1, 1, 1, dtype=ndgrad.int64))
        tensor(0.6931)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        warnings.warn(
            "`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in "
            "replacement and see https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for "
            "more details.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class PoissonNLLLoss(_Loss):
    """Poisson negative log likelihood: ``exp(x) - y x`` (``log_input``) or
    ``x - y log(x + eps)``; ``full`` adds Stirling's term.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.PoissonNLLLoss()(ndgrad.tensor([0.0]), ndgrad.tensor([1.0]))
        tensor(1.)
    """

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        size_average: bool | None = None,
        eps: float = 1e-8,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return F.poisson_nll_loss(
            log_input,
            target,
            log_input=self.log_input,
            full=self.full,
            eps=self.eps,
            reduction=self.reduction,
        )


class GaussianNLLLoss(_Loss):
    """Gaussian negative log likelihood: ``(log max(var, eps) + (x - y)^2 / max(var, eps)) / 2``
    (``full`` adds ``log(2 pi) / 2``).

    Example:
        >>> import ndgrad
        >>> loss = ndgrad.nn.GaussianNLLLoss()
        >>> loss(ndgrad.tensor([1.0]), ndgrad.tensor([3.0]), ndgrad.tensor([2.0]))
        tensor(1.3466)
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        return F.gaussian_nll_loss(
            input, target, var, full=self.full, eps=self.eps, reduction=self.reduction
        )


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence with log-probabilities ``input``:
    ``l = y (log y - x)`` (``log_target``: ``exp(y) (y - x)``). Use ``reduction='batchmean'``
    for the mathematical KL divergence of a batch.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([[0.5, 0.5]]).log()
        >>> ndgrad.nn.KLDivLoss(reduction="batchmean")(x, ndgrad.tensor([[0.5, 0.5]]))
        tensor(0.)
    """

    def __init__(
        self,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        log_target: bool = False,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class MSELoss(_Loss):
    """Mean squared error: ``l_n = (x_n - y_n)^2``, then reduced.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.MSELoss()(ndgrad.tensor([1.0, 2.0]), ndgrad.tensor([0.0, 4.0]))
        tensor(2.5000)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities: ``l_n = -w_n (y_n log x_n + (1 - y_n) log(1 - x_n))``
    (logs clamped at -100, as PyTorch).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.BCELoss()(ndgrad.tensor([0.5]), ndgrad.tensor([1.0]))
        tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """``BCELoss`` of ``sigmoid(x)``, computed stably from the logits ``x``; ``pos_weight``
    weights the positive term.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.BCEWithLogitsLoss()(ndgrad.tensor([0.0]), ndgrad.tensor([1.0]))
        tensor(0.6931)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        pos_weight: Tensor | None = None,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)
        self.weight: Tensor | None
        self.pos_weight: Tensor | None

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, pos_weight=self.pos_weight, reduction=self.reduction
        )


class HingeEmbeddingLoss(_Loss):
    """``l_n = x_n`` where ``y_n = 1``, ``max(0, margin - x_n)`` where ``y_n = -1``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.HingeEmbeddingLoss()(ndgrad.tensor([0.3, 2.0]), ndgrad.tensor([-1.0, 1.0]))
        tensor(1.3500)
    """

    def __init__(
        self,
        margin: float = 1.0,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-class multi-label hinge loss over the target indices (ended by -1):
    ``sum_{j in y} sum_{i not in y} max(0, 1 - (x_j - x_i)) / C``.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> ndgrad.nn.MultiLabelMarginLoss()(x, ndgrad.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """``l_n = 0.5 d^2 / beta`` for ``|d| < beta``, ``|d| - 0.5 beta`` otherwise (``d = x - y``).

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.SmoothL1Loss()(ndgrad.tensor([0.5, 3.0]), ndgrad.tensor([0.0, 0.0]))
        tensor(1.3125)
    """

    def __init__(
        self,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        beta: float = 1.0,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``l_n = 0.5 d^2`` for ``|d| < delta``, ``delta (|d| - 0.5 delta)`` otherwise.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.HuberLoss(delta=2.0)(ndgrad.tensor([1.0, 3.0]), ndgrad.tensor([0.0, 0.0]))
        tensor(2.2500)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss: ``l_n = log(1 + exp(-y_n x_n))`` with ``y_n in {1, -1}``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.SoftMarginLoss()(ndgrad.tensor([0.0]), ndgrad.tensor([1.0]))
        tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """``NLLLoss`` of ``log_softmax(x)`` over dimension 1; targets are class indices or class
    probabilities; ``label_smoothing`` mixes the target with the uniform distribution.

    Example:
        >>> import ndgrad
        >>> logits = ndgrad.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        >>> ndgrad.nn.CrossEntropyLoss()(logits, ndgrad.tensor([0, 2]))
        tensor(0.6691)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Multi-label one-versus-all logistic loss:
    ``-(1/C) sum_i w_i (y_i log sigmoid(x_i) + (1 - y_i) log sigmoid(-x_i))``.

    Example:
        >>> import ndgrad
        >>> f = ndgrad.nn.MultiLabelSoftMarginLoss()
        >>> f(ndgrad.tensor([[0.0, 0.0]]), ndgrad.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_soft_margin_loss(
            input, target, weight=self.weight, reduction=self.reduction
        )


class _PairMarginLoss(_Loss):
    """A loss of two inputs and a target ``y in {1, -1}`` with a ``margin``: the subclass names
    its functional ``_loss``."""

    def __init__(
        self,
        margin: float = 0.0,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return self._loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_PairMarginLoss):
    """``1 - cos(x1, x2)`` where ``y = 1``, ``max(0, cos(x1, x2) - margin)`` where ``y = -1``.

    Example:
        >>> import ndgrad
        >>> a = ndgrad.tensor([[1.0, 0.0]])
        >>> ndgrad.nn.CosineEmbeddingLoss()(a, a, ndgrad.tensor([1.0]))
        tensor(0.)
    """

    _loss = staticmethod(F.cosine_embedding_loss)


class MarginRankingLoss(_PairMarginLoss):
    """``l_n = max(0, -y_n (x1_n - x2_n) + margin)``.

    Example:
        >>> import ndgrad
        >>> f = ndgrad.nn.MarginRankingLoss()
        >>> f(ndgrad.tensor([1.0]), ndgrad.tensor([2.0]), ndgrad.tensor([1.0]))
        tensor(1.)
    """

    _loss = staticmethod(F.margin_ranking_loss)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss: ``sum_{i != y} max(0, margin - x_y + x_i)^p / C``.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> ndgrad.nn.MultiMarginLoss()(x, ndgrad.tensor([3]))
        tensor(0.3250)
    """

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(
                f"MultiMarginLoss: expected weight to be None or 1D tensor, got {weight.dim()}D "
                "instead"
            )
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(
            input,
            target,
            p=self.p,
            margin=self.margin,
            weight=self.weight,
            reduction=self.reduction,
        )


class TripletMarginLoss(_Loss):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the ``p``-norm distance ``d``; ``swap``
    uses ``min(d(a, n), d(p, n))``.

    Example:
        >>> import ndgrad
        >>> a = ndgrad.tensor([[0.0, 0.0]])
        >>> ndgrad.nn.TripletMarginLoss()(a, a, a + 3)
        tensor(0.)
    """

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        _check_triplet_margin("TripletMarginLoss", margin)
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(
            anchor,
            positive,
            negative,
            margin=self.margin,
            p=self.p,
            eps=self.eps,
            swap=self.swap,
            reduction=self.reduction,
        )


class TripletMarginWithDistanceLoss(_Loss):
    """``TripletMarginLoss`` with any ``distance_function`` (default: ``pairwise_distance``).

    Example:
        >>> import ndgrad
        >>> a = ndgrad.tensor([[0.0, 0.0]])
        >>> ndgrad.nn.TripletMarginWithDistanceLoss()(a, a, a + 3)
        tensor(0.)
    """

    def __init__(
        self,
        *,
        distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average=None, reduce=None, reduction=reduction)
        _check_triplet_margin("TripletMarginWithDistanceLoss", margin)
        self.distance_function = (
            distance_function if distance_function is not None else PairwiseDistance()
        )
        self.margin = margin
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_with_distance_loss(
            anchor,
            positive,
            negative,
            distance_function=self.distance_function,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )


class CosineSimilarity(Module):
    """``x1 . x2 / max(||x1|| ||x2||, eps)`` along ``dim``.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.CosineSimilarity()(ndgrad.tensor([[1.0, 0.0]]), ndgrad.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``||x1 - x2 + eps||_p`` along the last dimension.

    Example:
        >>> import ndgrad
        >>> ndgrad.nn.PairwiseDistance()(ndgrad.tensor([[0.0, 0.0]]), ndgrad.tensor([[3.0, 4.0]]))
        tensor([5.0000])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
