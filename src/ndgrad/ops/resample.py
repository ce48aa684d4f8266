"""Resampling of ``ndgrad.nn.functional``: pad, interpolate, grid_sample, pixel_shuffle."""
