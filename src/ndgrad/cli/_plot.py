"""matplotlib for the demos' ``--plot``: the ``viz`` extra, with a clear error when missing."""

from __future__ import annotations

from typing import Any


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend (no screen needed)."""
    try:
        import matplotlib
    except ImportError:
        from . import CLIError

        raise CLIError(
            "--plot needs matplotlib, which is not installed",
            "install the viz extra: pip install 'ndgrad[viz]' (or pip install matplotlib)",
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
