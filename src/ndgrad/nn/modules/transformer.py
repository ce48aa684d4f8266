"""``ndgrad.nn`` layers: the Transformer (``Transformer``, its encoder and decoder and their
layers), as PyTorch's.

One encoder layer (post-norm, the default; ``norm_first=True`` is pre-norm):

    x = norm1(x + dropout1(self_attn(x, x, x)))
    x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))

A decoder layer adds attention to the encoder's output ``memory`` between the two:

    x = norm2(x + dropout2(multihead_attn(x, memory, memory)))

``TransformerEncoder``/``TransformerDecoder`` stack ``num_layers`` deep copies of one layer (so
they start equal and train apart) and apply an optional final ``norm``.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from typing import Any

from .. import functional as F
from .. import init
from .attention import MultiheadAttention, _canonical_mask
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = [
    "Transformer",
    "TransformerEncoder",
    "TransformerDecoder",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
]


def _seq_len(src: Any, batch_first: bool) -> int:
    if src.dim() == 2:
        return src.shape[0]
    return src.shape[1] if batch_first else src.shape[0]


def _get_clones(module: Module, n: int) -> Module:
    """A ``ModuleList`` of ``n`` deep copies of ``module`` (equal now, trained apart)."""
    from .container import ModuleList

    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _get_activation_fn(activation: str) -> Callable[[Any], Any]:
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _activation_kind(activation: Any) -> int:
    """PyTorch's ``activation_relu_or_gelu``: 1 for relu, 2 for gelu, 0 for anything else."""
    name = type(activation).__name__
    if activation is F.relu or name == "ReLU":
        return 1
    if activation is F.gelu or name == "GELU":
        return 2
    return 0


def _generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Any:
    """The causal mask: ``-inf`` above the diagonal, ``0`` on and below it."""
    import ndgrad

    full = ndgrad.full((sz, sz), -math.inf, device=device, dtype=dtype)
    return full.triu(diagonal=1)


def _detect_is_causal_mask(
    mask: Any, is_causal: bool | None = None, size: int | None = None
) -> bool:
    """``is_causal`` when given; otherwise whether ``mask`` equals the causal mask."""
    make_causal = is_causal is True
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask.shape[-2]
        causal = _generate_square_subsequent_mask(sz, device=mask.device, dtype=mask.dtype)
        if tuple(mask.shape) == tuple(causal.shape):
            make_causal = bool((mask == causal).all().item())
        else:
            make_causal = False
    return make_causal


class _TransformerLayer(Module):
    """What the encoder and decoder layers share: the attention blocks ``_attn_names``
    (``self_attn``, then the decoder's ``multihead_attn``), the feed-forward block, one
    LayerNorm and one dropout per sub-block, registered in PyTorch's order; and the residual
    step, post- or pre-norm."""

    _attn_names: tuple[str, ...]

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Any], Any] = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        for name in self._attn_names:
            attn = MultiheadAttention(
                d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw
            )
            setattr(self, name, attn)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        n_blocks = len(self._attn_names) + 1
        for i in range(1, n_blocks + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        for i in range(1, n_blocks + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        self._set_activation(activation)

    def _set_activation(self, activation: Callable[[Any], Any]) -> None:
        self.activation = activation

    def _residual(self, x: Any, norm: Module, block: Callable[[Any], Any]) -> Any:
        """``x + block(norm(x))`` (``norm_first``) or ``norm(x + block(x))``."""
        return x + block(norm(x)) if self.norm_first else norm(x + block(x))

    def _attn_block(
        self,
        attn: Module,
        dropout: Module,
        x: Any,
        mem: Any,
        attn_mask: Any,
        key_padding_mask: Any,
        is_causal: bool,
    ) -> Any:
        x = attn(
            x,
            mem,
            mem,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return dropout(x)

    def _sa_block(
        self, x: Any, attn_mask: Any, key_padding_mask: Any, is_causal: bool = False
    ) -> Any:
        return self._attn_block(
            self.self_attn, self.dropout1, x, x, attn_mask, key_padding_mask, is_causal
        )

    def _ff_block(self, x: Any) -> Any:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return getattr(self, f"dropout{len(self._attn_names) + 1}")(x)  # the last dropout


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention then a feed-forward block, each with a residual connection and a
    LayerNorm (after it by default, before it with ``norm_first=True``).

    Example:
        >>> import ndgrad
        >>> layer = ndgrad.nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, batch_first=True)
        >>> layer(ndgrad.ones(3, 5, 4)).shape
        ndgrad.Size([3, 5, 4])
        >>> [name for name, _ in layer.named_children()][:3]
        ['self_attn', 'linear1', 'dropout']
    """

    _attn_names = ("self_attn",)

    def _set_activation(self, activation: Callable[[Any], Any]) -> None:
        self.activation_relu_or_gelu = _activation_kind(activation)
        self.activation = activation

    def forward(
        self,
        src: Any,
        src_mask: Any = None,
        src_key_padding_mask: Any = None,
        is_causal: bool = False,
    ) -> Any:
        src_key_padding_mask = _canonical_mask(
            src_key_padding_mask, "src_key_padding_mask", src_mask, "src_mask", src.dtype
        )
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src.dtype, False)
        x = self._residual(
            src, self.norm1, lambda y: self._sa_block(y, src_mask, src_key_padding_mask, is_causal)
        )
        return self._residual(x, self.norm2, self._ff_block)


class TransformerEncoder(Module):
    """``num_layers`` deep copies of ``encoder_layer`` applied in turn, then ``norm`` if given.

    ``enable_nested_tensor`` warns as PyTorch does when its fast path could not be used. ndgrad
    has no nested tensors, but where PyTorch would use them (evaluation without gradients, a
    left-aligned ``src_key_padding_mask``) the padded positions come out zero (before ``norm``),
    as PyTorch's do.

    Example:
        >>> import ndgrad
        >>> layer = ndgrad.nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, batch_first=True)
        >>> enc = ndgrad.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        >>> enc(ndgrad.ones(3, 5, 4)).shape
        ndgrad.Size([3, 5, 4])
        >>> len(enc.layers), enc.layers[0] is layer
        (2, False)
    """

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why = _why_not_sparsity_fast_path(encoder_layer)
        if enable_nested_tensor and why:
            warnings.warn(
                f"enable_nested_tensor is True, but self.use_nested_tensor is False because {why}",
                stacklevel=2,
            )
            self.use_nested_tensor = False

    def forward(
        self,
        src: Any,
        mask: Any = None,
        src_key_padding_mask: Any = None,
        is_causal: bool | None = None,
    ) -> Any:
        src_key_padding_mask = _canonical_mask(
            src_key_padding_mask, "src_key_padding_mask", mask, "mask", src.dtype
        )
        mask = _canonical_mask(mask, "mask", None, "", src.dtype, False)
        seq_len = _seq_len(src, self.layers[0].self_attn.batch_first)
        is_causal = _detect_is_causal_mask(mask, is_causal, seq_len)
        valid = self._nested_valid_positions(src, mask, src_key_padding_mask)
        output = src
        for mod in self.layers:
            output = mod(
                output,
                src_mask=mask,
                is_causal=is_causal,
                src_key_padding_mask=src_key_padding_mask,
            )
        if valid is not None:
            output = output.masked_fill(valid.logical_not().unsqueeze(-1), 0.0)
        if self.norm is not None:
            output = self.norm(output)
        return output

    def _nested_valid_positions(self, src: Any, mask: Any, padding: Any) -> Any:
        """Where PyTorch would take its nested-tensor path (evaluation, no gradient wanted,
        batch-first ``src`` with a left-aligned ``src_key_padding_mask`` and no ``mask``), its
        output is zero at the padded positions; this returns the ``(N, S)`` valid positions then
        (None otherwise), so that the result is PyTorch's."""
        import ndgrad

        first = self.layers[0]
        if not self.use_nested_tensor or first.training or src.dim() != 3:
            return None
        if padding is None or mask is not None:
            return None
        valid = padding == 0
        if getattr(self, "mask_check", True) and valid.shape[1] > 1:
            left_aligned = valid[:, :-1].logical_or(valid[:, 1:].logical_not())
            if not bool(left_aligned.all().item()):
                return None
        attn, tensors = first.self_attn, [src]
        tensors += [attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight]
        tensors += [attn.out_proj.bias, first.norm1.weight, first.norm1.bias]
        tensors += [first.norm2.weight, first.norm2.bias, first.linear1.weight]
        tensors += [first.linear1.bias, first.linear2.weight, first.linear2.bias]
        if ndgrad.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors):
            return None
        return valid


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, attention to ``memory`` (the encoder's output), then a feed-forward
    block; each with a residual connection and a LayerNorm (after it by default, before it with
    ``norm_first=True``).

    Example:
        >>> import ndgrad
        >>> layer = ndgrad.nn.TransformerDecoderLayer(4, 2, dim_feedforward=8)
        >>> layer(ndgrad.ones(3, 2, 4), ndgrad.ones(5, 2, 4)).shape
        ndgrad.Size([3, 2, 4])
    """

    _attn_names = ("self_attn", "multihead_attn")

    def forward(
        self,
        tgt: Any,
        memory: Any,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Any:
        x = self._residual(
            tgt,
            self.norm1,
            lambda y: self._sa_block(y, tgt_mask, tgt_key_padding_mask, tgt_is_causal),
        )
        x = self._residual(
            x,
            self.norm2,
            lambda y: self._mha_block(
                y, memory, memory_mask, memory_key_padding_mask, memory_is_causal
            ),
        )
        return self._residual(x, self.norm3, self._ff_block)

    def _mha_block(
        self, x: Any, mem: Any, attn_mask: Any, key_padding_mask: Any, is_causal: bool = False
    ) -> Any:
        return self._attn_block(
            self.multihead_attn, self.dropout2, x, mem, attn_mask, key_padding_mask, is_causal
        )


class TransformerDecoder(Module):
    """``num_layers`` deep copies of ``decoder_layer`` applied in turn to ``tgt`` (each
    attending to ``memory``), then ``norm`` if given.

    Example:
        >>> import ndgrad
        >>> layer = ndgrad.nn.TransformerDecoderLayer(4, 2, dim_feedforward=8, batch_first=True)
        >>> dec = ndgrad.nn.TransformerDecoder(layer, 2)
        >>> dec(ndgrad.ones(2, 3, 4), ndgrad.ones(2, 5, 4)).shape
        ndgrad.Size([2, 3, 4])
    """

    def __init__(
        self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None
    ) -> None:
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt: Any,
        memory: Any,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Any:
        seq_len = _seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        output = tgt
        for mod in self.layers:
            output = mod(
                output,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=tgt_is_causal,
                memory_is_causal=memory_is_causal,
            )
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder Transformer ("Attention Is All You Need"): ``encoder`` (a
    ``TransformerEncoder`` with a final LayerNorm) reads ``src``, ``decoder`` (likewise) maps
    ``tgt`` attending to the encoder's output. Every parameter of more than one dimension is
    re-initialised with ``xavier_uniform_``.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1,
        ...     num_decoder_layers=1, dim_feedforward=8, batch_first=True)
        >>> src, tgt = ndgrad.ones(2, 5, 4), ndgrad.ones(2, 3, 4)
        >>> m(src, tgt, tgt_mask=m.generate_square_subsequent_mask(3)).shape
        ndgrad.Size([2, 3, 4])
        >>> ndgrad.nn.Transformer.generate_square_subsequent_mask(3)
        tensor([[  0., -inf, -inf],
                [  0.,   0., -inf],
                [  0.,   0.,   0.]])
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Any], Any] = F.relu,
        custom_encoder: Any | None = None,
        custom_decoder: Any | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps)
        layer_args += (batch_first, norm_first, bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(*layer_args, **kw)
            encoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(*layer_args, **kw)
            decoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(
        self,
        src: Any,
        tgt: Any,
        src_mask: Any = None,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        src_key_padding_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Any:
        is_batched = src.dim() == 3
        batch_axis = 0 if self.batch_first else 1
        if is_batched and src.shape[batch_axis] != tgt.shape[batch_axis]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Any:
        """The ``(sz, sz)`` causal mask: ``-inf`` above the diagonal, ``0`` elsewhere."""
        return _generate_square_subsequent_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)


def _why_not_sparsity_fast_path(layer: Any) -> str:
    """PyTorch's reasons (in its order) why an encoder could not use nested tensors."""
    name = "encoder_layer"
    if not isinstance(layer, TransformerEncoderLayer):
        return f"{name} was not TransformerEncoderLayer"
    if layer.norm_first:
        return f"{name}.norm_first was True"
    if not layer.self_attn.batch_first:
        return (
            f"{name}.self_attn.batch_first was not True"
            "(use batch_first for better inference performance)"
        )
    if not layer.self_attn._qkv_same_embed_dim:
        return f"{name}.self_attn._qkv_same_embed_dim was not True"
    if layer.self_attn.in_proj_bias is None:
        return f"{name}.self_attn was passed bias=False"
    if not layer.activation_relu_or_gelu:
        return f"{name}.activation_relu_or_gelu was not True"
    if layer.norm1.eps != layer.norm2.eps:
        return f"{name}.norm1.eps was not equal to {name}.norm2.eps"
    if layer.self_attn.num_heads % 2 == 1:
        return f"{name}.self_attn.num_heads is odd"
    return ""
