"""The relevance floor: the score under which a result is still listed (the services return
the k asked for) but is no match, so the pages and the API never present it as one.

A score is an inner product of unit vectors; what it means depends on the model and on the
kind of query (a catalogue photo in "more like this", a shopper's photo in search by photo),
so each model fingerprint has one floor for each, measured by `manage.py
calibrate_relevance` on data the model was not trained on, and stored in
recommender/floors/<fingerprint>.json. The floor is the score from which results are right
(same articleType, or the photo's garment kind) at least FLOOR_PRECISION of the time
(floor_from_scores). A model without a floor file marks every result relevant.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .files import LoadedFiles, write_atomically

FLOORS_DIR = Path(__file__).resolve().parent / "floors"
FLOOR_PRECISION = 0.5
SCORES_A_BIN = 200  # results a bin of floor_from_scores: enough for its precision to mean much


@dataclass(frozen=True)
class Floors:
    """The floors of one model fingerprint (scores, inner products in [-1, 1]), and what they
    were measured on (free text)."""

    more_like_this: float
    search_by_photo: float
    measured_on: str = ""

    def save(self, path):
        """Write the floors to a JSON file at path, atomically."""
        write_atomically(
            path, lambda temporary: Path(temporary).write_text(json.dumps(asdict(self), indent=2))
        )

    @classmethod
    def load(cls, path):
        """The floors saved at path; raises ValueError for a file that does not hold them."""
        try:
            return cls(**json.loads(Path(path).read_text()))
        except (TypeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path} does not hold relevance floors: {error}") from error


def floors_path(model_fingerprint):
    """The floor file of a model fingerprint (recommender/floors/)."""
    return FLOORS_DIR / f"{model_fingerprint}.json"


_floors = LoadedFiles(Floors.load)


def relevance_floors(model_fingerprint):
    """The Floors of a model fingerprint, or None when none were measured (read once a process,
    again when the file changes)."""
    return _floors.get(floors_path(model_fingerprint))


def floor_from_scores(scores, right, precision=FLOOR_PRECISION, per_bin=SCORES_A_BIN):
    """The relevance floor of held-out results: `scores` (n,) and whether each is `right`
    (n,) bool. Results are sorted by score and cut into bins of `per_bin`, best first; the
    floor is the lowest score of the last bin before the first whose share of right results is
    under `precision` (so every result above the floor sits among results that are right at
    least that often). The lowest score of all when no bin falls under it, and the highest
    score plus a little when the first one does. Raises ValueError without results."""
    scores, right = np.asarray(scores, np.float64), np.asarray(right, bool)
    if not len(scores):
        raise ValueError("no results to measure a floor on")
    order = np.argsort(-scores, kind="stable")
    scores, right = scores[order], right[order]
    floor = scores[0] + 1e-6
    for start in range(0, len(scores), per_bin):
        if right[start : start + per_bin].mean() < precision:
            break
        floor = scores[start : start + per_bin][-1]
    return float(floor)
