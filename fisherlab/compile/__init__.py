"""Derivation -> batched numpy kernels (code generation; imports sympy)."""
