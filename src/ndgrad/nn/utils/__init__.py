"""``ndgrad.nn.utils``: gradient clipping, parameters as one vector, sequence padding.

Example:
    >>> import ndgrad
    >>> w = ndgrad.tensor([3.0, 4.0], requires_grad=True)
    >>> (w * w).sum().backward()   # grad = [6, 8], norm 10
    >>> ndgrad.nn.utils.clip_grad_norm_([w], max_norm=1.0)
    tensor(10.)
    >>> w.grad
    tensor([0.6000, 0.8000])
"""

from . import clip_grad, convert_parameters, rnn
from .clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .rnn import PackedSequence

__all__ = [
    "clip_grad",
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "convert_parameters",
    "PackedSequence",
    "get_total_norm",
    "parameters_to_vector",
    "rnn",
    "vector_to_parameters",
]
