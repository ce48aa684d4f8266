"""Workload 7: memory of the large MLP step and of the scalar chain.

Two methods (see harness.py): tracemalloc in this process for the NumPy-based contenders, and RSS
in a fresh subprocess per contender (``run.py --_probe KIND NAME``) for everyone, PyTorch included.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import subprocess
import sys
import tracemalloc
from typing import Any

import harness
import workloads

TRACEABLE = ("ndgrad", "numpy", "autograd")  # whose allocations tracemalloc sees
MiB = 2.0**20


@dataclasses.dataclass
class MemRow:
    label: str
    unit: str
    values: dict[str, float | None]  # contender -> value in unit (None: not measurable)
    method: str


def _factories(kind: str, quick: bool) -> dict:
    if kind == "mlp":
        return workloads.large_mlp(1, quick).factories
    return workloads.chain_factories(workloads.chain_nodes(quick))


def _warm_chain(name: str) -> None:
    """Run a short chain so that lazy imports and caches are not charged to the measured one."""
    workloads.chain_factories(100)[name]().step()


def traced_mlp(name: str, quick: bool) -> float:
    """Peak bytes that one large-MLP step adds (after one warm-up step), by tracemalloc."""
    c = _factories("mlp", quick)[name]()
    c.step()
    _, _, peak = harness.traced(c.step)
    return peak


def traced_chain(name: str, quick: bool) -> tuple[float | None, float]:
    """(bytes held by the graph after the forward pass or None, peak bytes over fwd + bwd)."""
    _warm_chain(name)
    c = _factories("chain", quick)[name]()
    if c.forward is None:
        _, _, peak = harness.traced(c.step)
        return None, peak
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        backward = c.forward()
        held = tracemalloc.get_traced_memory()[0] - base
        backward()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return held, peak


def probe(kind: str, name: str, quick: bool) -> dict:
    """Run in a fresh process: RSS growth while the graph is held, and peak RSS growth."""
    out: dict[str, Any] = {"hwm_reset": True}
    if kind == "mlp":
        c = _factories("mlp", quick)[name]()
        c.step()  # warm-up: lazy initialisation is not what we measure
        gc.collect()
        out["hwm_reset"] = harness.reset_hwm()
        r0 = harness.rss_bytes()
        c.step()
        out["peak"] = harness.hwm_bytes() - r0
        return out
    _warm_chain(name)
    c = _factories("chain", quick)[name]()
    gc.collect()
    out["hwm_reset"] = harness.reset_hwm()
    r0 = harness.rss_bytes()
    if c.forward is None:
        c.step()
        out["held"] = None
    else:
        backward = c.forward()
        out["held"] = harness.rss_bytes() - r0
        backward()
    out["peak"] = harness.hwm_bytes() - r0
    return out


def run_probe(kind: str, name: str, quick: bool, threads: int | None) -> dict | str:
    """``probe`` in a subprocess; the dict, or a string saying why there is none."""
    env = dict(os.environ)
    # A fixed threshold keeps glibc from raising it dynamically, so big arrays are always mmapped
    # and returned to the system when freed; RSS then follows live memory.
    env["MALLOC_MMAP_THRESHOLD_"] = "131072"
    cmd = (
        [sys.executable, os.path.join(os.path.dirname(__file__), "run.py"), "--_probe", kind, name]
        + (["--quick"] if quick else [])
        + ([] if threads is None else ["--threads", str(threads)])
    )
    try:
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        return "timed out"
    if res.returncode != 0:
        return (res.stderr.strip().splitlines() or ["failed"])[-1]
    try:
        return json.loads(res.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return "no result"


def measure(names: list[str], quick: bool, threads: int | None, notes: list[str]) -> list[MemRow]:
    """Every memory row, for the contenders in ``names`` (those that passed their checks)."""
    n = workloads.chain_nodes(quick)
    rows = []
    traceable = [c for c in names if c in TRACEABLE]
    mlp_tm: dict[str, float | None] = dict.fromkeys(names)
    chain_held: dict[str, float | None] = dict.fromkeys(names)
    chain_peak: dict[str, float | None] = dict.fromkeys(names)
    for c in traceable:
        try:
            mlp_tm[c] = traced_mlp(c, quick) / MiB
        except Exception as e:  # report and go on with the others
            notes.append(f"tracemalloc of the large MLP step, {c}: {type(e).__name__}: {e}")
        if c == "autograd" and not quick:
            notes.append(
                "HIPS autograd's chain memory is measured by RSS only: under tracemalloc its "
                f"{n:,}-node run takes about a minute"
            )
            continue
        try:
            held, peak = traced_chain(c, quick)
        except Exception as e:
            notes.append(f"tracemalloc of the chain, {c}: {type(e).__name__}: {e}")
            continue
        chain_held[c] = None if held is None else held / n
        chain_peak[c] = peak / n
    mlp_rss: dict[str, float | None] = dict.fromkeys(names)
    chain_rss_held: dict[str, float | None] = dict.fromkeys(names)
    chain_rss_peak: dict[str, float | None] = dict.fromkeys(names)
    if harness.proc_memory_supported():
        for c in names:
            r = run_probe("mlp", c, quick, threads)
            if isinstance(r, str):
                notes.append(f"RSS probe of the large MLP step, {c}: {r}")
            elif r["hwm_reset"]:
                mlp_rss[c] = r["peak"] / MiB
            else:
                notes.append("/proc/self/clear_refs refused: peak RSS rows left out")
            r = run_probe("chain", c, quick, threads)
            if isinstance(r, str):
                notes.append(f"RSS probe of the chain, {c}: {r}")
                continue
            if r["held"] is not None:
                chain_rss_held[c] = r["held"] / n
            if r["hwm_reset"]:
                chain_rss_peak[c] = r["peak"] / n
    else:
        notes.append("no /proc/self/statm: RSS rows skipped (Linux only)")
    rows.append(MemRow("large MLP step, peak", "MiB", mlp_tm, "tracemalloc"))
    rows.append(MemRow("large MLP step, peak", "MiB", mlp_rss, "RSS"))
    rows.append(MemRow("chain, graph held per node", "B/node", chain_held, "tracemalloc"))
    rows.append(MemRow("chain, graph held per node", "B/node", chain_rss_held, "RSS"))
    rows.append(MemRow("chain, peak per node", "B/node", chain_peak, "tracemalloc"))
    rows.append(MemRow("chain, peak per node", "B/node", chain_rss_peak, "RSS"))
    return rows


def probe_main(kind: str, name: str, quick: bool) -> None:
    print(json.dumps(probe(kind, name, quick)))
