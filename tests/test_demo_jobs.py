"""``ndgrad demo optimize`` and ``ndgrad demo train``: the demos that use nn, optim and data."""

from __future__ import annotations

import io

import pytest

from ndgrad.cli import demo_optimize, demo_train, main


@pytest.fixture(scope="module")
def optimize_output(tmp_path_factory):
    plot = tmp_path_factory.mktemp("plots") / "paths.png"
    out = io.StringIO()
    pytest.importorskip("matplotlib")
    assert demo_optimize.run(out, str(plot), progress=False) == 0
    return out.getvalue(), plot


def test_every_optimiser_reaches_a_minimum_of_himmelblau_and_lbfgs_solves_rosenbrock():
    rosen, himmel = demo_optimize.PROBLEMS
    for name in ("gradient descent", "momentum", "Adam", "L-BFGS"):
        r = demo_optimize.minimise(himmel, name, progress=False)
        assert r.converged, name
        assert r.point == pytest.approx([3.0, 2.0], abs=1e-5)
    r = demo_optimize.minimise(rosen, "L-BFGS", progress=False)
    assert r.converged
    assert r.point == pytest.approx([1.0, 1.0], abs=1e-6)


def test_the_optimize_table_names_each_optimiser_and_the_plot_is_a_png(optimize_output):
    text, plot = optimize_output
    for name in ("gradient descent", "momentum", "Adam", "L-BFGS", "Rosenbrock", "Himmelblau"):
        assert name in text
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_passes_95_percent_on_the_training_and_on_new_points(tmp_path):
    pytest.importorskip("matplotlib")
    out = io.StringIO()
    plot = tmp_path / "boundary.png"
    assert demo_train.run(out, str(plot), progress=False) == 0
    t = demo_train.train(progress=False)
    assert t.train_accuracy > 0.95
    assert t.test_accuracy > 0.95
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_plot_without_a_job_is_a_usage_error(capsys):
    assert main(["demo", "--plot", "x.png"]) == 2
    assert "ndgrad demo optimize --plot" in capsys.readouterr().err
