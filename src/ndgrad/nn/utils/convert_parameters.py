"""All parameters as one flat vector, and back (``parameters_to_vector`` /
``vector_to_parameters``)."""

from __future__ import annotations

from collections.abc import Iterable

from ..._core.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_same_device(param: Tensor, old: int | None) -> int | None:
    idx = -1 if param.device.type == "cpu" else param.device.index
    if old is not None and idx != old:
        raise TypeError(
            "Found two parameters on different devices, this is currently not supported."
        )
    return idx


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and joined into one vector (differentiable).

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.Linear(3, 2)
        >>> ndgrad.nn.utils.parameters_to_vector(m.parameters()).shape
        ndgrad.Size([8])
    """
    import ndgrad

    device = None
    vec = []
    for param in parameters:
        device = _check_same_device(param, device)
        vec.append(param.reshape(-1))
    return ndgrad.cat(vec)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (through ``.data``).

    Example:
        >>> import ndgrad
        >>> m = ndgrad.nn.Linear(2, 1)
        >>> ndgrad.nn.utils.vector_to_parameters(ndgrad.arange(3.0), m.parameters())
        >>> m.weight.data, m.bias.data
        (tensor([[0., 1.]]), tensor([2.]))
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_same_device(param, device)
        num_param = param.numel()
        param.data = vec[pointer : pointer + num_param].view_as(param).data
        pointer += num_param
