"""The ``Example:`` blocks of the installed package's docstrings run as tests (doctest)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ndgrad

FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _modules() -> list[str]:
    names = ["ndgrad"]
    for info in pkgutil.walk_packages(ndgrad.__path__, "ndgrad."):
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return names


def _examples(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    return [t for t in doctest.DocTestFinder().find(module, name) if t.examples]


MODULES = [m for m in _modules() if _examples(m)]


def test_the_docstrings_have_examples():
    assert len(MODULES) >= 5, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in _examples(name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
