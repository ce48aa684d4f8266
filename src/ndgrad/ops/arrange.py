"""Rearranging and combining tensors: roll, rot90, diff, tile, kron, block_diag, meshgrid, ... ."""
