"""``ndgrad.nn``: PyTorch's neural-network layers, written in ndgrad ops.

``Module`` and ``Parameter`` are the base; the layers live in ``ndgrad.nn.modules`` (one file
per family, as PyTorch's), ``init`` has the weight initialisations, ``functional`` the functional
forms, ``utils`` gradient clipping and sequence padding.

Example:
    >>> import ndgrad
    >>> from ndgrad import nn
    >>> _ = ndgrad.manual_seed(0)
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    >>> loss = nn.MSELoss()(net(ndgrad.ones(2, 4)), ndgrad.zeros(2, 1))
    >>> loss.backward()
    >>> [tuple(p.grad.shape) for p in net.parameters()]
    [(8, 4), (8,), (1, 8), (1,)]
"""

from . import functional, init, modules, parameter, utils  # noqa: F401
from .modules import *  # noqa: F403
from .modules import Module  # noqa: F401
from .modules import __all__ as _modules_all
from .parameter import (  # noqa: F401
    Buffer,
    Parameter,
    UninitializedBuffer,
    UninitializedParameter,
)

__all__ = sorted(
    {
        "Module",
        "Parameter",
        "Buffer",
        "UninitializedParameter",
        "UninitializedBuffer",
        "init",
        "utils",
        "functional",
    }
    | set(_modules_all)
)
