"""``ndgrad.nn`` layers: lookup tables (``Embedding``, ``EmbeddingBag``).

``Embedding`` maps each index ``i`` to the row ``weight[i]``; ``EmbeddingBag`` reduces the rows of
each bag (``sum``, ``mean`` or ``max``) without building the ``(bags, len, dim)`` intermediate.
``weight`` starts as ``N(0, 1)``, with the ``padding_idx`` row zero (and receiving no gradient).
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding", "EmbeddingBag"]


def _check_padding_idx(padding_idx: int | None, num_embeddings: int, name: str) -> int | None:
    if padding_idx is None:
        return None
    if padding_idx > 0 and padding_idx >= num_embeddings:
        raise AssertionError(f"{name} must be within num_embeddings")
    if padding_idx < 0:
        if padding_idx < -num_embeddings:
            raise AssertionError(f"{name} must be within num_embeddings")
        padding_idx = num_embeddings + padding_idx
    return padding_idx


def _weight_parameter(
    num_embeddings: int,
    embedding_dim: int,
    _weight: Any,
    requires_grad: bool,
    device: Any,
    dtype: Any,
) -> tuple[Any, bool]:
    """The ``weight`` parameter and whether it still needs its default initialisation."""
    import ndgrad

    if _weight is None:
        data = ndgrad.empty(num_embeddings, embedding_dim, device=device, dtype=dtype)
        return Parameter(data, requires_grad=requires_grad), True
    if list(_weight.shape) != [num_embeddings, embedding_dim]:
        raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
    return Parameter(_weight, requires_grad=requires_grad), False


def _pretrained_shape(embeddings: Any) -> tuple[int, int]:
    if embeddings.dim() != 2:
        raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
    rows, cols = embeddings.shape
    return rows, cols


class _EmbeddingBase(Module):
    """The ``weight`` initialisation that ``Embedding`` and ``EmbeddingBag`` share."""

    weight: Parameter
    padding_idx: int | None

    def reset_parameters(self) -> None:
        """``weight ~ N(0, 1)``, then the ``padding_idx`` row set to zero."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        import ndgrad

        if self.padding_idx is not None:
            with ndgrad.no_grad():
                self.weight[self.padding_idx].fill_(0)


class Embedding(_EmbeddingBase):
    """A lookup table: ``out[..., :] = weight[input[...], :]``; ``weight``:
    ``(num_embeddings, embedding_dim)``. ``max_norm`` renormalises the looked-up rows in place
    to at most that ``norm_type``-norm; ``padding_idx``'s row is zero and gets no gradient.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.Embedding(10, 3, padding_idx=0)
        >>> m
        Embedding(10, 3, padding_idx=0)
        >>> m(ndgrad.tensor([[0, 2], [4, 0]])).shape
        ndgrad.Size([2, 2, 3])
        >>> m(ndgrad.tensor([0])).tolist()
        [[0.0, 0.0, 0.0]]
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Any = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _check_padding_idx(padding_idx, num_embeddings, "Padding_idx")
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.weight, fresh = _weight_parameter(
            num_embeddings, embedding_dim, _weight, not _freeze, device, dtype
        )
        if fresh:
            self.reset_parameters()
        self.sparse = sparse

    def forward(self, input: Any) -> Any:
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Any,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An ``Embedding`` whose ``weight`` is ``embeddings`` (2-D), frozen unless
        ``freeze=False``.

        Example:
            >>> import ndgrad
            >>> m = ndgrad.nn.Embedding.from_pretrained(ndgrad.tensor([[1.0, 2.0], [3.0, 4.0]]))
            >>> m(ndgrad.tensor([1])), m.weight.requires_grad
            (tensor([[3., 4.]]), False)
        """
        rows, cols = _pretrained_shape(embeddings)
        return cls(
            num_embeddings=rows,
            embedding_dim=cols,
            _weight=embeddings,
            _freeze=freeze,
            padding_idx=padding_idx,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            sparse=sparse,
        )


class EmbeddingBag(_EmbeddingBase):
    """Sums, averages or takes the maximum of the embeddings of each bag. ``input`` is 2-D
    ``(bags, len)`` (fixed-length bags) or 1-D with ``offsets`` giving where each bag starts;
    ``per_sample_weights`` scale the rows (``mode='sum'`` only).

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.EmbeddingBag.from_pretrained(
        ...     ndgrad.tensor([[1.0, 0.0], [0.0, 2.0], [4.0, 4.0]]), mode="sum")
        >>> m
        EmbeddingBag(3, 2, mode='sum')
        >>> m(ndgrad.tensor([0, 1, 2, 2]), ndgrad.tensor([0, 2]))
        tensor([[1., 2.],
                [8., 8.]])
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Any = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.padding_idx = _check_padding_idx(padding_idx, num_embeddings, "padding_idx")
        self.weight, fresh = _weight_parameter(
            num_embeddings, embedding_dim, _weight, True, device, dtype
        )
        if fresh:
            self.reset_parameters()
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset

    def forward(self, input: Any, offsets: Any = None, per_sample_weights: Any = None) -> Any:
        return F.embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings!r}, {self.embedding_dim!r}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm!r}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type!r}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq!r}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx!r}"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Any,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An ``EmbeddingBag`` whose ``weight`` is ``embeddings`` (2-D), frozen unless
        ``freeze=False``."""
        rows, cols = _pretrained_shape(embeddings)
        bag = cls(
            num_embeddings=rows,
            embedding_dim=cols,
            _weight=embeddings,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            mode=mode,
            sparse=sparse,
            include_last_offset=include_last_offset,
            padding_idx=padding_idx,
        )
        bag.weight.requires_grad = not freeze
        return bag
