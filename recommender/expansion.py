"""Query expansion: before a "more like this" search, the query moves towards its nearest
stored vectors. (Search by photo does not expand: recommender.selectors.search_by_image.)

alpha-QE (Radenović, Tolias and Chum, 2018): the query q and its n nearest stored vectors
x_1..x_n (similarities s_i, the query's own product left out) give
q' = normalise(q + sum_i max(s_i, 0) ** power * x_i), and q' is searched. Close neighbours
mostly agree with each other on type and colour, so the expanded query leans towards what
they share, away from what is particular to one photo (its framing, its light). No label is
read. Measured in docs/benchmarks.md ("Query expansion").
"""

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .projection import unit_rows

EXPANSION_POWER = 3.0


def expansion_neighbours():
    """How many stored vectors expand a query (RECOMMENDER_EXPANSION_NEIGHBOURS; 0: none)."""
    count = settings.RECOMMENDER_EXPANSION_NEIGHBOURS
    if not isinstance(count, int) or count < 0:
        raise ImproperlyConfigured(
            f"RECOMMENDER_EXPANSION_NEIGHBOURS must be a whole number from 0, not {count!r}."
        )
    return count


def expanded_queries(queries, neighbours, scores, power=EXPANSION_POWER):
    """Unit rows of q + sum of max(s, 0) ** power * x: queries (m, d), their neighbours'
    vectors (m, n, d) and similarities (m, n)."""
    weights = np.clip(scores, 0.0, None) ** power
    return unit_rows(queries + np.einsum("mn,mnd->md", weights, neighbours)).astype(np.float32)
