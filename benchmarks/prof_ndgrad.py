"""Run one workload with ndgrad alone, for a profiler.

    python benchmarks/prof_ndgrad.py chain --top 15      # cProfile: the top functions, by share
    python -m cProfile -s tottime benchmarks/prof_ndgrad.py perop1 | head -40

Workloads: the keys of ``run.py --only`` (perop1, perop16, small_mlp, large_mlp, expr, chain,
hessian). ``--calls N`` runs the timed step N times (default: enough for a few seconds).
``--top N`` profiles the calls itself (after an unprofiled warm-up call) and prints the N
functions with the most time spent in their own code (tottime), each with its share of the total,
and the same for time including callees (cumtime). The garbage collector stays on, as in run.py,
and its collections are timed separately (``gc.callbacks``): cProfile charges them to whichever
function was running when a collection started.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import workloads  # benchmarks/ is not a package: this runs as a script, from its folder

CALLS = {
    "perop1": 200,
    "perop16": 200,
    "small_mlp": 2000,
    "large_mlp": 5,
    "expr": 10,
    "chain": 1,
    "hessian": 50,
}


class GcClock:
    """Total seconds spent in the cyclic garbage collector, per generation, while installed."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            gen = info["generation"]
            self.seconds[gen] += time.perf_counter() - self._t0
            self.count[gen] += 1


def _where(key: tuple) -> str:
    file, line, name = key
    if file == "~":
        return name
    parts = file.split(os.sep)
    short = os.sep.join(parts[-2:]) if "ndgrad" in parts else os.path.basename(file)
    return f"{short}:{line}({name})"


def report(prof: cProfile.Profile, total: float, top: int, clock: GcClock) -> None:
    stats = pstats.Stats(prof).stats  # key -> (cc, nc, tottime, cumtime, callers)
    print(f"wall time of the profiled calls: {total:.3f} s (cProfile's own overhead included)")
    gc_s = sum(clock.seconds)
    print(
        f"garbage collector: {gc_s:.3f} s ({100 * gc_s / total:.1f} %) in "
        f"{clock.count[0]}/{clock.count[1]}/{clock.count[2]} collections of generation 0/1/2 "
        f"({clock.seconds[0]:.3f}/{clock.seconds[1]:.3f}/{clock.seconds[2]:.3f} s)"
    )
    for title, col in (("own time (tottime)", 2), ("time with callees (cumtime)", 3)):
        print()
        print(f"top {top} by {title}:")
        print(f"{'share':>7}  {'seconds':>8}  {'calls':>9}  function")
        rows = sorted(stats.items(), key=lambda kv: kv[1][col], reverse=True)
        for key, (_cc, nc, tt, ct, _callers) in rows[:top]:
            v = tt if col == 2 else ct
            print(f"{100 * v / total:6.1f}%  {v:8.3f}  {nc:9d}  {_where(key)}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("workload", choices=sorted(CALLS))
    p.add_argument("--calls", type=int, default=None)
    p.add_argument("--quick", action="store_true", help="the --quick sizes of run.py")
    p.add_argument("--top", type=int, default=0, help="profile and print the top N functions")
    args = p.parse_args()
    wl = workloads.build(args.workload, args.quick, 1)
    c = wl.factories["ndgrad"]()
    c.step()  # warm-up
    calls = args.calls or CALLS[args.workload]
    if not args.top:
        for _ in range(calls):
            c.step()
        return
    clock = GcClock()
    prof = cProfile.Profile()
    gc.collect()
    gc.callbacks.append(clock)
    t0 = time.perf_counter()
    prof.enable()
    try:
        for _ in range(calls):
            c.step()
    finally:
        prof.disable()
        total = time.perf_counter() - t0
        gc.callbacks.remove(clock)
    print(f"{args.workload}: {calls} call(s) of the ndgrad step; {wl.what}")
    report(prof, total, args.top, clock)


if __name__ == "__main__":
    main()
