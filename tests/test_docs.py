"""The examples in README.md and docs/*.md run as tests.

Every fenced block whose info string starts with ``python`` runs; the blocks of one file run in
order, in one namespace, so a page can build on its earlier blocks. A ``print(...)`` whose line
ends with a comment must print exactly that comment (whitespace normalised): for each top-level
statement, the comments of the ``print`` calls inside it are its expected output. An excerpt that
cannot run on its own is marked ```` ```python no-run ````.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
FENCE = re.compile(r"^(\s*)```(.*)$")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """``(first line number, source)`` of each runnable python block of a markdown file."""
    blocks, lines = [], path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, info = m.group(1), m.group(2).split()
        start, i = i + 1, i + 1
        while i < len(lines) and not FENCE.match(lines[i]):
            i += 1
        body = [line[len(indent) :] if line.startswith(indent) else line for line in lines[start:i]]
        if info and info[0] == "python" and "no-run" not in info[1:]:
            blocks.append((start + 1, "\n".join(body) + "\n"))
        i += 1
    return blocks


def _is_print(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
    )


def expected_output(stmt: ast.stmt, lines: list[str]) -> str | None:
    """The comments after the ``print`` calls in ``stmt``, or None if any print has none."""
    prints = sorted(
        (n for n in ast.walk(stmt) if _is_print(n)), key=lambda n: (n.lineno, n.col_offset)
    )
    comments = []
    for call in prints:
        tail = lines[call.end_lineno - 1].encode()[call.end_col_offset :].decode().strip()
        if not tail.startswith("#"):
            return None
        comments.append(tail[1:].strip())
    return "\n".join(comments) if comments else None


def run_block(first_line: int, source: str, filename: str, namespace: dict) -> None:
    tree = ast.parse(source, filename)
    ast.increment_lineno(tree, first_line - 1)
    lines = ["" for _ in range(first_line - 1)] + source.splitlines()
    for stmt in tree.body:
        code = compile(ast.Module(body=[stmt], type_ignores=[]), filename, "exec")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(code, namespace)
        want = expected_output(stmt, lines)
        if want is not None:
            got = out.getvalue()
            assert got.split() == want.split(), (
                f"{filename}:{stmt.lineno}: printed {got.strip()!r}, the comment says {want!r}"
            )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_python_blocks_run_and_print_what_they_say(page: Path) -> None:
    namespace: dict = {"__name__": "__docs__"}
    for first_line, source in python_blocks(page):
        run_block(first_line, source, str(page), namespace)


def test_readme_and_tutorial_have_examples() -> None:
    assert python_blocks(ROOT / "README.md")
    assert len(python_blocks(ROOT / "docs" / "tutorial.md")) >= 5


def test_readme_first_screen_is_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("```"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("```"))
    assert end < 25, "the install-and-test commands belong on the README's first screen"
    assert lines[start + 1 : end] == [
        "pip install . && ndgrad demo",
        'pip install ".[test]" && pytest',
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_point_to_files(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    missing = [
        target
        for target in LINK.findall(text)
        if not re.match(r"[a-z]+:|#", target) and not (page.parent / target.split("#")[0]).exists()
    ]
    assert not missing, f"{page.name} links to files that do not exist: {missing}"


def test_a_wrong_comment_fails(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```python\nprint(1 + 1)  # 3\n```\n", encoding="utf-8")
    ((line, source),) = python_blocks(page)
    with pytest.raises(AssertionError, match="printed '2', the comment says '3'"):
        run_block(line, source, str(page), {})


def test_no_run_blocks_and_other_languages_are_skipped(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python no-run\nundefined_name\n```\n\n```bash\nexit 1\n```\n\n```python\nx = 1\n```\n",
        encoding="utf-8",
    )
    assert python_blocks(page) == [(10, "x = 1\n")]
