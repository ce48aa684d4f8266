"""Cumulative ops: cumprod, cummax, cummin, logcumsumexp; and mode."""
