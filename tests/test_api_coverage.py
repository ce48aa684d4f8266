"""Every public name of ``torch.Tensor`` and ``torch`` that ndgrad lacks is listed, with a reason.

``tests/api_allowlist.txt`` has two sections: ``[deliberate]`` omissions (sparse, quantized,
storage internals, accelerators, ...) and ``[planned]`` gaps that a later issue fills, each in
groups headed ``## group: reason``. A gap listed nowhere fails (say what it is), and so does a
listed name that ndgrad now has (the list shrinks as the work lands). After adding or removing
names, regenerate the file; listed names keep their groups, new gaps are sorted by the rules
below::

    python tests/test_api_coverage.py --update

``python tests/test_api_coverage.py`` prints the counts.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

import pytest

ALLOWLIST = Path(__file__).with_name("api_allowlist.txt")

# The dunders that matter to a user: operators, reflected and in-place forms, conversions and
# the container protocol (not object's own, which every class has).
DUNDERS = tuple(
    f"__{n}__"
    for n in [
        "abs",
        "neg",
        "pos",
        "invert",
        "bool",
        "float",
        "int",
        "index",
        "complex",
        "len",
        "iter",
        "reversed",
        "contains",
        "getitem",
        "setitem",
        "delitem",
        "array",
        "deepcopy",
        "add",
        "sub",
        "mul",
        "matmul",
        "truediv",
        "floordiv",
        "mod",
        "pow",
        "and",
        "or",
        "xor",
        "lshift",
        "rshift",
        "radd",
        "rsub",
        "rmul",
        "rmatmul",
        "rtruediv",
        "rfloordiv",
        "rmod",
        "rpow",
        "rand",
        "ror",
        "rxor",
        "rlshift",
        "rrshift",
        "iadd",
        "isub",
        "imul",
        "itruediv",
        "ifloordiv",
        "imod",
        "ipow",
        "iand",
        "ior",
        "ixor",
        "ilshift",
        "irshift",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
    ]
)

# Rules that sort a new gap into a group (first match wins); the file is what the test reads.
DELIBERATE_RULES: list[tuple[str, str, str]] = [
    (
        "sparse",
        "ndgrad's tensors are dense arrays",
        r"sparse|coalesce|^(c?col|crow|row)_indices"
        r"|^indices$|^values$|dense_dim|to_dense|^[dhs]?s?p?mm$|^hspmm$|^saddmm$|sspaddmm|to_padded_tensor",
    ),
    ("quantized", "no quantized dtypes", r"quantiz|^q_|qscheme|int_repr|qparams|fake_quant"),
    (
        "storage",
        "storage internals: a tensor is a NumPy array, not a storage with offsets",
        r"storage|^set_$|share_memory_|is_shared|is_set_to|pin_memory|is_pinned|record_stream"
        r"|const_data_ptr|from_file|frombuffer|^resize|resize_as|new_empty_strided|module_load"
        r"|^new$|dim_order|nonzero_static",
    ),
    (
        "accelerators",
        "CUDA streams, cuDNN, MIOpen, MKL-DNN, FBGEMM, XPU, MPS, XLA, ... backends",
        r"cuda|cudnn|miopen|mkldnn|fbgemm|xpu|ipu|mtia|maia|mps|vulkan|xla"
        r"|is_distributed|autocast",
    ),
    ("nested", "no nested (ragged) tensors", r"nested"),
    ("named", "no named tensors", r"names$|rename|align_to|align_as"),
    (
        "compiler",
        "TorchScript, torch.compile, FX and symbolic shapes",
        r"^compile$|^sym_|ir_module|parse_ir|parse_schema|type_comment|unify_type_list|^fork$"
        r"|^wait$|^cond$|while_loop|classproperty|compiled_with_cxx11_abi|merge_type"
        r"|get_file_path|prepare_multiprocessing_environment|^profiler_|thread_safe_generator"
        r"|hash_tensor|grad_dtype|as_subclass",
    ),
    (
        "legacy",
        "Python 2 and pre-1.0 names PyTorch keeps for old code",
        r"^reinforce$|^volatile$|^map2?_$|^apply_$|set_default_tensor_type|^symeig$|^eig$"
        r"|^lstsq$|^chain_matmul$|^solve$|^matrix_rank$",
    ),
    (
        "threads-and-modes",
        "global CPU thread, precision and determinism settings of ATen",
        r"num_threads|num_interop_threads|deterministic|float32_matmul_precision|flush_denormal"
        r"|warn_always",
    ),
    (
        "functionalization",
        "*_copy and unsafe_* variants exist for torch.compile's passes",
        r"_copy$|^unsafe_",
    ),
    (
        "aten-internals",
        "ATen kernels that nn.functional calls; ndgrad exposes the functions",
        r"^native_|_backward|gather_stats|^batch_norm_(elemt|stats|update_stats)"
        r"|grid_sampler_[23]d|affine_grid_generator|embedding_renorm_|norm_except_dim"
        r"|frobenius_norm|segment_reduce|conv_tbc|^convolution$|constant_pad_nd|_with_indices$"
        r"|slice_inverse|^rsub$|^index$|get_device_module",
    ),
]
PLANNED_RULES: list[tuple[str, str, str]] = [
    (
        "linalg",
        "linear algebra, the op-coverage issue",
        r"cholesky|^det$|^inverse$|^lu|^qr$|^svd|slogdet|logdet|^matrix_|pinverse"
        r"|triangular_solve|geqrf|orgqr|ormqr|lobpcg|pca_lowrank|^ger$|^inner$|^kron$|^cross$"
        r"|tensordot|dist$|nuclear_norm|block_diag|vander|adjoint|^mH$|^cov$|corrcoef|renorm",
    ),
    (
        "nn",
        "nn.functional ops that torch also exports, the nn issue",
        r"conv|pool|norm|dropout|loss|lstm|gru|rnn|embedding|bilinear|celu|selu|rrelu|prelu"
        r"|threshold|hardshrink|pixel_(un)?shuffle|channel_shuffle|cosine_similarity"
        r"|pairwise_distance|kl_div|binary_cross_entropy|affine_grid|grid_sampler|ctc",
    ),
    (
        "inplace",
        "in-place variants and torch-level in-place functions, the in-place family",
        r"[^_]_$",
    ),
    (
        "special",
        "special and elementwise functions, the op-coverage issue",
        r"a(rc)?(cos|sin|tan)h|gamma|digamma|erfc|erfinv|^i0|sinc|logit|xlogy|exp2|log2|log10"
        r"|logaddexp|hypot|copysign|nextafter|ldexp|frexp|heaviside|^gcd|^lcm|deg2rad|rad2deg"
        r"|float_power|^fm(ax|in)$|^sgn|signbit|bitwise_(left|right)_shift|^positive$|^negative",
    ),
    (
        "scatter-and-index",
        "indexing and scatter ops, the op-coverage issue",
        r"index_reduce|^take$|masked_select|_scatter$|index_put_|^isin$|unravel_index",
    ),
    (
        "shape",
        "shape and view ops, the op-coverage issue",
        r"diag|^roll$|rot90|^tile$|^ravel$|split$|stack$|atleast_|broadcast|meshgrid"
        r"|cartesian_prod|combinations|^unfold$|repeat_interleave|view_as_(real|complex)|^polar$"
        r"|^complex$|sum_to_size|as_strided|tri[lu]_indices|narrow_copy",
    ),
    (
        "reductions",
        "reductions and scans, the op-coverage issue",
        r"^cum|logcumsumexp|^nan(sum|mean|quantile)$|quantile|^mode$|^diff$|histogram"
        r"|trapezoid|trapz|^gradient$",
    ),
    ("signal", "windows and spectral ops, the op-coverage issue", r"window$|stft$"),
]
OTHER = ("other", "the rest of the Tensor and torch API, not yet scheduled")


def torch_names(torch) -> tuple[list[str], list[str]]:
    """Public ``torch.Tensor`` attribute names (with :data:`DUNDERS`) and ``torch`` functions."""
    tensor = sorted({n for n in dir(torch.Tensor) if not n.startswith("_")} | set(DUNDERS))
    tensor = [n for n in tensor if hasattr(torch.Tensor, n)]
    functions = []
    for n in dir(torch):
        if n.startswith("_"):
            continue
        obj = getattr(torch, n)
        if callable(obj) and not isinstance(obj, type) and not inspect.ismodule(obj):
            functions.append(n)
    return tensor, sorted(functions)


def gaps(torch, ndgrad) -> tuple[list[str], list[str], list[str]]:
    """Every name (``Tensor.x``, ``torch.x``) ndgrad lacks; and all Tensor and torch names."""
    tensor, functions = torch_names(torch)
    missing = [f"Tensor.{n}" for n in tensor if not hasattr(ndgrad.Tensor, n)]
    missing += [f"torch.{n}" for n in functions if not hasattr(ndgrad, n)]
    return missing, tensor, functions


def read_allowlist(path: Path = ALLOWLIST) -> dict[str, dict[str, tuple[str, list[str]]]]:
    """``{section: {group: (reason, names)}}`` from the allowlist file."""
    sections: dict[str, dict[str, tuple[str, list[str]]]] = {}
    section = group = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or (line.startswith("#") and not line.startswith("##")):
            continue
        if m := re.fullmatch(r"\[(\w+)\]", line):
            section = sections.setdefault(m.group(1), {})
        elif m := re.fullmatch(r"## ([\w-]+): (.+)", line):
            group = m.group(1)
            section[group] = (m.group(2), [])
        else:
            section[group][1].extend(line.split())
    return sections


def listed(sections: dict) -> dict[str, str]:
    """``{name: "section/group"}`` for every listed name."""
    return {
        n: f"{s}/{g}" for s, groups in sections.items() for g, (_, ns) in groups.items() for n in ns
    }


def _rule_group(name: str, rules: list[tuple[str, str, str]]) -> tuple[str, str] | None:
    bare = name.split(".", 1)[1]
    for group, reason, pattern in rules:
        if re.search(pattern, bare):
            return group, reason
    return None


def write_allowlist(torch, ndgrad, path: Path = ALLOWLIST) -> None:
    """Regenerate the file: listed names that are still gaps keep their group; new gaps go by
    the rules (deliberate first, then planned, then ``planned/other``)."""
    missing, _, _ = gaps(torch, ndgrad)
    old = read_allowlist(path) if path.exists() else {}
    where = listed(old)
    sections: dict[str, dict[str, tuple[str, list[str]]]] = {
        "deliberate": {g: (r, []) for g, r, _ in DELIBERATE_RULES},
        "planned": {g: (r, []) for g, r, _ in [*PLANNED_RULES, (*OTHER, "")]},
    }
    for s, groups in old.items():
        for g, (reason, _) in groups.items():
            sections.setdefault(s, {})[g] = (reason, [])
    for name in missing:
        if name in where:
            s, g = where[name].split("/")
        elif found := _rule_group(name, DELIBERATE_RULES):
            s, (g, reason) = "deliberate", found
            sections[s].setdefault(g, (reason, []))
        else:
            s, (g, reason) = "planned", _rule_group(name, PLANNED_RULES) or OTHER
            sections[s].setdefault(g, (reason, []))
        sections[s][g][1].append(name)
    out = [
        "# The public torch.Tensor and torch names ndgrad lacks (tests/test_api_coverage.py).",
        "# [deliberate]: omissions by design; [planned]: gaps a later issue fills.",
        "# Regenerate with: python tests/test_api_coverage.py --update",
    ]
    for s in ("deliberate", "planned"):
        out += ["", f"[{s}]"]
        for g, (reason, names) in sections[s].items():
            if names:
                out += ["", f"## {g}: {reason}", *_wrap(sorted(names))]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _wrap(names: list[str], width: int = 100) -> list[str]:
    lines, line = [], ""
    for n in names:
        if line and len(line) + 1 + len(n) > width:
            lines.append(line)
            line = n
        else:
            line = f"{line} {n}" if line else n
    return [*lines, line] if line else lines


def counts(torch, ndgrad) -> str:
    """Tensor names and torch functions: total / ndgrad has / deliberate / planned."""
    missing, tensor, functions = gaps(torch, ndgrad)
    where = listed(read_allowlist())
    rows = []
    for kind, total in (("Tensor", tensor), ("torch", functions)):
        lacks = [n for n in missing if n.startswith(f"{kind}.")]
        d = sum(where.get(n, "").startswith("deliberate") for n in lacks)
        p = sum(where.get(n, "").startswith("planned") for n in lacks)
        rows.append(
            f"{kind}: {len(total)} names, ndgrad has {len(total) - len(lacks)}, "
            f"deliberate {d}, planned {p}, unlisted {len(lacks) - d - p}"
        )
    return "\n".join(rows)


def test_every_missing_torch_name_is_listed_as_deliberate_or_planned() -> None:
    torch = pytest.importorskip("torch")
    import ndgrad

    missing, _, _ = gaps(torch, ndgrad)
    new = [n for n in missing if n not in listed(read_allowlist())]
    assert not new, (
        f"{len(new)} public torch names that ndgrad lacks are not in tests/api_allowlist.txt: "
        f"{' '.join(new)}; add them (or run `python tests/test_api_coverage.py --update`)"
    )


def test_no_listed_name_is_one_ndgrad_now_has() -> None:
    torch = pytest.importorskip("torch")
    import ndgrad

    missing = set(gaps(torch, ndgrad)[0])
    present = sorted(n for n in listed(read_allowlist()) if n not in missing)
    assert not present, (
        f"ndgrad now has {' '.join(present)}: remove them from tests/api_allowlist.txt "
        "(`python tests/test_api_coverage.py --update`)"
    )


def test_every_group_of_the_allowlist_gives_a_reason() -> None:
    sections = read_allowlist()
    assert set(sections) == {"deliberate", "planned"}
    for s, groups in sections.items():
        for g, (reason, names) in groups.items():
            assert reason.strip(), f"[{s}] group {g} needs a reason"
            assert names, f"[{s}] group {g} lists no names"


if __name__ == "__main__":
    import torch

    import ndgrad

    if "--update" in sys.argv[1:]:
        write_allowlist(torch, ndgrad)
    print(counts(torch, ndgrad))
