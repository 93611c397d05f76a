"""Symbolic derivations (the only part of fisherlab that imports sympy)."""
