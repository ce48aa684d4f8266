"""``ndgrad.utils.checkpoint``: trade compute for memory by recomputing in backward.

``checkpoint(fn, *args, use_reentrant=False)`` runs ``fn`` normally but keeps none of the values
its ops save for backward: each saved tensor is packed as an index (See Note [Saved-tensor
hooks] in ``_core/saved_hooks.py``). The first time backward needs one, ``fn`` runs again on the
same inputs, with the RNG state of the forward, and the recomputed values are handed to the
original graph's nodes, which compute the gradients as usual. Peak memory then holds the
checkpointed segment's inputs and outputs, not its intermediates.

``use_reentrant=True`` is PyTorch's older variant: the forward runs under ``no_grad`` inside a
custom Function, whose backward reruns ``fn`` with grad enabled and backpropagates through the
rerun (closure parameters get their ``.grad`` there).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from .._core.grad_mode import enable_grad, no_grad
from .._core.random import get_rng_state, set_rng_state
from .._core.tensor import Tensor
from ..autograd.function import Function
from ..autograd.graph import saved_tensors_hooks

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "noop_context_fn"]


class CheckpointError(RuntimeError):
    """The recomputation in backward saved different tensors than the forward did."""


def noop_context_fn() -> tuple[contextlib.AbstractContextManager, ...]:
    """The default ``context_fn``: no context around the forward or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


_DEFAULT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
    "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants."
)


def checkpoint(
    function: Callable[..., Any],
    *args: Any,
    use_reentrant: bool | None = None,
    context_fn: Callable[[], tuple] = noop_context_fn,
    determinism_check: str = "default",
    debug: bool = False,
    early_stop: bool = True,
    **kwargs: Any,
) -> Any:
    """``function(*args, **kwargs)``, with its intermediate values recomputed in backward
    instead of kept: the same gradients, a lower peak memory, one extra forward of compute.

    ``preserve_rng_state=True`` (a keyword) replays the forward's random draws (dropout) in the
    recomputation. ``use_reentrant``: pass it (PyTorch warns when it is missing and then uses
    the reentrant variant, as ndgrad does); ``False`` is recommended. ``context_fn`` returns two
    context managers, for the forward and for the recomputation (non-reentrant only);
    ``determinism_check="default"`` compares the shapes and dtypes of the recomputed values
    with the forward's (``"none"`` skips it). ``early_stop`` is accepted (the recomputation runs
    the whole function either way); ``debug=True`` is refused.

    Example:
        >>> import ndgrad
        >>> from ndgrad.utils.checkpoint import checkpoint
        >>> x = ndgrad.tensor([0.5, 1.0], requires_grad=True)
        >>> y = checkpoint(lambda t: ndgrad.tanh(ndgrad.sin(t)), x, use_reentrant=False)
        >>> y.sum().backward()
        >>> x.grad.numpy().round(4)
        array([0.7032, 0.2856], dtype=float32)
    """
    if use_reentrant is None:
        warnings.warn(_DEFAULT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if debug:
        raise ValueError(
            "checkpoint(debug=True) is not supported by ndgrad; hint: use "
            "ndgrad.autograd.detect_anomaly() to trace the ops of a failing backward"
        )
    if determinism_check not in ("default", "none"):
        raise ValueError(
            f"determinism_check should be one of ['default', 'none'], but got {determinism_check}"
        )
    if use_reentrant:
        if context_fn is not noop_context_fn:
            raise ValueError(
                "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
            )
        return _Reentrant.apply(function, preserve, *args)
    return _non_reentrant(function, args, kwargs, preserve, context_fn, determinism_check)


# --------------------------------------------------------------------------------------------
# use_reentrant=False: saved-tensor hooks that keep an index and recompute on first use.


class _Frame:
    """One checkpointed call: what the recomputation needs and what it produced."""

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, check: bool) -> None:
        self.fn, self.args, self.kwargs, self.check = fn, args, kwargs, check
        self.rng: Any = None
        self.meta: list = []  # (shape, dtype) of each value the forward saved, in order
        self.values: list | None = None
        self.recompute_ctx: Any = contextlib.nullcontext()

    def pack(self, t: Tensor) -> int:
        self.meta.append((tuple(t.shape), t.dtype))
        return len(self.meta) - 1

    def unpack(self, i: int) -> Tensor:
        if self.values is None:
            self.recompute()
        return self.values[i]  # type: ignore[index]

    def recompute(self) -> None:
        values: list = []

        def keep(t: Tensor) -> None:
            values.append(t.detach())

        state = get_rng_state() if self.rng is not None else None
        try:
            if self.rng is not None:
                set_rng_state(self.rng)
            with enable_grad(), saved_tensors_hooks(keep, _unused), self.recompute_ctx:
                self.fn(*self.args, **self.kwargs)
        finally:
            if state is not None:
                set_rng_state(state)
        if self.check:
            self._compare(values)
        self.values = values

    def _compare(self, values: list) -> None:
        if len(values) != len(self.meta):
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the "
                "original forward and recomputation.\n"
                f"Number of tensors saved during forward: {len(self.meta)}\n"
                f"Number of tensors saved during recomputation: {len(values)}\n"
                "hint: the checkpointed function must do the same ops when run again (no "
                "branching on global state); determinism_check='none' turns this check off"
            )
        bad = [
            f"tensor at position {i}:\nsaved metadata: {{'shape': {list(m[0])}, 'dtype': "
            f"{m[1]}}}\nrecomputed metadata: {{'shape': {list(v.shape)}, 'dtype': {v.dtype}}}"
            for i, (m, v) in enumerate(zip(self.meta, values))
            if m != (tuple(v.shape), v.dtype)
        ]
        if bad:
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors have "
                "different metadata than during the forward pass.\n" + "\n".join(bad)
            )


def _unused(x: Any) -> Any:  # the recomputation's values are never read through these hooks
    return x


def _non_reentrant(
    fn: Callable[..., Any],
    args: tuple,
    kwargs: dict,
    preserve: bool,
    context_fn: Callable[[], tuple],
    determinism_check: str,
) -> Any:
    frame = _Frame(fn, args, kwargs, determinism_check == "default")
    if preserve:
        frame.rng = get_rng_state()
    forward_ctx, frame.recompute_ctx = context_fn()
    with saved_tensors_hooks(frame.pack, frame.unpack), forward_ctx:
        return fn(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# use_reentrant=True: a Function that reruns the forward in its backward.


class _Reentrant(Function):
    @staticmethod
    def forward(ctx: Any, fn: Callable[..., Any], preserve: bool, *args: Any) -> Any:
        ctx.fn = fn
        ctx.rng = get_rng_state() if preserve else None
        ctx.positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.others = list(args)
        for i in ctx.positions:
            ctx.others[i] = None
        ctx.save_for_backward(*(args[i] for i in ctx.positions))
        with no_grad():
            return fn(*args)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        from .._core.engine import backward

        inputs = list(ctx.others)
        for i, t in zip(ctx.positions, ctx.saved_tensors):
            d = t.detach()
            d.requires_grad_(t.requires_grad)
            inputs[i] = d
        state = get_rng_state() if ctx.rng is not None else None
        try:
            if ctx.rng is not None:
                set_rng_state(ctx.rng)
            with enable_grad():
                out = ctx.fn(*inputs)
        finally:
            if state is not None:
                set_rng_state(state)
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [
            (o, g)
            for o, g in zip(outs, grads)
            if isinstance(o, Tensor) and o.requires_grad and g is not None
        ]
        if not pairs:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary; "
                "hint: checkpoint a function whose output depends on a tensor that requires grad"
            )
        backward([o for o, _ in pairs], [g for _, g in pairs])
        got = [inputs[i].grad if isinstance(inputs[i], Tensor) else None for i in ctx.positions]
        res: list = [None] * len(inputs)
        for i, g in zip(ctx.positions, got):
            res[i] = g
        return (None, None, *res)


# --------------------------------------------------------------------------------------------


def checkpoint_sequential(
    functions: Iterable[Callable[..., Any]] | Any,
    segments: int,
    input: Any,
    use_reentrant: bool | None = None,
    **kwargs: Any,
) -> Any:
    """Run ``functions`` (a list, or an ``nn.Sequential``'s children) in ``segments`` chunks,
    each but the last checkpointed: peak memory holds one segment's intermediates.

    Example:
        >>> import ndgrad
        >>> from ndgrad.utils.checkpoint import checkpoint_sequential
        >>> x = ndgrad.tensor([0.5, 1.0], requires_grad=True)
        >>> fs = [ndgrad.sin, ndgrad.tanh, ndgrad.exp, ndgrad.cos]
        >>> checkpoint_sequential(fs, 2, x, use_reentrant=False).sum().backward()
        >>> x.grad.shape
        ndgrad.Size([2])
    """
    if use_reentrant is None:
        warnings.warn(_DEFAULT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if hasattr(functions, "children") and callable(functions.children):
        functions = list(functions.children())
    functions = list(functions)

    def run(start: int, end: int) -> Callable[[Any], Any]:
        def forward(x: Any) -> Any:
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    size = len(functions) // segments
    end = -1
    x = input
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        x = checkpoint(run(start, end), x, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(x)
