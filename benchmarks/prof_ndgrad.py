"""Run one workload with ndgrad alone, for a profiler.

    python -m cProfile -s tottime benchmarks/prof_ndgrad.py perop1 | head -40
    python -m cProfile -s tottime benchmarks/prof_ndgrad.py chain | head -40

Workloads: the keys of ``run.py --only`` (perop1, perop16, small_mlp, large_mlp, expr, chain,
hessian). ``--calls N`` runs the timed step N times (default: enough for a few seconds).
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import workloads  # benchmarks/ is not a package: this runs as a script, from its folder

CALLS = {
    "perop1": 200,
    "perop16": 200,
    "small_mlp": 2000,
    "large_mlp": 5,
    "expr": 20,
    "chain": 1,
    "hessian": 50,
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("workload", choices=sorted(CALLS))
    p.add_argument("--calls", type=int, default=None)
    p.add_argument("--quick", action="store_true", help="the --quick sizes of run.py")
    args = p.parse_args()
    wl = workloads.build(args.workload, args.quick, 1)
    c = wl.factories["ndgrad"]()
    c.step()  # warm-up
    for _ in range(args.calls or CALLS[args.workload]):
        c.step()


if __name__ == "__main__":
    main()
