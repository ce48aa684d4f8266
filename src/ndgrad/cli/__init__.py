"""The ``ndgrad`` command.

Each subcommand is a module listed in ``_COMMANDS`` with ``NAME``, ``HELP``, ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args) -> int``; ``main`` builds the parser from them. A usage
error, or a ``CLIError`` raised by a subcommand, prints one line and a hint on stderr and exits
with code 2, never with a traceback. An unexpected exception (a bug) prints one line and exits
with code 1; ``NDGRAD_TRACEBACK=1`` shows its traceback.

Example:
    >>> from ndgrad.cli import main
    >>> main(["--version"])
    ndgrad 0.1.0
    0
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import demo, grad, graph, ops

__all__ = ["main", "CLIError"]

_COMMANDS = (demo, ops, grad, graph)


class CLIError(Exception):
    """An error the user can fix: ``message`` (one line) and ``hint`` (how to fix it)."""

    def __init__(self, message: str, hint: str, prog: str = "ndgrad") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error becomes a ``CLIError`` (one line and a hint, no usage dump)."""

    commands: dict[str, argparse.ArgumentParser]

    def unrecognized(self, command: str | None, extra: list[str]) -> CLIError:
        """The error for arguments no parser took, worded for the command they were given to."""
        target = self.commands[command] if command else self
        options = [o for a in target._actions for o in a.option_strings]
        close = difflib.get_close_matches(extra[0], options, n=1) if extra[0][:1] == "-" else []
        guess = f"did you mean '{close[0]}'? " if close else ""
        return CLIError(
            f"unrecognized arguments: {' '.join(extra)}",
            f"{guess}'{target.prog} --help' shows the usage",
            target.prog,
        )

    def error(self, message: str) -> NoReturn:
        choice = re.search(r"invalid choice: '([^']*)'", message)
        if choice and message.startswith("argument COMMAND"):
            names = [m.NAME for m in _COMMANDS]
            close = difflib.get_close_matches(choice.group(1), names, n=1)
            guess = f"did you mean '{close[0]}'? " if close else ""
            raise CLIError(
                f"unknown command '{choice.group(1)}'",
                f"{guess}'ndgrad --help' lists the commands ({', '.join(names)})",
                self.prog,
            )
        raise CLIError(message, f"'{self.prog} --help' shows the usage", self.prog)


def _parser() -> _Parser:
    from .. import __version__

    parser = _Parser(
        prog="ndgrad",
        description="ndgrad: PyTorch's autograd semantics on plain NumPy arrays.",
        epilog="Start with 'ndgrad demo'. 'ndgrad COMMAND --help' shows a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"ndgrad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    parser.commands = {}
    for module in _COMMANDS:
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.DESCRIPTION)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
        parser.commands[module.NAME] = p
    return parser


def _report(prog: str, message: str, hint: str | None) -> None:
    print(f"{prog}: error: {message}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ndgrad`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    parser = _parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            raise parser.unrecognized(args.command, extra)
        if args.command is None:
            parser.print_help()
            return 0
        return int(args.run(args) or 0)
    except CLIError as e:
        _report(e.prog, e.message, e.hint)
        return 2
    except SystemExit as e:  # --help and --version
        return e.code if isinstance(e.code, int) else 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `ndgrad demo | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as e:
        if os.environ.get("NDGRAD_TRACEBACK"):
            raise
        first = (str(e).splitlines() or [""])[0]
        _report(
            "ndgrad",
            f"internal error: {type(e).__name__}: {first}",
            "this is a bug in ndgrad; rerun with NDGRAD_TRACEBACK=1 to see the traceback",
        )
        return 1
