"""Linear algebra, part one: inverses, determinants, solves, factorizations (``ndgrad.linalg``)."""
