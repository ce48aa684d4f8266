"""Linear algebra, part two: eigen and singular values, QR, norms, products (``ndgrad.linalg``)."""
