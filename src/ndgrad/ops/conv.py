"""Convolutions of ``ndgrad.nn.functional``: conv1d/2d/3d, transposed, unfold and fold."""
