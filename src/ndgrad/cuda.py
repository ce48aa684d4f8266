"""``ndgrad.cuda``: GPU availability, so device-aware PyTorch code runs unchanged."""

from __future__ import annotations


def is_available() -> bool:
    """True when CuPy is installed and sees a GPU (the GPU backend arrives in a later issue)."""
    try:
        import cupy  # type: ignore[import-not-found]

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def device_count() -> int:
    if not is_available():
        return 0
    import cupy  # type: ignore[import-not-found]

    return int(cupy.cuda.runtime.getDeviceCount())
