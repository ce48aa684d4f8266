"""Core: Tensor, Node, engine, grad modes, forward-mode duals (no op knowledge)."""
