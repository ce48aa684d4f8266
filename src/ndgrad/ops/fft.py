"""Discrete Fourier transforms (``ndgrad.fft``)."""
