"""Benchmarks: ndgrad against hand-written NumPy, PyTorch (CPU, eager) and HIPS autograd.

    python benchmarks/run.py              # every workload, default rounds (a few minutes)
    python benchmarks/run.py --quick      # small sizes and few rounds: a smoke test (< ~60 s)
    python benchmarks/run.py --only chain,hessian --rounds 5
    python benchmarks/run.py --markdown   # the tables as Markdown, for docs/performance.md

Every round runs each contender once, interleaved; a ratio A/B is taken within each round and the
median over rounds is reported (see docs/performance.md). Before timing, each workload checks once
that every contender's gradients match the hand-written NumPy ones; a contender that fails is left
out of the timing and the run exits with status 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import subprocess
import sys
import time
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # benchmarks/ is not a package: run.py runs as a script, from its folder
import memory
import workloads

CONTENDERS = ("ndgrad", "numpy", "torch", "autograd")
TITLES = {
    "ndgrad": "ndgrad",
    "numpy": "NumPy (hand)",
    "torch": "PyTorch",
    "autograd": "HIPS autograd",
}
SHORT = {"ndgrad": "nd", "numpy": "NumPy", "torch": "torch", "autograd": "HIPS"}
RATIOS = (("ndgrad", "numpy"), ("ndgrad", "torch"), ("ndgrad", "autograd"))
KEYS = (
    "perop",
    "perop1",
    "perop16",
    "small_mlp",
    "large_mlp",
    "expr",
    "chain",
    "hessian",
    "memory",
    "ops",
    "cnn",
    "solve_slogdet",
    "cross_entropy",
    "func",
    "func_hessian",
    "jacrev_mlp",
    "jacfwd_mlp",
    "vmap_grad",
    "batched_backward",
    "train",
    "spirals_step",
    "cnn_adam",
)


@dataclasses.dataclass
class Row:
    key: str
    label: str
    unit: str
    values: dict[str, float | None]  # median, in unit
    ratios: dict[tuple[str, str], float | None]  # median of per-round ratios
    rounds: int
    what: str


@dataclasses.dataclass
class Target:
    label: str
    kind: str  # "time": a Row's ratio; "mem": a MemRow's ratio; "bytes": a MemRow's value
    key: str
    pair: tuple[str, str]  # for "bytes", (contender, "") and ``limit`` is in the row's unit
    limit: float
    method: str = ""
    extra: bool = False  # not one of the targets: kept because it is cheap


# The graph memory per chain node before this round of work (git e91d385, the commit before issue
# 5's changes), measured with this very workload (float64, 100,000 nodes) by tracemalloc: 99,200,112
# bytes held after the forward pass, the same to the byte from run to run (RSS: ~1,039 B/node).
CHAIN_BYTES_BEFORE = 992.00112

_T, _M, _B = "time", "mem", "bytes"
_ND_TORCH, _ND_NUMPY = ("ndgrad", "torch"), ("ndgrad", "numpy")
TARGETS = (
    Target("per-op overhead, shape (1,)", _T, "perop1", _ND_TORCH, 0.5),
    Target("per-op overhead, shape (16,)", _T, "perop16", _ND_TORCH, 0.5),
    Target("small MLP step", _T, "small_mlp", _ND_TORCH, 0.7),
    Target("100k chain, time", _T, "chain", _ND_TORCH, 0.5),
    Target(
        "100k chain, graph memory per node (tracemalloc)",
        _B,
        "chain, graph held per node",
        ("ndgrad", ""),
        CHAIN_BYTES_BEFORE,
        "tracemalloc",
    ),
    Target("Hessian 50x50", _T, "hessian", _ND_TORCH, 0.8),
    Target("large MLP step", _T, "large_mlp", _ND_NUMPY, 1.05),
    Target("4M-element expression", _T, "expr", _ND_NUMPY, 1.2),
    Target("LeNet-like CNN step", _T, "cnn", _ND_TORCH, 2.0),
    Target("linalg.solve + slogdet backward", _T, "solve_slogdet", _ND_NUMPY, 1.3),
    Target("cross_entropy (4096, 1000)", _T, "cross_entropy", _ND_NUMPY, 1.3),
    Target("Rosenbrock 50x50 by func.hessian", _T, "func_hessian", _ND_TORCH, 1.0),
    Target("100->100 MLP Jacobian by jacrev", _T, "jacrev_mlp", _ND_TORCH, 1.0),
    Target("100->100 MLP Jacobian by jacfwd", _T, "jacfwd_mlp", _ND_TORCH, 1.0),
    Target(
        "100k chain, graph memory per node (RSS)",
        _M,
        "chain, graph held per node",
        _ND_TORCH,
        1.0,
        "RSS",
        extra=True,
    ),
    Target(
        "large MLP step, peak memory (tracemalloc)",
        _M,
        "large MLP step, peak",
        _ND_NUMPY,
        1.15,
        "tracemalloc",
        extra=True,
    ),
)


# -------------------------------------------------------------------------------- environment
def _load() -> str:
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg()) + " (1, 5, 15 min)"
    except OSError:
        return "unknown"


def setup_threads(threads: int | None, load_torch: bool = True) -> tuple[int | None, str, str]:
    """Give PyTorch as many threads as NumPy's BLAS has (both ``threads`` when given); return
    (threads, how that was learnt, the line about torch)."""
    if threads is not None:
        harness.set_blas_threads(threads)
    n, how = harness.blas_threads()
    torch = workloads.peer("torch") if load_torch else None
    if torch is None:
        return n, how, "not installed: skipped"
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    line = (
        f"{torch.__version__}, torch.set_num_threads({torch.get_num_threads()}) (default was "
        f"{before}), interop threads {torch.get_num_interop_threads()}"
    )
    return n, how, line


def _busy() -> str | None:
    """A warning when other processes load the machine (multi-threaded contenders suffer most)."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return None
    cpus = harness.usable_cpus()
    if load <= 0.75 * cpus:
        return None
    return (
        f"the machine was busy at the start (load {load:.2f} on {cpus} CPUs): timings are noisy, "
        "and multi-threaded runs (PyTorch's OpenMP, BLAS) can slow down many times when a thread "
        "waits for a core; compare with --threads 1"
    )


def environment(args: argparse.Namespace) -> list[str]:
    n, how, torch_line = setup_threads(args.threads)
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas_name = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # informational only
        blas_name = "unknown"
    try:
        from importlib.metadata import version

        hips = version("autograd") if workloads.peer("autograd") is not None else None
    except Exception:
        hips = "installed"
    import ndgrad

    try:
        here = os.path.dirname(os.path.abspath(ndgrad.__file__))  # the ndgrad being measured
        rev = subprocess.run(
            ["git", "-C", here, "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        git = rev.stdout.strip() or "not a git checkout"
    except (OSError, subprocess.SubprocessError):
        git = "unknown"
    return [
        f"date: {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"command: python benchmarks/run.py {' '.join(args.argv)}".rstrip(),
        f"machine: {platform.platform()}; CPU: {harness.cpu_model()}",
        f"CPUs: {harness.usable_cpus()} usable (os.cpu_count() = {os.cpu_count()}); "
        f"load average at start: {_load()}",
        f"python: {platform.python_version()}",
        f"numpy: {np.__version__}, BLAS {blas_name}, {n} threads (from {how})",
        f"torch: {torch_line}",
        f"HIPS autograd: {hips or 'not installed: skipped'}",
        f"ndgrad: {ndgrad.__version__} from {os.path.dirname(ndgrad.__file__)} (git {git})",
    ]


# ----------------------------------------------------------------------------------- running
def _close(got: list, ref: list, rtol: float) -> str | None:
    """None when ``got`` matches ``ref``, else what differs."""
    if len(got) != len(ref):
        return f"{len(got)} gradients, expected {len(ref)}"
    for i, (a, b) in enumerate(zip(got, ref, strict=True)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return f"gradient {i}: shape {a.shape}, expected {b.shape}"
        atol = rtol * float(np.max(np.abs(b))) if b.size else 0.0
        if not np.allclose(a, b, rtol=rtol, atol=atol):
            err = float(np.max(np.abs(a.astype(np.float64) - b)))
            return f"gradient {i}: max abs error {err:.3g} (rtol {rtol:g}, atol {atol:.3g})"
    return None


def run_workload(wl: workloads.Workload, notes: list[str], failures: list[str]) -> Row:
    contenders: dict[str, workloads.Contender] = {}
    for name, factory in wl.factories.items():
        if name in workloads.PEER_NAMES and workloads.peer(name) is None:
            continue
        try:
            contenders[name] = factory()
        except Exception as e:  # report and go on with the others
            _fail(wl, name, f"setup failed: {_why(e)}", notes, failures)
    # the reference: hand-written NumPy, else PyTorch (the training steps have no NumPy twin)
    ref_name = next((n for n in ("numpy", "torch") if n in contenders), None)
    ref = contenders[ref_name].grads() if ref_name else None
    for name in [c for c in contenders if c != ref_name and ref is not None]:
        try:
            why = _close(contenders[name].grads(), ref, wl.rtol)
        except Exception as e:
            why = _why(e)
        if why is not None:
            _fail(wl, name, f"gradient check failed: {why}", notes, failures)
            del contenders[name]
    for name in list(contenders) if wl.warmup > 0 else ():  # the timed step runs at all
        try:
            contenders[name].step()
        except Exception as e:
            _fail(wl, name, f"step failed: {_why(e)}", notes, failures)
            del contenders[name]
    timing = harness.time_paired(
        {n: c.step for n, c in contenders.items()}, wl.rounds, warmup=wl.warmup
    )
    values = {n: timing.median(n) * wl.per_call if n in contenders else None for n in CONTENDERS}
    ratios = {
        (a, b): timing.ratio(a, b) if a in contenders and b in contenders else None
        for a, b in RATIOS
    }
    return Row(wl.key, wl.label, wl.unit, values, ratios, wl.rounds, wl.what)


def _why(e: Exception) -> str:
    """One line about ``e``; the traceback too when NDGRAD_BENCH_TRACEBACK is set."""
    if os.environ.get("NDGRAD_BENCH_TRACEBACK"):
        traceback.print_exc()
    return f"{type(e).__name__}: {e}"


def _fail(
    wl: workloads.Workload, name: str, why: str, notes: list[str], failures: list[str]
) -> None:
    notes.append(f"{wl.key}: {name} left out: {why}")
    failures.append(f"{wl.key}/{name}")


# ---------------------------------------------------------------------------------- printing
def _fmt(v: float | None, digits: int = 3) -> str:
    if v is None:
        return "-"
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def _ratio(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}x"


def _table(header: list[str], body: list[list[str]], markdown: bool) -> list[str]:
    if markdown:
        lines = [
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
        ]
        return lines + ["| " + " | ".join(r) + " |" for r in body]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def fmt(r: list[str]) -> str:
        cells = zip(r, widths, strict=True)
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(cells))

    return [fmt(header), "-" * len(fmt(header))] + [fmt(r) for r in body]


def time_table(rows: list[Row], markdown: bool) -> list[str]:
    header = (
        ["workload", "unit"]
        + [TITLES[c] for c in CONTENDERS]
        + [f"{SHORT[a]}/{SHORT[b]}" for a, b in RATIOS]
        + ["rounds"]
    )
    body = [
        [r.label, r.unit]
        + [_fmt(r.values[c]) for c in CONTENDERS]
        + [_ratio(r.ratios[p]) for p in RATIOS]
        + [str(r.rounds)]
        for r in rows
    ]
    return _table(header, body, markdown)


def _mem_ratio(row: memory.MemRow, a: str, b: str) -> float | None:
    va, vb = row.values.get(a), row.values.get(b)
    return None if va is None or not vb else va / vb


def mem_table(rows: list[memory.MemRow], markdown: bool) -> list[str]:
    header = (
        ["memory", "method", "unit"]
        + [TITLES[c] for c in CONTENDERS]
        + [f"{SHORT[a]}/{SHORT[b]}" for a, b in RATIOS]
    )
    body = [
        [r.label, r.method, r.unit]
        + [_fmt(r.values.get(c)) for c in CONTENDERS]
        + [_ratio(_mem_ratio(r, a, b)) for a, b in RATIOS]
        for r in rows
    ]
    return _table(header, body, markdown)


def target_lines(rows: list[Row], mem_rows: list[memory.MemRow], markdown: bool) -> list[str]:
    body = []
    for t in TARGETS:
        if t.kind == _T:
            row = next((r for r in rows if r.key == t.key), None)
            v = None if row is None else row.ratios.get(t.pair)
        else:
            mrow = next((r for r in mem_rows if r.label == t.key and r.method == t.method), None)
            if mrow is None:
                v = None
            elif t.kind == _B:
                v = mrow.values.get(t.pair[0])
            else:
                v = _mem_ratio(mrow, *t.pair)
        verdict = "n/a" if v is None else ("MET" if v <= t.limit else "MISSED")
        a, b = t.pair
        if t.kind == _B:
            what, limit = f"{TITLES[a]}, B/node (before: git e91d385)", f"{t.limit:,.2f}"
            got = "-" if v is None else f"{v:,.2f}"
        else:
            what, limit = f"{TITLES[a]} / {TITLES[b]}", f"{t.limit:.2f}"
            got = "-" if v is None else f"{v:.3f}"
        body.append(
            [
                t.label + (" (extra)" if t.extra else ""),
                what,
                f"<= {limit}",
                got,
                verdict,
            ]
        )
    return _table(["target", "measure", "limit", "measured", "verdict"], body, markdown)


# -------------------------------------------------------------------------------------- main
def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--quick",
        action="store_true",
        help="small sizes and few rounds: a smoke test, not the targets' sizes",
    )
    p.add_argument(
        "--only", default=None, help=f"comma-separated workloads to run, of: {', '.join(KEYS)}"
    )
    p.add_argument("--rounds", type=int, default=None, help="rounds for every workload")
    p.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for NumPy's BLAS and for PyTorch (default: BLAS's own, and "
        "PyTorch gets the same)",
    )
    p.add_argument("--_probe", nargs=2, metavar=("KIND", "NAME"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.argv = argv
    if args.rounds is not None and args.rounds < 1:
        p.error("--rounds must be at least 1")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be at least 1")
    if args.only:
        args.only = {s.strip() for s in args.only.split(",") if s.strip()}
        unknown = args.only - set(KEYS)
        if unknown:
            p.error(
                f"unknown workload(s) {', '.join(sorted(unknown))}; choose from {', '.join(KEYS)}"
            )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args._probe:
        setup_threads(args.threads, load_torch=args._probe[1] == "torch")
        memory.probe_main(*args._probe, args.quick)
        return 0
    t_start = time.perf_counter()
    env = environment(args)
    for line in env:
        print(f"- {line}" if args.markdown else line)
    print()
    notes: list[str] = []
    failures: list[str] = []
    for peer in workloads.PEER_NAMES:
        if workloads.peer(peer) is None:
            notes.append(f"{TITLES[peer]} is not importable: its columns are left empty")
    if args.quick:
        notes.append("--quick: small sizes and few rounds; the targets are for the full sizes")
    busy = _busy()
    if busy:
        notes.append(busy)

    rows: list[Row] = []
    for key in workloads.selected(args.only):
        wl = workloads.build(key, args.quick, args.rounds)
        t0 = time.perf_counter()
        print(f"[{wl.key}] {wl.label} ...", file=sys.stderr, flush=True)
        rows.append(run_workload(wl, notes, failures))
        print(f"[{wl.key}] done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)

    mem_rows: list[memory.MemRow] = []
    if not args.only or "memory" in args.only:
        t0 = time.perf_counter()
        print("[memory] ...", file=sys.stderr, flush=True)
        names = [
            c for c in CONTENDERS if c not in workloads.PEER_NAMES or workloads.peer(c) is not None
        ]
        names = [
            c
            for c in names
            if not any(
                f.endswith("/" + c) and f.split("/")[0] in ("large_mlp", "chain") for f in failures
            )
        ]
        mem_rows = memory.measure(names, args.quick, args.threads, notes)
        print(f"[memory] done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)

    if rows:
        for line in time_table(rows, args.markdown):
            print(line)
        print()
    if mem_rows:
        for line in mem_table(mem_rows, args.markdown):
            print(line)
        print()
    for line in target_lines(rows, mem_rows, args.markdown):
        print(line)
    print()
    print("What each row runs (one timed call):")
    print()
    for r in rows:
        print(f"- {r.key}: {r.what}")
    if mem_rows:
        print(
            "- memory: the large MLP step and the chain as above; tracemalloc (the NumPy-based "
            "contenders only: it does not see PyTorch's C++ allocations) in this process; RSS "
            "from /proc/self/statm and VmHWM in a fresh subprocess per contender"
        )
    print()
    print(
        "Times are medians over rounds; ratios are medians of per-round ratios (A and B timed in "
        "the same round)."
    )
    print()
    for n in notes:
        print(f"- note: {n}")
    print(
        f"- total wall time: {time.perf_counter() - t_start:.0f} s; load average at the end: "
        f"{_load()}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
