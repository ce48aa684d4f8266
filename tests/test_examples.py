"""The scripts in examples/ run (with short settings) and learn what they say they learn."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).parents[1] / "examples"


def run(name: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_optimize_reaches_both_minima():
    out = run("optimize.py")
    assert "(1.000000, 1.000000)" in out
    assert "(3.000000, 2.000000)" in out


def test_train_spirals_passes_95_percent_on_new_points():
    last = run("train_spirals.py").splitlines()[-1]
    assert float(last.rsplit(" ", 1)[1].rstrip("%")) > 95


def test_the_cnn_learns_the_generated_images():
    last = run("cnn_generated.py", "--epochs", "4").splitlines()[-1]
    assert float(last.rsplit(" ", 1)[1].rstrip("%")) > 90


@pytest.mark.timeout(300)
def test_the_char_transformer_trains_and_prints_samples():
    out = run("char_transformer.py", "--steps", "100").splitlines()
    losses = [float(line.split()[-1]) for line in out if line.startswith("step")]
    assert losses[-1] < losses[0] - 1.0
    assert sum(line.startswith("'") for line in out) == 3  # three samples, one per prompt
