"""Vector indexes: one small interface, FAISS behind it. No other module imports faiss.

Vectors are L2-normalised float32, so inner product is cosine similarity. Ids are
ProductImage ids: the database maps them to products, no mapping file can drift.
"""
import os
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

import faiss
import numpy as np


class CorruptIndex(Exception):
    """An index file that cannot be read."""


class VectorIndex(ABC):
    @abstractmethod
    def add(self, ids, vectors):
        """Add (or replace) vectors under the given int64 ids."""

    @abstractmethod
    def remove(self, ids):
        """Remove the given ids; unknown ids are ignored."""

    @abstractmethod
    def search(self, vectors, k, allowed_ids=None):
        """(scores, ids) arrays of shape (len(vectors), k), best first; id -1 pads missing results.

        With allowed_ids, only those ids are searched (filters applied inside the search).
        """

    @abstractmethod
    def __len__(self):
        """How many vectors the index holds."""

    @abstractmethod
    def save(self, path):
        """Write the index to path atomically (a reader sees the old file or the new one)."""

    @classmethod
    @abstractmethod
    def load(cls, path):
        """Read an index written by save; raises CorruptIndex for an unreadable file."""

    @classmethod
    def build(cls, dimension, ids, vectors):
        """A new index holding the given vectors (a rebuild)."""
        index = cls(dimension)
        index.add(ids, vectors)
        return index


class FaissFlatIndex(VectorIndex):
    """Exact inner-product search (IndexFlatIP) with our own ids (IndexIDMap2)."""

    def __init__(self, dimension=None, faiss_index=None):
        self.faiss_index = faiss_index or faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    @property
    def dimension(self):
        return self.faiss_index.d

    def __len__(self):
        return self.faiss_index.ntotal

    def add(self, ids, vectors):
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return
        self.remove(ids)
        self.faiss_index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)

    def remove(self, ids):
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids):
            self.faiss_index.remove_ids(faiss.IDSelectorBatch(ids))

    def ids(self):
        return faiss.vector_to_array(self.faiss_index.id_map).astype(np.int64)

    def search(self, vectors, k, allowed_ids=None):
        vectors = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        k = max(1, min(k, len(self))) if len(self) else 1
        if len(self) == 0:
            return np.zeros((len(vectors), 0), np.float32), np.zeros((len(vectors), 0), np.int64)
        params = None
        if allowed_ids is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.ascontiguousarray(allowed_ids, np.int64)))
        scores, ids = self.faiss_index.search(vectors, k, params=params)
        return scores, ids

    def save(self, path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(faiss.serialize_index(self.faiss_index).tobytes())
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path):
        data = np.fromfile(path, dtype=np.uint8)
        try:
            return cls(faiss_index=faiss.deserialize_index(data))
        except RuntimeError as error:
            raise CorruptIndex(f"{path}: {error}") from error
