"""The hook machinery of ``Module``: ``RemovableHandle``, the global hooks that every module
runs (PyTorch's ``torch.nn.modules.module.register_module_*``, re-exported there) and the full
backward hooks. The hooks' public API is on ``Module``.

# Note [Full backward hooks]
``register_full_backward_hook`` needs the gradients with respect to the module's inputs and
outputs. As in PyTorch, ``__call__`` passes the tensor inputs through an identity
``autograd.Function`` before ``forward`` and the tensor outputs through another after it. The
outputs' identity runs first in backward: it records ``grad_output`` (running the backward
pre-hooks, which may replace it); the inputs' identity runs last and calls the hooks with
``(module, grad_input, grad_output)``; a hook's return value replaces ``grad_input``. When no input
requires grad, the hooks run at the outputs, with ``grad_input`` all ``None``.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..._core.tensor import Tensor
from ...autograd.function import Function
from ...utils.hooks import RemovableHandle

if TYPE_CHECKING:
    from .module import Module

__all__ = [
    "RemovableHandle",
    "register_module_forward_pre_hook",
    "register_module_forward_hook",
    "register_module_full_backward_pre_hook",
    "register_module_full_backward_hook",
    "register_module_backward_hook",
    "register_module_buffer_registration_hook",
    "register_module_module_registration_hook",
    "register_module_parameter_registration_hook",
]


def _add_hook(
    hooks: OrderedDict,
    hook: Callable,
    *,
    prepend: bool = False,
    flags: Sequence[tuple[dict, bool]] = (),
) -> RemovableHandle:
    """Register ``hook`` in ``hooks`` (first if ``prepend``) and return its handle; ``flags``
    are ``(dict, on)`` pairs: the handle's id is marked ``True`` in each dict that is ``on``
    (``with_kwargs``, ``always_call``), and removing the handle unmarks it in all of them."""
    handle = RemovableHandle(hooks, extra_dict=[d for d, _ in flags] or None)
    hooks[handle.id] = hook
    for d, on in flags:
        if on:
            d[handle.id] = True
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


# ------------------------------------------------------------------------------ backward hooks
# See Note [Full backward hooks]


class _BackwardHookFunction(Function):
    """Identity on tensors; its backward hands the gradients to a callback (which may replace
    them)."""

    @staticmethod
    def forward(ctx: Any, callback: Any, materialize: bool, *tensors: Tensor) -> tuple:
        ctx.callback = callback
        ctx.set_materialize_grads(materialize)
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple:
        return (None, None, *ctx.callback(grads))


class _BackwardHook:
    """The state of one call of a module with full backward (pre-)hooks."""

    def __init__(self, module: Module, hooks: list, pre_hooks: list) -> None:
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.grad_outputs: tuple | None = None
        self.n_outputs = -1
        self.output_index: list | None = None
        self.n_inputs = -1
        self.input_index: list | None = None

    @staticmethod
    def _pack(indices: list, values: Any, size: int) -> tuple:
        res: list = [None] * size
        for i, v in zip(indices, values):
            res[i] = v
        return tuple(res)

    def _wrap(self, args: tuple, callback: Callable, materialize: bool) -> tuple:
        from ..._core.grad_mode import grad_enabled

        index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in index]
        if not (grad_enabled() and any(t.requires_grad for t in tensors)):
            return args, None
        new = _BackwardHookFunction.apply(callback, materialize, *tensors)
        out = list(args)
        for i, t in zip(index, new):
            out[i] = t
        return tuple(out), index

    def setup_input_hook(self, args: tuple) -> tuple:
        def on_grad_input(grads: tuple) -> tuple:
            if self.grad_outputs is None:  # the gradient reached the inputs by another path
                return grads
            res = self._pack(self.input_index, grads, self.n_inputs)
            for hook in self.hooks:
                out = hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError(
                        f"Backward hook returned an invalid number of grad_input, got "
                        f"{len(out)}, but expected {len(res)}"
                    )
                res = out
            self.grad_outputs = None
            return tuple(res[i] for i in self.input_index)

        res, index = self._wrap(args, on_grad_input, True)
        self.n_inputs = len(args)
        self.input_index = index
        return res

    def setup_output_hook(self, result: Any) -> Any:
        def on_grad_output(grads: tuple) -> tuple:
            self.grad_outputs = self._pack(self.output_index, grads, self.n_outputs)
            expected = len(self.grad_outputs)
            for hook in self.pre_hooks:
                out = hook(self.module, self.grad_outputs)
                if out is None:
                    continue
                if not isinstance(out, tuple):
                    out = (out,)
                if len(out) != expected:
                    raise RuntimeError(
                        f"Backward pre hook returned an invalid number of grad_output, got "
                        f"{len(out)}, but expected {expected}"
                    )
                self.grad_outputs = out
            local = self.grad_outputs
            if self.input_index is None:
                warnings.warn(
                    "Full backward hook is firing when gradients are computed with respect to "
                    "module outputs since no inputs require gradients. See "
                    "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                    "#torch.nn.Module.register_full_backward_hook for more details.",
                    stacklevel=2,
                )
                grad_inputs = self._pack([], [], self.n_inputs)
                for hook in self.hooks:
                    out = hook(self.module, grad_inputs, self.grad_outputs)
                    if out is not None and not (
                        isinstance(out, tuple) and all(o is None for o in out)
                    ):
                        raise RuntimeError(
                            "Backward hook for Modules where no input requires gradient should "
                            "always return None or None for all gradients."
                        )
                self.grad_outputs = None
            return tuple(local[i] for i in self.output_index)

        single = not isinstance(result, tuple)
        args = (result,) if single else result
        res, index = self._wrap(args, on_grad_output, False)
        self.n_outputs = len(args)
        self.output_index = index
        return res[0] if single else res


# ------------------------------------------------------------------------------ global hooks
# Hooks common to every module (PyTorch's ``torch.nn.modules.module.register_module_*``): they
# run before each module's own hooks of the same kind.
_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_with_kwargs: OrderedDict = OrderedDict()
_global_forward_hooks_always_called: OrderedDict = OrderedDict()
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()
_global_buffer_registration_hooks: OrderedDict = OrderedDict()
_global_module_registration_hooks: OrderedDict = OrderedDict()
_global_parameter_registration_hooks: OrderedDict = OrderedDict()


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, args)`` before the ``forward`` of every module (see
    ``Module.register_forward_pre_hook``)."""
    return _add_hook(_global_forward_pre_hooks, hook)


def register_module_forward_hook(
    hook: Callable, *, with_kwargs: bool = False, always_call: bool = False
) -> RemovableHandle:
    """``hook(module, args, output)`` after the ``forward`` of every module (see
    ``Module.register_forward_hook``).

    Example:
        >>> import ndgrad
        >>> from ndgrad.nn.modules.module import register_module_forward_hook
        >>> seen = []
        >>> with register_module_forward_hook(lambda m, a, out: seen.append(type(m).__name__)):
        ...     _ = ndgrad.nn.Sequential(ndgrad.nn.ReLU(), ndgrad.nn.Tanh())(ndgrad.ones(1))
        >>> seen
        ['ReLU', 'Tanh', 'Sequential']
    """
    flags = [
        (_global_forward_hooks_with_kwargs, with_kwargs),
        (_global_forward_hooks_always_called, always_call),
    ]
    return _add_hook(_global_forward_hooks, hook, flags=flags)


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, grad_output)`` for every module (see
    ``Module.register_full_backward_pre_hook``)."""
    return _add_hook(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, grad_input, grad_output)`` for every module (see
    ``Module.register_full_backward_hook``)."""
    return _add_hook(_global_backward_hooks, hook)


def register_module_backward_hook(hook: Callable) -> RemovableHandle:
    """PyTorch's deprecated non-full backward hook: refused (see
    ``Module.register_backward_hook``)."""
    raise NotImplementedError(_NON_FULL_HOOK)


def register_module_buffer_registration_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, name, buffer)`` on every ``register_buffer``; a returned tensor is
    registered instead."""
    return _add_hook(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, name, submodule)`` on every child registration; a returned module is
    registered instead."""
    return _add_hook(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, name, param)`` on every ``register_parameter``; a returned parameter is
    registered instead."""
    return _add_hook(_global_parameter_registration_hooks, hook)


_NON_FULL_HOOK = (
    "register_backward_hook (PyTorch's deprecated non-full backward hook, which sees the "
    "gradients of the last operation only) is not supported by ndgrad; hint: use "
    "register_full_backward_hook, which PyTorch recommends in its place"
)


def _call_with_hooks(module: Module, forward_call: Callable, args: tuple, kwargs: dict) -> Any:
    """``Module.__call__`` when some hook is registered: the global, then the module's, forward
    pre-hooks; the full backward hooks around ``forward`` (see Note [Full backward hooks]);
    then the forward hooks (those with ``always_call`` also when ``forward`` raises)."""

    def run_forward_hook(hook_id: int, hook: Callable, result: Any) -> Any:
        if hook_id in with_kwargs:
            return hook(module, args, kwargs, result)
        return hook(module, args, result)

    result = None
    called_always: set = set()
    # global hooks first, then the module's (as PyTorch)
    forward_hooks = [*_global_forward_hooks.items(), *module._forward_hooks.items()]
    with_kwargs = {**_global_forward_hooks_with_kwargs, **module._forward_hooks_with_kwargs}
    always = {**_global_forward_hooks_always_called, **module._forward_hooks_always_called}
    try:
        pre_hooks = [*_global_forward_pre_hooks.items(), *module._forward_pre_hooks.items()]
        for hook_id, hook in pre_hooks:
            if hook_id in module._forward_pre_hooks_with_kwargs:
                res = hook(module, args, kwargs)
                if res is not None:
                    if isinstance(res, tuple) and len(res) == 2:
                        args, kwargs = res
                    else:
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {res}."
                        )
            else:
                res = hook(module, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        bw_hook = None
        full_hooks = [*_global_backward_hooks.values(), *module._backward_hooks.values()]
        bw_pre_hooks = [
            *_global_backward_pre_hooks.values(),
            *module._backward_pre_hooks.values(),
        ]
        if full_hooks or bw_pre_hooks:
            bw_hook = _BackwardHook(module, full_hooks, bw_pre_hooks)
            args = bw_hook.setup_input_hook(args)
        result = forward_call(*args, **kwargs)
        for hook_id, hook in forward_hooks:
            if hook_id in always:
                called_always.add(hook_id)
            res = run_forward_hook(hook_id, hook, result)
            if res is not None:
                result = res
        if bw_hook is not None:
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn(
                    "For backward hooks to be called, module output should be a Tensor or a "
                    f"tuple of Tensors but received {type(result)}",
                    stacklevel=3,  # the caller of Module.__call__
                )
            result = bw_hook.setup_output_hook(result)
        return result
    except Exception:
        for hook_id, hook in forward_hooks:
            if hook_id in always and hook_id not in called_always:
                try:
                    res = run_forward_hook(hook_id, hook, result)
                    if res is not None:
                        result = res
                except Exception as e:
                    where = "global module" if hook_id in _global_forward_hooks else "module"
                    warnings.warn(
                        f"{where} forward hook with ``always_call=True`` raised an exception "
                        f"that was silenced as another error was raised in forward: {e}",
                        stacklevel=3,  # the caller of Module.__call__
                    )
        raise
