"""Pooling of ``ndgrad.nn.functional``: max, average, adaptive and power-average pooling."""
