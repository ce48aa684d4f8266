"""Special functions (``ndgrad.special`` and top-level names), on SciPy's ``scipy.special``."""
