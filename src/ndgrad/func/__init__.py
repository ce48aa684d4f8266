"""``ndgrad.func``: PyTorch's ``torch.func`` transforms (grad, vjp, jvp, jacrev, jacfwd, hessian,
vmap, functional_call) plus ``directional_derivative``. See ``transforms.py`` and ``vmap.py``."""

from __future__ import annotations

from .transforms import (
    directional_derivative,
    functional_call,
    grad,
    grad_and_value,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    linearize,
    vjp,
)
from .vmap import vmap

__all__ = [
    "vmap",
    "grad",
    "grad_and_value",
    "vjp",
    "jvp",
    "linearize",
    "jacrev",
    "jacfwd",
    "hessian",
    "functional_call",
    "directional_derivative",
]
