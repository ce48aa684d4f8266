"""``ndgrad.autograd.graph``: hooks on the values the graph saves for backward.

See Note [Saved-tensor hooks] in ``ndgrad/_core/saved_hooks.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._core import saved_hooks as _hooks
from .._core.node import MultiNode as Node
from .._core.tensor import Tensor

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks", "Node"]


class saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Pass every tensor saved for backward through ``pack_hook`` and back through
    ``unpack_hook`` when backward reads it.

    ``pack_hook(tensor) -> anything`` runs once per saved tensor, when the op is recorded (under
    no_grad; it must not modify its input in place); ``unpack_hook(packed) -> Tensor`` runs each
    time backward reads the value and must return a tensor with the original's values. Inside
    nested contexts the innermost pair applies. Higher-order gradients work through hooked
    values, and ndgrad still reports an in-place change of a saved input after the forward.

    Example:
        >>> import ndgrad
        >>> packed = []
        >>> def pack(t):
        ...     packed.append(t.shape)
        ...     return t.clone()
        >>> x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
        >>> with ndgrad.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        ...     y = (x * x).sum()
        >>> y.backward()
        >>> x.grad, len(packed)
        (tensor([2., 4.]), 2)
    """

    def __init__(
        self, pack_hook: Callable[[Tensor], Any], unpack_hook: Callable[[Any], Tensor]
    ) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook
        self._tokens: list = []

    def __enter__(self) -> saved_tensors_hooks:
        self._tokens.append(_hooks.push(self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc: Any) -> None:
        _hooks.pop(self._tokens.pop())


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - PyTorch's name
    """Saved tensors are copied to host memory in the forward and moved back to their device
    when backward reads them (a GPU backend's memory holds only what the forward needs now).

    ``pin_memory`` is accepted for PyTorch's signature; NumPy host memory needs no pinning.
    ``device_type`` names the accelerator the tensors come from (PyTorch's ``"cuda"``).

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
        >>> with ndgrad.autograd.graph.save_on_cpu():
        ...     y = (x.exp() * x).sum()
        >>> y.backward()
        >>> x.grad.numpy().round(4)
        array([ 5.4366, 22.1672], dtype=float32)
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack(t: Tensor) -> tuple:
            return t.device, t.detach().to("cpu", copy=True)

        def unpack(packed: tuple) -> Tensor:
            dev, t = packed
            return t.to(dev)

        super().__init__(pack, unpack)
        self.pin_memory = pin_memory
        self.device_type = device_type


class disable_saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Forbid saved-tensor hooks inside the block: entering ``saved_tensors_hooks`` there (or
    entering this block while hooks are active) raises ``RuntimeError(error_message)``.

    Example:
        >>> import ndgrad
        >>> g = ndgrad.autograd.graph
        >>> with g.disable_saved_tensors_hooks("no hooks in this library"):
        ...     try:
        ...         g.saved_tensors_hooks(lambda t: t, lambda t: t).__enter__()
        ...     except RuntimeError as e:
        ...         print(e)
        no hooks in this library
    """

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message
        self._tokens: list = []

    def __enter__(self) -> disable_saved_tensors_hooks:
        self._tokens.append(_hooks.disable(self.error_message))
        return self

    def __exit__(self, *exc: Any) -> None:
        _hooks.enable(self._tokens.pop())

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        import functools

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with disable_saved_tensors_hooks(self.error_message):
                return fn(*args, **kwargs)

        return wrapper
