"""``ndgrad.nn`` layers: ``MultiheadAttention``.

    MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_O^T + b_O,
    head_i = softmax((Q W_Q,i^T)(K W_K,i^T)^T / sqrt(d_head) + mask) (V W_V,i^T)

with PyTorch's parameters: ``in_proj_weight`` ``(3E, E)`` (or ``q_proj_weight``,
``k_proj_weight``, ``v_proj_weight`` when ``kdim``/``vdim`` differ from ``embed_dim``),
``in_proj_bias`` ``(3E,)``, ``out_proj`` (a ``Linear(E, E)``) and optionally ``bias_k``/``bias_v``
``(1, 1, E)``. The maths is ``functional.multi_head_attention_forward``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from .. import functional as F
from .. import init
from ..parameter import Parameter
from .linear import Linear
from .module import Module

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """``Linear`` under the name PyTorch gives ``MultiheadAttention.out_proj`` (which shows in
    ``repr``); it behaves exactly as ``Linear``."""


def _is_bool(t: Any) -> bool:
    import ndgrad

    return t.dtype == ndgrad.bool


def _canonical_mask(
    mask: Any,
    mask_name: str,
    other: Any,
    other_name: str,
    target_type: Any,
    check_other: bool = True,
) -> Any:
    """A mask as floats to add to the scores (PyTorch's ``F._canonical_mask``): a bool mask's
    True (masked) becomes ``-inf``, a float mask is kept; warns when the two masks' kinds differ."""
    if mask is None:
        return None
    if not _is_bool(mask) and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other is not None and _is_bool(other) != _is_bool(mask):
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. "
            "Use same type for both instead.",
            stacklevel=3,
        )
    if _is_bool(mask):
        return mask.new_zeros(tuple(mask.shape), dtype=target_type).masked_fill(mask, -math.inf)
    return mask


class MultiheadAttention(Module):
    """Attention from ``query`` to ``key``/``value`` with ``num_heads`` heads of
    ``embed_dim // num_heads`` features each. Inputs are ``(L, N, E)`` (``(N, L, E)`` with
    ``batch_first``) or unbatched ``(L, E)``. Returns ``(attn_output, attn_weights)``; the
    weights are averaged over heads unless ``average_attn_weights=False``, and None when
    ``need_weights=False``.

    Masks: ``key_padding_mask`` ``(N, S)`` and ``attn_mask`` ``(L, S)`` or ``(N*heads, L, S)``;
    True (bool) means "do not attend", a float mask is added to the scores. ``is_causal`` is a
    hint that ``attn_mask`` is the causal mask.

    Default initialisation: ``xavier_uniform_`` for the input projections, zero biases,
    ``xavier_normal_`` for ``bias_k``/``bias_v``; ``out_proj.weight`` keeps ``Linear``'s default.

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.MultiheadAttention(4, 2, batch_first=True)
        >>> x = ndgrad.ones(3, 5, 4)
        >>> out, w = m(x, x, x)
        >>> out.shape, w.shape
        (ndgrad.Size([3, 5, 4]), ndgrad.Size([3, 5, 5]))
        >>> sorted(m.state_dict())
        ['in_proj_bias', 'in_proj_weight', 'out_proj.bias', 'out_proj.weight']
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        import ndgrad

        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                f"and num_heads={num_heads} instead"
            )
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(ndgrad.empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = Parameter(ndgrad.empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = Parameter(ndgrad.empty(embed_dim, self.vdim, **kw))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(ndgrad.empty(3 * embed_dim, embed_dim, **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(ndgrad.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(ndgrad.empty(1, 1, embed_dim, **kw))
            self.bias_v = Parameter(ndgrad.empty(1, 1, embed_dim, **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(
        self,
        query: Any,
        key: Any,
        value: Any,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Any, Any]:
        is_batched = query.dim() == 3
        key_padding_mask = _canonical_mask(
            key_padding_mask, "key_padding_mask", attn_mask, "attn_mask", query.dtype
        )
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if self.batch_first and is_batched:
            query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = not self._qkv_same_embed_dim
        attn_output, attn_weights = F.multi_head_attention_forward(
            query,
            key,
            value,
            self.embed_dim,
            self.num_heads,
            self.in_proj_weight,
            self.in_proj_bias,
            self.bias_k,
            self.bias_v,
            self.add_zero_attn,
            self.dropout,
            self.out_proj.weight,
            self.out_proj.bias,
            training=self.training,
            key_padding_mask=key_padding_mask,
            need_weights=need_weights,
            attn_mask=attn_mask,
            use_separate_proj_weight=separate,
            q_proj_weight=self.q_proj_weight if separate else None,
            k_proj_weight=self.k_proj_weight if separate else None,
            v_proj_weight=self.v_proj_weight if separate else None,
            average_attn_weights=average_attn_weights,
            is_causal=is_causal,
        )
        if self.batch_first and is_batched:
            attn_output = attn_output.transpose(1, 0)
        return attn_output, attn_weights
