"""Activation functions of ``ndgrad.nn.functional``."""
