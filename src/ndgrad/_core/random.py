"""Random numbers: ``Generator``, the default generator, and the random factories.

Every random function draws from a ``Generator`` (``generator=``), by default
``ndgrad.default_generator``, which ``manual_seed`` seeds. A ``Generator`` wraps a NumPy
``Generator`` (PCG64): the streams differ from PyTorch's, so the numbers differ, but a seed always
gives the same numbers. As in PyTorch the default generator starts from a fresh random seed in each
process, and a new ``Generator()`` from the fixed seed 67280421310721.

The samplers below (``uniform`` ... ``integers``) make NumPy arrays of one dtype; the in-place
methods (``x.normal_()``) and ``normal``/``bernoulli``/``poisson`` of tensors, which touch the
graph, are in ``ndgrad.ops.random_inplace``.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from .. import _backend
from . import dtypes as _dt
from .batched import BatchedTensor, random_batch, randomness_of, wrap
from .factories import (
    _check_device,
    _size,
    alloc,
    check_tensor,
    like_array,
    out_dtype,
    preserve_format,
    result,
    torch_name,
)
from .tensor import Tensor, device, make

__all__ = [
    "Generator",
    "default_generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "rand",
    "randn",
    "randint",
    "randperm",
    "rand_like",
    "randn_like",
    "randint_like",
    "multinomial",
]

_DEFAULT_SEED = 67280421310721
_STATE_MAGIC = b"NDG1"
_STATE_SIZE = 52  # magic, seed, PCG64 state and increment, buffered uint32 flag and value


def _seed_int(seed: Any) -> int:
    """A seed as PyTorch takes it: an integer in [-2**63, 2**64), negatives wrapped to uint64."""
    if isinstance(seed, Tensor):
        seed = seed.item()
    if isinstance(seed, (float, np.floating)) or not hasattr(seed, "__index__"):
        raise RuntimeError(
            f"manual_seed expected a long, but got {type(seed).__name__}; hint: seeds are "
            "integers, e.g. manual_seed(0)"
        )
    s = int(seed.__index__())
    if not -(2**63) <= s < 2**64:
        raise ValueError(f"Overflow when unpacking long long: the seed {s} is not a 64-bit integer")
    return s % 2**64


class Generator:
    """A source of random numbers for ``rand``, ``randn``, ``x.normal_()`` ... (``generator=``).

    Example:
        >>> import ndgrad
        >>> g = ndgrad.Generator().manual_seed(7)
        >>> a = ndgrad.rand(3, generator=g)
        >>> b = ndgrad.rand(3, generator=ndgrad.Generator().manual_seed(7))
        >>> bool((a == b).all())
        True
    """

    __slots__ = ("_np", "_seed", "_device")

    def __init__(self, device: Any = "cpu") -> None:
        self._device = _check_device(device if device is not None else "cpu")
        self.manual_seed(_DEFAULT_SEED)

    @property
    def device(self) -> device:
        """The device the generator's numbers are meant for (they are drawn on the host)."""
        return self._device

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns the generator."""
        s = _seed_int(seed)
        self._np = np.random.Generator(np.random.PCG64(s))
        self._seed = s
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the new seed."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed the current stream started from."""
        return self._seed

    def get_state(self) -> Tensor:
        """The whole state as a ``uint8`` tensor, for ``set_state``."""
        st = self._np.bit_generator.state
        raw = (
            _STATE_MAGIC
            + self._seed.to_bytes(8, "little")
            + int(st["state"]["state"]).to_bytes(16, "little")
            + int(st["state"]["inc"]).to_bytes(16, "little")
            + int(st["has_uint32"]).to_bytes(4, "little")
            + int(st["uinteger"]).to_bytes(4, "little")
        )
        return make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state: Tensor) -> Generator:
        """Restore a state from ``get_state`` (of this generator or another); returns self."""
        if not isinstance(new_state, Tensor):
            raise TypeError(
                f"expected a ndgrad.ByteTensor, but got {type(new_state).__name__}; hint: pass "
                "what get_state() returned"
            )
        if new_state.dtype is not _dt.uint8:
            raise TypeError("RNG state must be a ndgrad.ByteTensor (dtype uint8)")
        raw = _backend.to_numpy(new_state._data).reshape(-1).tobytes()
        if len(raw) != _STATE_SIZE or raw[:4] != _STATE_MAGIC:
            raise RuntimeError(
                f"Expected an ndgrad Generator state of size {_STATE_SIZE} but found the input RNG "
                f"state size to be {len(raw)}; hint: pass what get_state() returned (PyTorch's "
                "states do not fit ndgrad's generator)"
            )
        bg = np.random.PCG64()
        bg.state = {
            "bit_generator": "PCG64",
            "state": {
                "state": int.from_bytes(raw[12:28], "little"),
                "inc": int.from_bytes(raw[28:44], "little"),
            },
            "has_uint32": int.from_bytes(raw[44:48], "little"),
            "uinteger": int.from_bytes(raw[48:52], "little"),
        }
        self._np = np.random.Generator(bg)
        self._seed = int.from_bytes(raw[4:12], "little")
        return self

    def clone_state(self) -> Generator:
        """A new generator in the same state (the two then give the same numbers)."""
        g = Generator(self._device)
        return g.set_state(self.get_state())

    def __repr__(self) -> str:
        return f"<ndgrad.Generator object (device='{self._device}', seed={self._seed})>"


default_generator = Generator()
default_generator.seed()


def manual_seed(seed: Any) -> Generator:
    """Seed the default generator (what ``rand``, ``randn``, ``x.normal_()`` ... draw from).

    Example:
        >>> import ndgrad
        >>> _ = ndgrad.manual_seed(0)
        >>> a = ndgrad.randn(2)
        >>> _ = ndgrad.manual_seed(0)
        >>> bool((ndgrad.randn(2) == a).all())
        True
    """
    if isinstance(seed, Tensor):
        seed = seed.item()
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    """Seed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator started from."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state as a ``uint8`` tensor."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default generator's state from ``get_rng_state()``."""
    default_generator.set_state(new_state)


def get_rng() -> np.random.Generator:
    """The NumPy generator behind the default generator (for ndgrad's own code)."""
    return default_generator._np


def np_generator(generator: Any, name: str) -> np.random.Generator:
    """The NumPy generator behind ``generator=`` (None: the default one)."""
    if generator is None:
        return default_generator._np
    if isinstance(generator, Generator):
        return generator._np
    if isinstance(generator, np.random.Generator):  # NumPy's own, for NumPy users
        return generator
    raise TypeError(
        f"{name}(): argument 'generator' must be ndgrad.Generator, not {type(generator).__name__}"
    )


# --------------------------------------------------------------------------------------------
# Samplers: NumPy arrays of one dtype (errors name the dtype as PyTorch's kernels do).


def _not_implemented(kernel: str, d: _dt.dtype, hint: str) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{torch_name(d)}'; hint: {hint}")


def _float_or_complex(kernel: str, d: _dt.dtype) -> None:
    if not (d.is_floating_point or d.is_complex):
        raise _not_implemented(
            kernel, d, "draw floating-point numbers (dtype=ndgrad.float32), or use randint"
        )


def _unit(g: np.random.Generator, shape: tuple, d: _dt.dtype) -> np.ndarray:
    """Uniform on [0, 1) in float dtype ``d`` (never 1.0 after rounding)."""
    if d is _dt.float32:
        return g.random(shape, dtype=np.float32)
    if d is _dt.float16:  # 11 random bits: exactly representable, all below 1
        return (g.integers(0, 2**11, shape) * 2.0**-11).astype(np.float16)
    return g.random(shape)


def uniform(
    g: np.random.Generator, shape: tuple, d: _dt.dtype, low: float = 0.0, high: float = 1.0
) -> np.ndarray:
    """Uniform on [low, high); complex dtypes: real and imaginary parts each uniform."""
    _float_or_complex("check_uniform_bounds", d)
    if d.is_complex:
        r = d.to_real()
        return (uniform(g, shape, r, low, high) + 1j * uniform(g, shape, r, low, high)).astype(d.np)
    u = _unit(g, shape, d)
    if low == 0.0 and high == 1.0:
        return u
    a = (low + (high - low) * u.astype(np.float64)).astype(d.np)
    if high > low:  # rounding must not reach the excluded upper bound
        top = np.nextafter(d.np.type(high), d.np.type(low))
        a = np.where(a >= high, top, a).astype(d.np, copy=False)
    return a


def normal(
    g: np.random.Generator, shape: tuple, d: _dt.dtype, mean: Any = 0.0, std: Any = 1.0
) -> np.ndarray:
    """Normal samples; complex: the parts each have variance ``std**2 / 2``, as PyTorch's; a
    complex mean shifts each part by its own part, a real one shifts both (``x.normal_(1, 2)``)."""
    _float_or_complex("normal_kernel_cpu", d)
    if d.is_complex:
        r = d.to_real()
        s = np.asarray(std) / math.sqrt(2.0)
        m = np.asarray(mean)
        m_re, m_im = (m.real, m.imag) if m.dtype.kind == "c" else (m, m)
        z = normal(g, shape, r, m_re, s) + 1j * normal(g, shape, r, m_im, s)
        return z.astype(d.np)
    if d is _dt.float32 or d is _dt.float64:
        z = g.standard_normal(shape, dtype=d.np)
    else:
        z = g.standard_normal(shape, dtype=np.float32)
    if not (np.isscalar(mean) and mean == 0.0 and np.isscalar(std) and std == 1.0):
        z = mean + std * z
    return np.asarray(z).astype(d.np, copy=False)


def integers(g: np.random.Generator, shape: tuple, d: _dt.dtype, low: int, high: int) -> np.ndarray:
    """Integers in [low, high) in dtype ``d`` (``high`` may be 2**64 for uint64-sized ranges)."""
    if high - 1 > 2**63 - 1:
        a = g.integers(low, high, shape, dtype=np.uint64)
    else:
        a = g.integers(low, high, shape, dtype=np.int64)
    return a.astype(d.np)


# C++ type names, as PyTorch's range checks print them.
_C_NAMES = {
    "int8": "signed char",
    "uint8": "unsigned char",
    "int16": "short int",
    "int32": "int",
    "int64": "long int",
    "bool": "bool",
    "float16": "c10::Half",
    "float32": "float",
    "float64": "double",
}


def c_name(d: _dt.dtype) -> str:
    if d.is_complex:
        return f"c10::complex<{'float' if d is _dt.complex64 else 'double'}>"
    return _C_NAMES.get(d.name, d.name)


def int_range(d: _dt.dtype) -> tuple[int, int]:
    """The integers dtype ``d`` holds exactly: [min, max]."""
    if d is _dt.bool_:
        return 0, 1
    if d.is_floating_point:
        m = 2 ** (np.finfo(d.np).nmant + 1)
        return -m, m
    info = np.iinfo(d.np)
    return int(info.min), int(info.max)


def check_int_bounds(d: _dt.dtype, low: int, high: int, who: str = "random_") -> None:
    """PyTorch's checks of ``random_(from, to)`` / ``randint(low, high)`` for dtype ``d``."""
    if low >= high:
        raise RuntimeError(
            f"{who} expects 'from' to be less than 'to', but got from={low} >= to={high}; hint: "
            "the range is [from, to), so to must be larger"
        )
    if d.is_floating_point:
        return
    lo, hi = int_range(d)
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {c_name(d)}")
    if not lo <= high - 1 <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {c_name(d)}")


def _int_arg(name: str, v: Any, arg: str) -> int:
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, (bool, np.bool_)) or not hasattr(v, "__index__"):
        raise TypeError(f"{name}(): argument '{arg}' must be int, not {type(v).__name__}")
    v = int(v.__index__())
    if not -(2**63) <= v < 2**63:
        raise ValueError(f"Overflow when unpacking long long: {arg}={v} is not a 64-bit integer")
    return v


# --------------------------------------------------------------------------------------------
# The random factories.


def _sample(
    name: str,
    shape: tuple,
    dtype: Any,
    out: Any,
    draw: Any,
    device: Any,
    requires_grad: bool,
    default: Any = None,
) -> Tensor:
    d = out_dtype(name, dtype, out)
    d = _dt.to_dtype(d) if d is not None else (default or _dt.get_default_dtype())
    lv = _vmap_draws(name, out)
    if lv is not None:  # inside vmap(randomness="different"): one sample per entry
        full = (lv[1], *shape)
        a = alloc(name, full, d.np, lambda: draw(full, d))
        return wrap(result(a, None, device, False), *lv)
    a = alloc(name, shape, d.np, lambda: draw(shape, d))
    return result(a, out, device, requires_grad)


def _vmap_draws(name: str, out: Any) -> tuple[int, int] | None:
    """Inside vmap: raise for randomness="error", None for "same", the level to batch at for
    "different"."""
    lv = random_batch()
    if lv is not None and out is not None:
        raise RuntimeError(
            f"vmap: {name}(out=...) cannot draw different samples per entry into one out tensor; "
            "hint: drop out= inside vmap"
        )
    return lv


def rand(
    *args: Any,
    size: Any = None,
    generator: Generator | None = None,
    out: Tensor | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Uniform samples on [0, 1): ``rand(2, 3)``, ``rand((2, 3))``, ``rand(size=())``.

    Example:
        >>> import ndgrad
        >>> ndgrad.rand(2, 3, dtype=ndgrad.float64).shape
        ndgrad.Size([2, 3])
    """
    shape = _size("rand", args, size)
    g = np_generator(generator, "rand")
    return _sample("rand", shape, dtype, out, lambda s, d: uniform(g, s, d), device, requires_grad)


def randn(
    *args: Any,
    size: Any = None,
    generator: Generator | None = None,
    out: Tensor | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Standard normal samples: ``randn(2, 3)``, ``randn((2, 3))``, ``randn(size=())``."""
    shape = _size("randn", args, size)
    g = np_generator(generator, "randn")
    return _sample("randn", shape, dtype, out, lambda s, d: normal(g, s, d), device, requires_grad)


def _randint_bounds(name: str, args: list, low: Any, high: Any) -> tuple[int, int]:
    if len(args) == 2:
        if low is not None or high is not None:
            raise TypeError(f"{name}() got multiple values for argument 'low' or 'high'")
        lo, hi = args
    elif len(args) == 1:
        if low is not None:
            raise TypeError(f"{name}() got multiple values for argument 'low'")
        lo, hi = (args[0], high) if high is not None else (0, args[0])
    elif not args:
        if high is None:
            raise TypeError(
                f"{name}() missing required argument 'high'; hint: {name}(high, size) or "
                f"{name}(low, high, size)"
            )
        lo, hi = (0 if low is None else low), high
    else:
        raise TypeError(
            f"{name}() takes low, high and size, but got {len(args) + 1} positional arguments"
        )
    return _int_arg(name, lo, "low"), _int_arg(name, hi, "high")


def randint(
    *args: Any,
    size: Any = None,
    low: Any = None,
    high: Any = None,
    generator: Generator | None = None,
    out: Tensor | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Random integers in [low, high), int64 unless ``dtype``: ``randint(10, (3,))``,
    ``randint(3, 10, (2, 2))``, ``randint(0, 10, size=(3,))``.

    Example:
        >>> import ndgrad
        >>> ndgrad.randint(3, 10, (4,)).dtype
        ndgrad.int64
    """
    args_l = list(args)
    if size is None:
        if not args_l or not isinstance(args_l[-1], (tuple, list)):
            raise TypeError(
                "randint() missing required argument 'size' (a tuple of ints); hint: "
                "randint(high, (n,)) or randint(low, high, (n, m))"
            )
        size = args_l.pop()
    lo, hi = _randint_bounds("randint", args_l, low, high)
    shape = _size("randint", (), size)
    d = out_dtype("randint", dtype, out)
    d = _dt.int64 if d is None else _dt.to_dtype(d)
    check_int_bounds(d, lo, hi)
    g = np_generator(generator, "randint")
    lv = _vmap_draws("randint", out)
    if lv is not None:
        full = (lv[1], *shape)
        a = alloc("randint", full, d.np, lambda: integers(g, full, d, lo, hi))
        return wrap(result(a, None, device, False), *lv)
    a = alloc("randint", shape, d.np, lambda: integers(g, shape, d, lo, hi))
    return result(a, out, device, requires_grad)


def randperm(
    n: int,
    *,
    generator: Generator | None = None,
    out: Tensor | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype``).

    Example:
        >>> import ndgrad
        >>> sorted(ndgrad.randperm(4).tolist())
        [0, 1, 2, 3]
    """
    if isinstance(n, (bool, float)) or not hasattr(n, "__index__"):
        raise TypeError(
            f"randperm(): argument 'n' (position 1) must be int, not {type(n).__name__}"
        )
    n = int(n.__index__())
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    d = out_dtype("randperm", dtype, out)
    d = _dt.int64 if d is None else _dt.to_dtype(d)
    if d is _dt.bool_ or d.is_complex:
        raise _not_implemented("randperm", d, "use an integer or floating dtype")
    if n > 0 and n - 1 > int_range(d)[1]:
        raise RuntimeError(
            f"value cannot be converted to type {d.name}_t without overflow: randperm({n}) needs "
            f"values up to {n - 1}; hint: use dtype=ndgrad.int64"
        )
    g = np_generator(generator, "randperm")
    lv = _vmap_draws("randperm", out)
    if lv is not None:
        rows = np.stack([g.permutation(n) for _ in range(lv[1])]).astype(d.np)
        return wrap(result(rows, None, device, False), *lv)
    a = alloc("randperm", (n,), d.np, lambda: g.permutation(n).astype(d.np))
    return result(a, out, device, requires_grad)


def _like_sample(
    name: str,
    input: Any,
    dtype: Any,
    device: Any,
    requires_grad: bool,
    memory_format: Any,
    draw: Any,
) -> Tensor:
    if type(input) is BatchedTensor:  # inside vmap: per entry ("different") or shared ("same")
        mode = randomness_of(input._level)
        one = input._value if mode == "different" else input._value.select(0, 0)
        t = _like_sample(name, one, dtype, device, False, memory_format, draw)
        return wrap(t, input._level, input._bsize) if mode == "different" else t
    src = check_tensor(name, input)._data
    d = _dt.from_np_dtype(src.dtype) if dtype is None else _dt.to_dtype(dtype)
    values = alloc(name, tuple(src.shape), d.np, lambda: draw(tuple(src.shape), d))
    a = like_array(name, src, d.np, memory_format, "empty")
    xp = _backend.namespace(a)
    if xp is np:
        a[...] = values
    else:
        a = _backend.asarray(xp, values)
    t = make(a) if device is None else result(_backend.to_numpy(a), None, device, False)
    return t.requires_grad_(True) if requires_grad else t


def rand_like(
    input: Tensor,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = preserve_format,
) -> Tensor:
    """``rand`` with ``input``'s shape, dtype and device (unless given)."""
    g = np_generator(generator, "rand_like")
    return _like_sample(
        "rand_like",
        input,
        dtype,
        device,
        requires_grad,
        memory_format,
        lambda s, d: uniform(g, s, d),
    )


def randn_like(
    input: Tensor,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = preserve_format,
) -> Tensor:
    """``randn`` with ``input``'s shape, dtype and device (unless given)."""
    g = np_generator(generator, "randn_like")
    return _like_sample(
        "randn_like",
        input,
        dtype,
        device,
        requires_grad,
        memory_format,
        lambda s, d: normal(g, s, d),
    )


def randint_like(
    input: Tensor,
    *args: Any,
    low: Any = None,
    high: Any = None,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    memory_format: Any = preserve_format,
) -> Tensor:
    """``randint`` with ``input``'s shape, dtype and device: ``randint_like(x, 10)``,
    ``randint_like(x, 3, 10)``."""
    lo, hi = _randint_bounds("randint_like", list(args), low, high)
    check_tensor("randint_like", input)
    d = input.dtype if dtype is None else _dt.to_dtype(dtype)
    check_int_bounds(d, lo, hi)
    g = np_generator(generator, "randint_like")
    return _like_sample(
        "randint_like",
        input,
        d,
        device,
        requires_grad,
        memory_format,
        lambda s, dd: integers(g, s, dd, lo, hi),
    )


# --------------------------------------------------------------------------------------------
# multinomial.


def multinomial(
    input: Tensor,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
    out: Tensor | None = None,
) -> Tensor:
    """Category indices drawn with probabilities proportional to the rows of ``input``.

    Without replacement each row's draws are distinct (``num_samples`` at most the number of
    categories); categories of probability 0 come only after every positive one, as PyTorch's.

    Example:
        >>> import ndgrad
        >>> ndgrad.multinomial(ndgrad.tensor([0.0, 0.0, 1.0]), 1).tolist()
        [2]
    """
    check_tensor("multinomial", input)
    d = input.dtype
    if not d.is_floating_point:
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {torch_name(d)}; "
            "hint: convert the weights with .float()"
        )
    if input.ndim not in (1, 2):
        raise RuntimeError(
            f"prob_dist must be 1 or 2 dim (got {input.ndim}); hint: one row of weights, or a "
            "batch of rows"
        )
    k = _int_arg("multinomial", num_samples, "num_samples")
    if k <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = input.shape[-1]
    if not replacement and k > n_cat:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement; hint: pass "
            "replacement=True to draw a category more than once"
        )
    if n_cat > 2**24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    if out is not None:
        check_tensor("multinomial", out, "out")
        if out.dtype is not _dt.int64:
            raise RuntimeError(f"multinomial expects Long tensor out, got: {torch_name(out.dtype)}")
    p = np.asarray(_backend.to_numpy(input._data), dtype=np.float64)
    rows = p.reshape(-1, n_cat)
    if rows.size and (not np.isfinite(rows).all() or (rows < 0).any()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError(
            "invalid multinomial distribution (sum of probabilities <= 0); hint: every row needs "
            "a positive weight"
        )
    g = np_generator(generator, "multinomial")
    if replacement:
        cdf = np.cumsum(rows, axis=1)
        u = g.random((rows.shape[0], k)) * totals[:, None]
        idx = np.stack([np.searchsorted(c, ui, side="right") for c, ui in zip(cdf, u)])
        last = n_cat - 1 - np.argmax(rows[:, ::-1] > 0, axis=1)  # the last positive category
        idx = np.minimum(idx, last[:, None]) if idx.size else idx
    else:  # exponential races: the k smallest Exp(1)/p are a draw without replacement
        with np.errstate(divide="ignore"):
            keys = g.standard_exponential(rows.shape) / rows
        idx = np.argsort(keys, axis=1, kind="stable")[:, :k]
    idx = idx.reshape((*p.shape[:-1], k)).astype(np.int64)
    if out is not None:
        return result(idx, out, None, False)
    return make(_backend.asarray(_backend.namespace(input._data), idx))


def _multinomial_method(
    self: Tensor,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    return multinomial(self, num_samples, replacement, generator=generator)


_multinomial_method.__name__ = "multinomial"
Tensor.multinomial = _multinomial_method  # type: ignore[attr-defined]
