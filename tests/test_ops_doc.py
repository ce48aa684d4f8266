"""docs/ops.md and ``ndgrad ops`` show the op table as it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from ndgrad.cli import main
from ndgrad.ops import TABLE
from ndgrad.ops.coverage import markdown, rows

DOC = Path(__file__).resolve().parent.parent / "docs" / "ops.md"


def test_the_checked_in_ops_page_is_current():
    if not DOC.exists():
        pytest.fail("docs/ops.md is missing; run: python tools/gen_ops_doc.py")
    assert DOC.read_text() == markdown(), "docs/ops.md is stale; run: python tools/gen_ops_doc.py"


def test_every_public_entry_of_the_table_has_a_row():
    names = {r["op"] for r in rows()}
    for op in TABLE.values():
        name = op.api or op.name
        if any(part.startswith("_") for part in name.split(".")):
            continue
        shown = "F." + name[len("nn.functional.") :] if name.startswith("nn.") else name
        assert shown in names, name


def test_every_public_entry_is_tested_by_the_template():
    untested = [r["op"] for r in rows() if r["numpy"] == "untested"]
    assert not untested, f"entries without samples: {untested}"


def test_ndgrad_ops_filters_by_family(capsys):
    assert main(["ops", "sorting"]) == 0
    out = capsys.readouterr().out
    assert "topk" in out
    assert "sinh" not in out


def test_ndgrad_ops_with_no_match_says_how_to_list_them(capsys):
    assert main(["ops", "no-such-op"]) == 2
    err = capsys.readouterr().err
    assert "no op matches 'no-such-op'" in err
    assert "hint:" in err
