"""Loss functions of ``ndgrad.nn.functional``."""
