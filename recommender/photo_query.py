"""What a shopper's photo becomes before it is searched: the part of it that matters (a
Box) and its query (PhotoQuery: the vectors of its views and its garment-kind scores),
which can be kept as bytes so that a page of results, a filter change or another page
does not embed the photo again."""

import io
from dataclasses import dataclass

import numpy as np


class IncompleteBox(ValueError):
    """Some of a box's edges were given, not all four."""


@dataclass(frozen=True)
class Box:
    """A part of a photo: left, top, right, bottom as fractions (0 to 1) of the upright
    photo's width and height, left < right and top < bottom. Raises ValueError otherwise."""

    left: float
    top: float
    right: float
    bottom: float

    MIN_SIDE = 0.02  # of the photo's side: a box narrower than this is a slip, not a choice
    EDGES = ("left", "top", "right", "bottom")  # the names of its edges, in order

    def __post_init__(self):
        if not all(0.0 <= value <= 1.0 for value in self.edges()):
            raise ValueError("A box's left, top, right and bottom are fractions from 0 to 1.")
        if self.right - self.left < self.MIN_SIDE or self.bottom - self.top < self.MIN_SIDE:
            raise ValueError(
                "A box's right must exceed its left, and its bottom its top, by at least "
                f"{self.MIN_SIDE} of the photo."
            )

    @classmethod
    def of_edges(cls, edges):
        """The Box of (left, top, right, bottom) fractions, or None when all four are None (the
        whole photo); raises IncompleteBox when only some are given, ValueError when they make
        no box."""
        if all(edge is None for edge in edges):
            return None
        if any(edge is None for edge in edges):
            raise IncompleteBox("Give left, top, right and bottom together, or none of them.")
        return cls(*(float(edge) for edge in edges))

    def edges(self):
        """(left, top, right, bottom) as floats."""
        return (self.left, self.top, self.right, self.bottom)

    @property
    def smaller_share(self):
        """The box's smaller side as a share of the photo's side it lies along (0 to 1]."""
        return min(self.right - self.left, self.bottom - self.top)

    def crop(self, photo):
        """The box's part of a PIL image, at least one pixel each way."""
        width, height = photo.size
        left, top = int(self.left * width), int(self.top * height)
        right = max(left + 1, round(self.right * width))
        bottom = max(top + 1, round(self.bottom * height))
        return photo.crop((left, top, min(right, width), min(bottom, height)))

    def key(self):
        """A short text naming the box (4 decimals each), e.g. "0.1-0.2-0.9-1": for cache keys
        and URLs."""
        return "-".join(f"{value:.4f}".rstrip("0").rstrip(".") for value in self.edges())


@dataclass(frozen=True, eq=False)
class PhotoQuery:
    """A shopper's photo ready to search: `vectors` (v, d) float32 unit rows, one per view
    (recommender.embedding.photo_views), and `kind_scores` (c,) float32 probabilities of the
    garment kinds of recommender.kinds (None when no kind head is trained for the model)."""

    vectors: np.ndarray
    kind_scores: np.ndarray | None = None

    def to_bytes(self):
        """The query as the bytes of an .npz file."""
        buffer = io.BytesIO()
        arrays = {"vectors": self.vectors}
        if self.kind_scores is not None:
            arrays["kind_scores"] = self.kind_scores
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data):
        """The query saved by to_bytes; raises ValueError for bytes that are not one."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                return cls(
                    arrays["vectors"].astype(np.float32),
                    arrays["kind_scores"].astype(np.float32)
                    if "kind_scores" in arrays.files
                    else None,
                )
        except (OSError, KeyError, EOFError) as error:
            raise ValueError(f"not a saved photo query: {error}") from error
