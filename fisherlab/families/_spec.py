"""The vocabulary a family file imports, gathered from the modules where each name lives.

A declaration is written with the classes of :mod:`.declaration` (the family, its parameters and
parametrizations), the domains of :mod:`.domain`, the supports of :mod:`.support` and the array
helpers of :mod:`.arrays`; the catalog's files import them all from here in one line.
"""

from .arrays import off_open_simplex, row_sums
from .declaration import (
                          Constraint,
                          ExponentialFamily,
                          Param,
                          Parametrization,
                          require_int,
                          require_positive,
)
from .domain import (
                          NEGATIVE,
                          POSITIVE,
                          REAL,
                          UNIT_INTERVAL,
                          Domain,
                          greater_than,
                          interval,
                          less_than,
)
from .support import (
                          BINARY,
                          CIRCLE,
                          COUNTS,
                          POSITIVE_REALS,
                          REALS,
                          UNIT,
                          Support,
                          count_vectors,
                          counts_summing,
                          greater_than_support,
                          integer_range,
                          mean_precision_pairs,
                          one_hot,
                          positive_definite,
                          real_vectors,
                          simplex,
)

__all__ = [
    "Domain", "REAL", "POSITIVE", "NEGATIVE", "UNIT_INTERVAL", "greater_than", "less_than",
    "interval", "Param", "Constraint", "Parametrization", "Support", "REALS", "POSITIVE_REALS",
    "UNIT", "CIRCLE", "COUNTS", "BINARY", "integer_range", "greater_than_support", "simplex",
    "one_hot", "counts_summing", "count_vectors", "real_vectors", "ExponentialFamily",
    "require_int", "require_positive", "row_sums", "off_open_simplex", "mean_precision_pairs",
    "positive_definite",
]
