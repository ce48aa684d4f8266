"""Normalization layers of ``ndgrad.nn.functional``: layer/batch/instance/group/rms norm, ... ."""
