"""``ndgrad ops``: the op table, what each op supports and what the tests prove.

The same table as ``docs/ops.md`` (both come from ``ndgrad.ops.coverage``). A filter keeps the
rows whose name or family contains it: ``ndgrad ops linalg``, ``ndgrad ops F.conv``.

Example:
    >>> from ndgrad.cli import main
    >>> main(["ops", "atan2"])  # doctest: +NORMALIZE_WHITESPACE
    op     family  reverse  forward  2nd order  complex  outputs  numpy   array-api-strict
    atan2  unary   rule     rule     tested     -        -        tested  tested
    0
"""

from __future__ import annotations

import argparse

NAME = "ops"
HELP = "list the ops ndgrad differentiates and what is tested for each"
DESCRIPTION = (
    "List the op table: for each op, its reverse and forward rules, whether second order is "
    "tested, complex support, several outputs, and the backends the tests run. A FILTER keeps "
    "the rows whose name or family contains it (e.g. 'linalg', 'F.', 'sort')."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "filter", nargs="?", default="", metavar="FILTER", help="keep matching rows"
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print docs/ops.md (the whole table, as Markdown)"
    )


def run(args: argparse.Namespace) -> int:
    from ..ops import coverage
    from . import CLIError

    if args.markdown:
        print(coverage.markdown(), end="")
        return 0
    out = coverage.text(args.filter)
    if not out:
        raise CLIError(
            f"no op matches '{args.filter}'",
            "'ndgrad ops' lists them all; filters match part of a name or a family (linalg, fft)",
            "ndgrad ops",
        )
    print(out, end="")
    return 0
