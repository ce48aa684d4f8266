"""Sequences of different lengths for recurrent layers: padding (``pad_sequence``,
``unpad_sequence``) and packing (``PackedSequence``, ``pack_padded_sequence``,
``pad_packed_sequence``, ``pack_sequence``, ``unpack_sequence``), as PyTorch's.

A ``PackedSequence`` holds the time steps one after another, each with only the sequences still
running: with the batch sorted by decreasing length, step ``t`` holds ``batch_sizes[t]`` rows
(the sequences longer than ``t``). Every function here is written in ndgrad ops, so gradients
flow through packing and unpacking.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from ..._core.tensor import Tensor

__all__ = [
    "PackedSequence",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pack_sequence",
    "unpack_sequence",
    "pad_sequence",
    "unpad_sequence",
]


def pad_sequence(
    sequences: Tensor | Iterable[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences of shapes ``(L_i, *)`` into ``(L_max, B, *)`` (``batch_first``:
    ``(B, L_max, *)``), filling with ``padding_value`` on the right (or the left).

    Differentiable: the gradient flows back to each sequence.

    Example:
        >>> import ndgrad
        >>> from ndgrad.nn.utils.rnn import pad_sequence
        >>> a, b = ndgrad.tensor([1.0, 2.0, 3.0]), ndgrad.tensor([4.0])
        >>> pad_sequence([a, b], batch_first=True)
        tensor([[1., 2., 3.],
                [4., 0., 0.]])
        >>> pad_sequence([a, b], batch_first=True, padding_side="left")
        tensor([[1., 2., 3.],
                [0., 0., 4.]])
    """
    import ndgrad

    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    seqs = list(sequences)
    if len(seqs) == 0:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.shape[0] for s in seqs)
    trailing = tuple(seqs[0].shape[1:])
    padded = []
    for s in seqs:
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(
                f"pad_sequence: every sequence must have the trailing shape {trailing} of the "
                f"first one, got {tuple(s.shape[1:])}; hint: only the first dimension (the "
                "length) may differ"
            )
        n = max_len - s.shape[0]
        if n == 0:
            padded.append(s)
            continue
        fill = ndgrad.full((n, *trailing), padding_value, dtype=s.dtype)
        padded.append(ndgrad.cat([s, fill] if padding_side == "right" else [fill, s]))
    return ndgrad.stack(padded, 0 if batch_first else 1)


def unpad_sequence(
    padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False
) -> list[Tensor]:
    """The inverse of ``pad_sequence`` (right padding): the list of sequences, cut to
    ``lengths``.

    Example:
        >>> import ndgrad
        >>> from ndgrad.nn.utils.rnn import pad_sequence, unpad_sequence
        >>> seqs = [ndgrad.ones(3), ndgrad.ones(1)]
        >>> [s.shape[0] for s in unpad_sequence(pad_sequence(seqs), ndgrad.tensor([3, 1]))]
        [3, 1]
    """
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[: int(length)] for seq, length in zip(padded_sequences, lengths)]


def _invert_permutation(permutation: Tensor | None) -> Tensor | None:
    import ndgrad

    if permutation is None:
        return None
    output = ndgrad.empty_like(permutation)
    output[permutation] = ndgrad.arange(permutation.numel(), dtype=permutation.dtype)
    return output


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceBase):
    """Time steps of a batch of sequences, packed without padding (see the module docstring).

    ``data``: ``(sum of lengths, *)``; ``batch_sizes``: int64, one per time step;
    ``sorted_indices`` / ``unsorted_indices``: the permutation to decreasing length and back
    (``None`` when the batch was already sorted). Build it with ``pack_padded_sequence`` or
    ``pack_sequence``, not by hand.

    Example:
        >>> import ndgrad
        >>> from ndgrad.nn.utils.rnn import pack_sequence
        >>> p = pack_sequence([ndgrad.tensor([1.0, 2.0, 3.0]), ndgrad.tensor([4.0, 5.0])])
        >>> p.data, p.batch_sizes
        (tensor([1., 4., 2., 5., 3.]), tensor([2, 2, 1]))
    """

    __slots__ = ()

    def __new__(
        cls,
        data: Tensor,
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ) -> PackedSequence:
        if batch_sizes is None:
            raise TypeError(
                "PackedSequence needs batch_sizes; hint: build it with pack_padded_sequence or "
                "pack_sequence"
            )
        if unsorted_indices is None:
            unsorted_indices = _invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data`` converted (``to(dtype)``, ``to(device)``); the indices stay int64."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def double(self) -> PackedSequence:
        import ndgrad

        return self.to(dtype=ndgrad.float64)

    def float(self) -> PackedSequence:
        import ndgrad

        return self.to(dtype=ndgrad.float32)

    def half(self) -> PackedSequence:
        import ndgrad

        return self.to(dtype=ndgrad.float16)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def pack_padded_sequence(
    input: Tensor,
    lengths: Tensor | list[int],
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``batch_first``: ``(B, T, *)``) of sequences with
    the given ``lengths``. With ``enforce_sorted=True`` the lengths must be decreasing;
    otherwise the batch is sorted first and the permutation kept.

    Example:
        >>> import ndgrad
        >>> from ndgrad.nn.utils.rnn import pack_padded_sequence
        >>> x = ndgrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 0.0]])
        >>> pack_padded_sequence(x, [3, 2], batch_first=True).data
        tensor([1., 4., 2., 5., 3.])
    """
    import ndgrad

    if isinstance(lengths, Tensor):
        lengths = [int(v) for v in lengths.tolist()]
    else:
        lengths = [int(v) for v in lengths]
    x = input.transpose(0, 1) if batch_first else input
    if len(lengths) != x.shape[1]:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
            f"(batch_size={x.shape[1]})"
        )
    if any(n <= 0 for n in lengths):
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    sorted_indices = None
    if enforce_sorted:
        if any(a < b for a, b in zip(lengths, lengths[1:])):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
    else:
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])  # stable
        sorted_indices = ndgrad.tensor(order, dtype=ndgrad.int64)
        lengths = [lengths[i] for i in order]
        x = x.index_select(1, sorted_indices)
    if lengths[0] > x.shape[0]:
        raise RuntimeError(
            f"Expected the longest length ({lengths[0]}) to be at most the padded length "
            f"({x.shape[0]}); hint: lengths count the time steps of each sequence"
        )
    batch_sizes = [sum(1 for n in lengths if n > t) for t in range(lengths[0])]
    data = ndgrad.cat([x[t, :b] for t, b in enumerate(batch_sizes)])
    return PackedSequence(data, ndgrad.tensor(batch_sizes, dtype=ndgrad.int64), sorted_indices)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The inverse of ``pack_padded_sequence``: ``(padded batch, lengths)``, in the batch's
    original order; ``total_length`` pads the time dimension further.

    Example:
        >>> import ndgrad
        >>> from ndgrad.nn.utils.rnn import pack_sequence, pad_packed_sequence
        >>> p = pack_sequence([ndgrad.tensor([1.0]), ndgrad.tensor([2.0, 3.0])], False)
        >>> pad_packed_sequence(p, batch_first=True)
        (tensor([[1., 0.],
                [2., 3.]]), tensor([1, 2]))
    """
    import ndgrad

    data = sequence.data
    batch_sizes = [int(b) for b in sequence.batch_sizes.tolist()]
    max_len = len(batch_sizes)
    if total_length is not None:
        if total_length < max_len:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{max_len}"
            )
    else:
        total_length = max_len
    batch = batch_sizes[0]
    trailing = tuple(data.shape[1:])
    steps = []
    offset = 0
    for b in batch_sizes:
        step = data[offset : offset + b]
        offset += b
        if b < batch:
            fill = ndgrad.full((batch - b, *trailing), padding_value, dtype=data.dtype)
            step = ndgrad.cat([step, fill])
        steps.append(step)
    for _ in range(total_length - max_len):
        steps.append(ndgrad.full((batch, *trailing), padding_value, dtype=data.dtype))
    padded = ndgrad.stack(steps)
    lengths = [sum(1 for b in batch_sizes if b > i) for i in range(batch)]
    lengths_t = ndgrad.tensor(lengths, dtype=ndgrad.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths_t = lengths_t[sequence.unsorted_indices]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, lengths_t


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences of shapes ``(L_i, *)`` (``pad_sequence`` then
    ``pack_padded_sequence``).

    Example:
        >>> import ndgrad
        >>> from ndgrad.nn.utils.rnn import pack_sequence
        >>> pack_sequence([ndgrad.tensor([1.0]), ndgrad.tensor([2.0, 3.0])], False).batch_sizes
        tensor([2, 1])
    """
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences of a ``PackedSequence``, in their original order.

    Example:
        >>> import ndgrad
        >>> from ndgrad.nn.utils.rnn import pack_sequence, unpack_sequence
        >>> seqs = [ndgrad.tensor([1.0]), ndgrad.tensor([2.0, 3.0])]
        >>> unpack_sequence(pack_sequence(seqs, enforce_sorted=False))
        [tensor([1.]), tensor([2., 3.])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
