"""Timing and memory machinery for ``benchmarks/run.py``.

Timing: paired rounds. Each round runs every contender once (in an order that rotates from round
to round), and the ratio A/B is taken *within* the round; the reported ratio is the median of those
per-round ratios, so a burst of machine noise slows both sides of a ratio instead of one.

Memory, two methods (both are reported; see docs/performance.md):

* ``tracemalloc`` sees Python objects and NumPy's data buffers (NumPy reports them to it), so it is
  exact for the NumPy-based contenders (ndgrad, hand-written NumPy, HIPS autograd). It does not see
  PyTorch's C++ allocations.
* resident set size (RSS), read from ``/proc/self/statm`` and ``/proc/self/status`` (VmHWM, the
  peak, reset by writing ``5`` to ``/proc/self/clear_refs``), in a fresh subprocess per contender
  and with ``MALLOC_MMAP_THRESHOLD_`` fixed, so that memory freed by an earlier run is not reused
  and hidden. This sees everything, PyTorch included, and is the like-for-like measure between
  ndgrad and PyTorch.
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import math
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# ------------------------------------------------------------------------------------- timing
@dataclasses.dataclass
class Timing:
    """Seconds per call of every contender, one entry per round (same index = same round)."""

    samples: dict[str, list[float]]
    inner: dict[str, int]

    def median(self, name: str) -> float:
        return statistics.median(self.samples[name])

    def ratio(self, a: str, b: str) -> float:
        """Median over rounds of time(a) / time(b) measured in the same round."""
        pairs = zip(self.samples[a], self.samples[b], strict=True)
        return statistics.median(x / y for x, y in pairs)


def _one(fn: Callable[[], Any], k: int) -> float:
    gc.collect()  # garbage left by the previous contender is not charged to this one
    t0 = time.perf_counter()
    for _ in range(k):
        fn()
    return (time.perf_counter() - t0) / k


def time_paired(
    steps: dict[str, Callable[[], Any]], rounds: int, min_sample_s: float = 0.02, warmup: int = 1
) -> Timing:
    """Time ``steps`` in ``rounds`` interleaved rounds.

    A call shorter than ``min_sample_s`` is repeated ``k`` times inside one sample (``k`` chosen
    per contender from the fastest of ``warmup`` untimed calls; 1 when ``warmup`` is 0) and the
    sample is the mean over those ``k`` calls.
    The garbage collector stays on while timing, as in a user's program; ``gc.collect()`` runs
    before each sample, outside the timed region. Objects alive before the rounds (the imported
    libraries, torch's and autograd's included, and the workload's data) are moved to the
    collector's permanent generation (``gc.freeze()``) for the rounds: otherwise every full
    collection triggered by one contender's garbage would rescan the other libraries' objects,
    which a program using only one of them does not have.
    """
    gc.collect()
    gc.freeze()  # see the docstring
    try:
        return _time_paired(steps, rounds, min_sample_s, warmup)
    finally:
        gc.unfreeze()


def _time_paired(
    steps: dict[str, Callable[[], Any]], rounds: int, min_sample_s: float, warmup: int
) -> Timing:
    names = list(steps)
    inner = dict.fromkeys(names, 1)
    for name in names if warmup > 0 else ():
        t = min(_one(steps[name], 1) for _ in range(warmup))
        inner[name] = max(1, min(10_000, math.ceil(min_sample_s / max(t, 1e-9))))
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        s = r % len(names)
        for name in names[s:] + names[:s]:
            samples[name].append(_one(steps[name], inner[name]))
    return Timing(samples, inner)


# ------------------------------------------------------------------------------------- memory
def traced(fn: Callable[[], Any]) -> tuple[Any, int, int]:
    """Run ``fn`` under tracemalloc; return (result, bytes still held after, peak bytes).

    Both numbers are relative to the moment ``fn`` starts, so memory allocated before (weights,
    inputs) is not counted, only what ``fn`` adds.
    """
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        out = fn()
        cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return out, cur - base, peak - base


def rss_bytes() -> int:
    """Resident set size of this process, from /proc/self/statm (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def hwm_bytes() -> int:
    """Peak resident set size (VmHWM) since the last reset_hwm(), from /proc/self/status."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise OSError("VmHWM not found in /proc/self/status")


def reset_hwm() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def proc_memory_supported() -> bool:
    try:
        rss_bytes()
        hwm_bytes()
    except (OSError, ValueError):
        return False
    return True


# -------------------------------------------------------------------------------- environment
_OPENBLAS_PREFIXES = ("scipy_openblas_", "openblas_")
_OPENBLAS_SUFFIXES = ("64_", "")


def _openblas() -> list[tuple[Any, str, str, str]]:
    """(library, symbol prefix, symbol suffix, file name) of each OpenBLAS in this process."""
    import numpy  # noqa: F401 - loads the BLAS library into the process

    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return []
    found = []
    for path in sorted(libs):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for pre in _OPENBLAS_PREFIXES:
            for suf in _OPENBLAS_SUFFIXES:
                if hasattr(lib, f"{pre}get_num_threads{suf}"):
                    found.append((lib, pre, suf, os.path.basename(path)))
                    break
            else:
                continue
            break
    return found


def set_blas_threads(n: int) -> str:
    """Limit NumPy's BLAS to ``n`` threads; say how (or that it could not)."""
    try:
        import threadpoolctl  # optional
    except ImportError:
        pass
    else:
        threadpoolctl.threadpool_limits(n, user_api="blas")
        return "threadpoolctl"
    done = []
    for lib, pre, suf, name in _openblas():
        fn = getattr(lib, f"{pre}set_num_threads{suf}", None)
        if fn is not None:
            fn(ctypes.c_int(n))
            done.append(f"{pre}set_num_threads{suf}() in {name}")
    return ", ".join(done) or "could not (install threadpoolctl)"


def blas_threads() -> tuple[int | None, str]:
    """Threads NumPy's BLAS uses, and how that was learnt."""
    try:
        import threadpoolctl  # optional
    except ImportError:
        pass
    else:
        for info in threadpoolctl.threadpool_info():
            if info.get("user_api") == "blas":
                return int(info["num_threads"]), f"threadpoolctl ({info.get('internal_api')})"
    for lib, pre, suf, name in _openblas():
        fn = getattr(lib, f"{pre}get_num_threads{suf}")
        fn.restype = ctypes.c_int
        return int(fn()), f"{pre}get_num_threads{suf}() in {name}"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var]), f"${var}"
    return None, "unknown (install threadpoolctl to find out)"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
