"""Vector indexes: one small interface, FAISS behind it. No other module imports faiss.

Vectors are L2-normalised float32, so inner product is cosine similarity. Ids are
ProductImage ids: the database maps them to products, no mapping file can drift.

Two implementations: exact search (FaissFlatIndex) while the catalogue is small, an inverted
file with 8-bit scalar quantisation (FaissIVFIndex) beyond APPROXIMATE_FROM vectors;
`index_for_size` picks one, `load_index` reads either. Measured in `benchmarks/index_scale.py`
(docs/benchmarks.md, "Index at scale").
"""

import hashlib
import math
from abc import ABC, abstractmethod
from pathlib import Path

import faiss
import numpy as np

from .files import write_atomically


class CorruptIndex(Exception):
    """An index file that cannot be read, or whose content does not match its checksum."""


# An index file: this line, the SHA-256 of the rest (32 bytes), then FAISS's serialised index.
# The checksum finds damage FAISS cannot see: overwritten vectors read back as other vectors.
FILE_HEADER = b"lookalike-index sha256\n"


class VectorIndex(ABC):
    exact = True  # search() gives exact inner products; an approximate index's are close to them

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
    def search_with_vectors(self, vectors, k):
        """(scores, ids, found vectors) like search() without filters, with the indexed vectors
        of the results, shape (len(vectors), k, dimension): as stored, so an approximate index
        gives them decoded from its codes. Padding ids (-1) have no meaningful vector."""

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


class FaissIndex(VectorIndex):
    """What every FAISS-backed index shares: `faiss_index` holds our int64 ids."""

    @property
    def dimension(self):
        """The length of the indexed vectors."""
        return self.faiss_index.d

    def __len__(self):
        return self.faiss_index.ntotal

    def add(self, ids, vectors):
        """Add (or replace) (n, dimension) float32 vectors under n int64 ids."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return
        self.remove(ids)
        self.faiss_index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)

    def remove(self, ids):
        """Remove the given int64 ids; unknown ids are ignored."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) and len(self):
            self.faiss_index.remove_ids(faiss.IDSelectorBatch(ids))

    def search(self, vectors, k, allowed_ids=None):
        """VectorIndex.search: (scores, ids) of shape (len(vectors),
        min(k, len(self))), best first."""
        allowed = None if allowed_ids is None else np.ascontiguousarray(allowed_ids, np.int64)
        return self.faiss_search(vectors, k, allowed)

    def search_with_vectors(self, vectors, k):
        """VectorIndex.search_with_vectors, by FAISS's search_and_reconstruct."""
        return self.faiss_search(vectors, k, None, with_vectors=True)

    def faiss_search(self, vectors, k, allowed, with_vectors=False):
        """search() or search_with_vectors(): at most len(self) results a query,
        none from an empty index."""
        vectors = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        if len(self) == 0:
            empty = (np.zeros((len(vectors), 0), np.float32), np.zeros((len(vectors), 0), np.int64))
            return (
                empty + (np.zeros((len(vectors), 0, self.dimension), np.float32),)
                if with_vectors
                else empty
            )
        k = max(1, min(k, len(self)))
        search = (
            self.faiss_index.search_and_reconstruct if with_vectors else self.faiss_index.search
        )
        return search(vectors, k, params=self.search_parameters(k, allowed))

    def search_parameters(self, k, allowed):
        """faiss search parameters for k results among the `allowed` ids (None: all)."""
        raise NotImplementedError

    def save(self, path):
        """Write the index to path atomically (recommender.files.write_atomically), with the
        checksum of its content (FILE_HEADER)."""
        content = faiss.serialize_index(self.faiss_index).tobytes()
        write_atomically(
            path,
            lambda temporary: temporary.write_bytes(
                FILE_HEADER + hashlib.sha256(content).digest() + content
            ),
        )

    @classmethod
    def load(cls, path):
        """Read an index file, as whichever class wrote it (`load_index`)."""
        return load_index(path)


class FaissFlatIndex(FaissIndex):
    """Exact inner-product search (IndexFlatIP) with our own ids (IndexIDMap2)."""

    def __init__(self, dimension=None, faiss_index=None):
        self.faiss_index = faiss_index or faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    def ids(self):
        """The indexed ids, int64, shape (len(self),), in the index's order."""
        return faiss.vector_to_array(self.faiss_index.id_map).astype(np.int64)

    def search_parameters(self, k, allowed):
        """None (search all), or an id selector of the `allowed` int64 ids."""
        return (
            None if allowed is None else faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        )


def verified_content(path):
    """The serialised index in the file at path, once its checksum is verified; raises
    CorruptIndex for a file without FILE_HEADER or whose content does not match its checksum."""
    data = Path(path).read_bytes()
    checksum_end = len(FILE_HEADER) + hashlib.sha256().digest_size
    if not data.startswith(FILE_HEADER) or len(data) < checksum_end:
        raise CorruptIndex(f"{path}: not an index file of this shop (no checksum)")
    checksum, content = data[len(FILE_HEADER) : checksum_end], data[checksum_end:]
    if hashlib.sha256(content).digest() != checksum:
        raise CorruptIndex(f"{path}: its content does not match its checksum (damaged)")
    return content


def load_index(path):
    """The index written at path, as whichever class wrote it (exact or approximate); raises
    CorruptIndex for a file that is damaged (verified_content) or cannot be read."""
    data = np.frombuffer(verified_content(path), dtype=np.uint8)
    try:
        faiss_index = faiss.deserialize_index(data)
    except RuntimeError as error:
        raise CorruptIndex(f"{path}: {error}") from error
    if isinstance(faiss_index, faiss.IndexIVF):
        return FaissIVFIndex(faiss_index=faiss_index)
    if isinstance(faiss_index, faiss.IndexIDMap2):
        return FaissFlatIndex(faiss_index=faiss_index)
    raise CorruptIndex(f"{path}: unexpected index type {type(faiss_index).__name__}")


# Exact search takes about 2 ms per query (512-d, 2 cores) near 12,000 vectors and grows
# linearly: from there the approximate index is used (measured, docs/benchmarks.md).
APPROXIMATE_FROM = 12_000


def index_for_size(dimension, count, approximate_from=None):
    """The index class for a catalogue of `count` vectors: exact below the threshold."""
    threshold = APPROXIMATE_FROM if approximate_from is None else approximate_from
    return FaissIVFIndex if count >= threshold else FaissFlatIndex


def build_index(dimension, ids, vectors, approximate_from=None):
    """A new index of the class that suits len(ids) (a rebuild)."""
    return index_for_size(dimension, len(ids), approximate_from).build(dimension, ids, vectors)


class FaissIVFIndex(FaissIndex):
    """Approximate inner-product search: an inverted file (k-means cells, IndexIVF) whose
    vectors are stored with 8-bit scalar quantisation (512 bytes a 512-d vector, plus an
    8-byte id). Only the `nprobe` cells nearest the query are scanned.

    IVF keeps our ids itself and removes them natively (no IndexIDMap2: IVF does not
    renumber after a removal). Vectors added after the build go to their nearest cell, so
    a catalogue that grows a lot should be rebuilt (`build_index`) to re-train the cells.
    """

    exact = False

    def __init__(self, dimension=None, faiss_index=None, nlist=None):
        if faiss_index is None:
            nlist = nlist or 1
            faiss_index = faiss.IndexIVFScalarQuantizer(
                faiss.IndexFlatIP(dimension),
                dimension,
                nlist,
                faiss.ScalarQuantizer.QT_8bit,
                faiss.METRIC_INNER_PRODUCT,
            )
            faiss_index.nprobe = self.nprobe_for(nlist)
        self.faiss_index = faiss_index

    # Parameters from the size (benchmarks/index_scale.py): about 4 * sqrt(n) cells, and
    # enough of them probed for recall@10 >= 0.95 on the catalogue's vectors.
    @staticmethod
    def nlist_for(count):
        """Cells for `count` vectors: about 4 sqrt(count), with at least 39 vectors a cell to train
        k-means (FAISS's minimum), and at least 1."""
        return max(1, min(int(round(4 * math.sqrt(count))), count // 39 or 1))

    @staticmethod
    def nprobe_for(nlist):
        """Cells probed by default: NPROBE_FRACTION of them, at least MIN_NPROBE, at most nlist."""
        return min(nlist, max(MIN_NPROBE, int(round(nlist * NPROBE_FRACTION))))

    @classmethod
    def build(cls, dimension, ids, vectors, nlist=None):
        """A new index of (n, dimension) float32 vectors under n int64 ids, its cells trained on
        them (nlist cells; default nlist_for(n))."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = cls(dimension, nlist=nlist or cls.nlist_for(len(vectors)))
        index.train(vectors)
        index.add(ids, vectors)
        return index

    def train(self, vectors):
        """Train the cells (k-means, 10 iterations) and the 8-bit quantiser on (n, dimension)
        float32 vectors, on a seeded sample of at most 64 a cell."""
        ivf = self.faiss_index
        # k-means on at most 64 points per cell: enough for the cells, bounded build time
        sample = vectors
        limit = 64 * ivf.nlist
        if len(vectors) > limit:
            sample = vectors[np.random.default_rng(0).choice(len(vectors), limit, replace=False)]
        ivf.cp.max_points_per_centroid = 64
        ivf.cp.niter = 10
        ivf.train(np.ascontiguousarray(sample, dtype=np.float32))

    @property
    def nlist(self):
        """The number of cells of the inverted file."""
        return self.faiss_index.nlist

    @property
    def nprobe(self):
        """The number of cells a search probes by default."""
        return self.faiss_index.nprobe

    def ids(self):
        """The indexed ids, int64, shape (len(self),), cell by cell (read
        from the inverted lists)."""
        lists = self.faiss_index.invlists
        found = []
        for number in range(self.faiss_index.nlist):
            size = lists.list_size(number)
            if size:
                found.append(faiss.rev_swig_ptr(lists.get_ids(number), size).copy())
        return np.concatenate(found).astype(np.int64) if found else np.zeros(0, np.int64)

    def probes(self, k, allowed=None):
        """Cells to scan: the default, more for a large k, more for a selective filter (the
        cells' allowed vectors are then few; members are checked before any distance)."""
        total = max(1, len(self))
        per_cell = total / self.nlist
        nprobe = max(self.nprobe, math.ceil(4 * k / per_cell))
        if allowed is not None:
            nprobe = math.ceil(nprobe * total / max(1, allowed))
        return max(1, min(self.nlist, nprobe))

    def search_parameters(self, k, allowed):
        """IVF search parameters: the cells to probe (probes) and, with
        `allowed`, an id selector."""
        if allowed is None:
            return faiss.SearchParametersIVF(nprobe=self.probes(k))
        return faiss.SearchParametersIVF(
            sel=faiss.IDSelectorBatch(allowed), nprobe=self.probes(k, len(allowed))
        )


NPROBE_FRACTION = 1 / 64  # of the cells, at least MIN_NPROBE
MIN_NPROBE = 8
