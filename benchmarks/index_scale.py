"""The vector index at 10k, 100k and 1M vectors: build time, bytes per vector, latency, recall.

    python benchmarks/index_scale.py [--sizes 10000,100000,1000000] [--queries 500]
        [--real /tmp/scale/real.npy] [--threads 2] [--nprobes 8,16,32]

Data: the real stored vectors of the catalogue (rows 0 .. R-1; R = 9,583 for the full
catalogue) followed by synthetic vectors (rows R .. n-1), each a random real vector plus
Gaussian noise with the covariance of the real vectors, scaled so that its distance to that
vector is the median nearest-neighbour distance of the real vectors, then renormalised.
Real vectors come from --real (a .npy of unit vectors) or, when that file is missing, from
the database of --source-var (default VAR_DIR; or DATABASE_URL: `ImageEmbedding.objects.indexable`;
then cached to --real).

Queries: half are real vectors (indexed, as "more like this" queries are), half are real
vectors perturbed by a smaller noise (not indexed, like photos of a shopper).

For each size: the index `index_for_size` picks (production defaults), timed build
(train + add), serialized bytes / n (what a web process loads), single-query latency at
k=25 (p50, p99, one query at a time), recall@10 against exact search, both straight from
the index and after ranking the first shortlist of selectors.nearest_products (2k + 8) by the
exact vectors, as the shop does for an approximate index; exact-search
latency on the same data (the threshold), and --nprobes as a sweep of the approximate index.
With --end-to-end 44000: similar_products with the ORM on a scratch copy of the catalogue
grown with synthetic products (see `end_to_end`). Prints JSON.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import faiss
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from recommender.index import APPROXIMATE_FROM, FaissFlatIndex, FaissIVFIndex, index_for_size  # noqa: E402

K = 25
RECALL_AT = 10


def real_vectors(path, var_dir):
    """The real vectors cached at path; read from the database of var_dir by a child
    process when missing (Django is set up once a process, and end_to_end sets it up on
    the scratch copy)."""
    path = Path(path)
    if not path.exists():
        subprocess.run(
            [sys.executable, __file__, "--export-real", str(path)],
            check=True,
            env={**os.environ, "VAR_DIR": str(var_dir)},
        )
    return np.load(path)


def export_real_vectors(path):
    path = Path(path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.base")
    import django

    django.setup()
    from recommender import embedding
    from recommender.models import ImageEmbedding

    _, vectors = ImageEmbedding.objects.indexable(embedding.fingerprint()).ids_and_vectors()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)


def normalised(vectors):
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


class Synthesiser:
    """Vectors near random real ones: noise shaped like the real vectors' covariance."""

    def __init__(self, real, seed=0):
        self.real = real
        self.rng = np.random.default_rng(seed)
        centred = real - real.mean(axis=0)
        eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / len(real))
        self.shape = (eigenvectors * np.sqrt(np.maximum(eigenvalues, 0))).T.astype(np.float32)
        flat = faiss.IndexFlatIP(real.shape[1])
        flat.add(real)
        scores, _ = flat.search(real, 2)
        self.nn_distance = float(np.median(np.sqrt(np.maximum(0, 2 - 2 * scores[:, 1]))))
        self.trace = float(eigenvalues.sum())

    def draw(self, count, distance=None, batch=100_000):
        distance = self.nn_distance if distance is None else distance
        scale = distance / np.sqrt(self.trace)
        out = np.empty((count, self.real.shape[1]), np.float32)
        for start in range(0, count, batch):
            size = min(batch, count - start)
            sources = self.real[self.rng.integers(0, len(self.real), size)]
            noise = (
                self.rng.standard_normal((size, self.real.shape[1]), dtype=np.float32) @ self.shape
            )
            out[start : start + size] = normalised(sources + scale * noise)
        return out


def percentile_ms(times, q):
    return round(float(np.percentile(times, q)) * 1000, 3)


def single_query_times(search, queries):
    for query in queries[:20]:
        search(query)  # warm-up
    times = []
    for query in queries:
        start = time.perf_counter()
        search(query)
        times.append(time.perf_counter() - start)
    return times


def recall(found, truth):
    hits = [
        len(set(row[:RECALL_AT].tolist()) & set(expected[:RECALL_AT].tolist()))
        for row, expected in zip(found, truth)
    ]
    return round(float(np.mean(hits)) / RECALL_AT, 4)


def rerank(vectors, query, ids, k):
    """The shortlist's ids by their exact scores (the database's vectors in the shop)."""
    ids = ids[ids >= 0]
    scores = vectors[ids] @ query
    order = np.argsort(-scores)[:k]
    return ids[order]


def measure(size, data, real_count, queries, truth, nprobes, exact_queries):
    vectors = data[:size]
    ids = np.arange(size, dtype=np.int64)
    row = {
        "vectors": size,
        "real_rows": [0, min(real_count, size)],
        "synthetic_rows": [min(real_count, size), size] if size > real_count else None,
    }

    chosen = index_for_size(vectors.shape[1], size)
    start = time.perf_counter()
    index = chosen.build(vectors.shape[1], ids, vectors)
    row["index"] = chosen.__name__
    row["build_s"] = round(time.perf_counter() - start, 2)
    row["bytes_per_vector"] = round(faiss.serialize_index(index.faiss_index).nbytes / size, 1)
    if isinstance(index, FaissIVFIndex):
        row["nlist"], row["nprobe"] = index.nlist, index.probes(K)

    times = single_query_times(lambda query: index.search(query, K), queries)
    row["p50_ms"], row["p99_ms"] = percentile_ms(times, 50), percentile_ms(times, 99)
    _, found = index.search(queries, K)
    row["recall_at_10"] = recall(found, truth)

    shortlist = 2 * K + 8  # selectors.nearest_products' first shortlist

    def reranked(query):
        _, candidates = index.search(query, shortlist)
        return rerank(vectors, query, candidates[0], K)

    times = single_query_times(reranked, queries)
    row["reranked_p50_ms"], row["reranked_p99_ms"] = (
        percentile_ms(times, 50),
        percentile_ms(times, 99),
    )
    row["reranked_recall_at_10"] = recall([reranked(query) for query in queries], truth)

    exact = (
        FaissFlatIndex.build(vectors.shape[1], ids, vectors)
        if chosen is not FaissFlatIndex
        else index
    )
    times = single_query_times(lambda query: exact.search(query, K), queries[:exact_queries])
    row["exact_p50_ms"], row["exact_p99_ms"] = percentile_ms(times, 50), percentile_ms(times, 99)
    row["exact_bytes_per_vector"] = round(faiss.serialize_index(exact.faiss_index).nbytes / size, 1)
    exact = None  # freed before the sweep

    if nprobes and isinstance(index, FaissIVFIndex):
        sweep = []
        for nprobe in nprobes:
            params = faiss.SearchParametersIVF(nprobe=nprobe)
            times = single_query_times(
                lambda query, params=params: index.faiss_index.search(
                    np.atleast_2d(query), K, params=params
                ),
                queries,
            )
            _, found = index.faiss_index.search(queries, K, params=params)
            sweep.append(
                {
                    "nprobe": nprobe,
                    "p50_ms": percentile_ms(times, 50),
                    "p99_ms": percentile_ms(times, 99),
                    "recall_at_10": recall(found, truth),
                }
            )
        row["nprobe_sweep"] = sweep
    return row


def end_to_end(args, synthesiser):
    """similar_products (ORM included) on a catalogue grown to --end-to-end products: a copy of
    the database (--source-var) in --scratch-var, with synthetic products (name "synthetic
    ...", external id "synthetic-N", one photo row without a file, a stored synthetic vector)
    added by bulk_create; then the index is rebuilt (the production choice) and similar_products
    is timed on real products, as the shop runs it (query expansion) and with plain search (the
    baseline), the two alternating call by call. Writes only to the scratch copy."""
    import shutil

    source, scratch = Path(args.source_var), Path(args.scratch_var)
    scratch.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "db.sqlite3", scratch / "db.sqlite3")
    shutil.rmtree(scratch / "index", ignore_errors=True)
    os.environ["VAR_DIR"] = str(scratch)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.base")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction

    from catalog.models import Product, ProductImage
    from recommender import embedding, selectors, services
    from recommender.models import ImageEmbedding

    model = embedding.fingerprint()
    real_products = list(Product.objects.filter(is_active=True).values_list("pk", flat=True))
    missing = args.end_to_end - Product.objects.filter(is_active=True).count()
    vectors = synthesiser.draw(max(0, missing))
    template = Product.objects.filter(is_active=True).first()
    start = time.perf_counter()
    for offset in range(0, len(vectors), 5000):
        chunk = vectors[offset : offset + 5000]
        with transaction.atomic():
            products = Product.objects.bulk_create(
                [
                    Product(
                        external_id=f"synthetic-{offset + n}",
                        name=f"synthetic {offset + n}",
                        gender=template.gender,
                        master_category=template.master_category,
                        sub_category=template.sub_category,
                        article_type=template.article_type,
                        base_colour=template.base_colour,
                        price=template.price,
                    )
                    for n in range(len(chunk))
                ]
            )
            images = ProductImage.objects.bulk_create(
                [
                    ProductImage(
                        product=product,
                        image=f"synthetic/{product.external_id}.jpg",
                        width=1,
                        height=1,
                        sha256=f"{product.external_id:0>64}"[-64:],
                        is_primary=True,
                    )
                    for product in products
                ]
            )
            ImageEmbedding.objects.bulk_create(
                [
                    ImageEmbedding(
                        image=image,
                        fingerprint=model,
                        image_sha256=image.sha256,
                        vector=ImageEmbedding.to_bytes(v),
                    )
                    for image, v in zip(images, chunk)
                ]
            )
    fill_s = time.perf_counter() - start
    start = time.perf_counter()
    services.index_rebuild(model_fingerprint=model)
    rebuild_s = time.perf_counter() - start
    index = selectors.current_index(model)
    rng = np.random.default_rng(2)
    chosen = Product.objects.in_bulk(
        [int(pk) for pk in rng.choice(real_products, args.requests + 20, replace=False)]
    )
    neighbours = {"similar_products": settings.RECOMMENDER_EXPANSION_NEIGHBOURS, "plain_search": 0}
    times = {name: [] for name in neighbours}
    for number, product in enumerate(chosen.values()):
        for name in neighbours if number % 2 else reversed(neighbours):
            settings.RECOMMENDER_EXPANSION_NEIGHBOURS = neighbours[name]
            begin = time.perf_counter()
            selectors.similar_products(product=product, k=K)
            if number >= 20:  # warm-up
                times[name].append(time.perf_counter() - begin)
    return {
        "products": Product.objects.filter(is_active=True).count(),
        "synthetic_products": len(vectors),
        "index": type(index).__name__,
        "index_vectors": len(index),
        "fill_s": round(fill_s, 1),
        "index_rebuild_s": round(rebuild_s, 2),
        "requests": args.requests,
        "expansion_neighbours": neighbours["similar_products"],
        **{
            f"{name}_{figure}_ms": percentile_ms(times[name], percent)
            for name in times
            for figure, percent in (("median", 50), ("p95", 95))
        },
    }


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument(
        "--exact-queries", type=int, default=100, help="queries timed on exact search"
    )
    parser.add_argument(
        "--threshold-sizes",
        default="5000,10000,20000,44000",
        help="sizes at which exact search alone is timed (the threshold)",
    )
    parser.add_argument("--real", default="/tmp/scale/real.npy")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--nprobes", default="", help="comma-separated nprobe values to sweep")
    parser.add_argument(
        "--end-to-end",
        type=int,
        default=0,
        metavar="PRODUCTS",
        help="also time similar_products on a scratch copy of the catalogue grown to PRODUCTS",
    )
    parser.add_argument("--source-var", default=os.environ.get("VAR_DIR", "/tmp/full/var"))
    parser.add_argument("--scratch-var", default="/tmp/scale/var")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--export-real", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_real:
        return export_real_vectors(args.export_real)
    faiss.omp_set_num_threads(args.threads)

    sizes = [int(size) for size in args.sizes.split(",") if size]
    threshold_sizes = [int(size) for size in args.threshold_sizes.split(",") if size]
    nprobes = [int(value) for value in args.nprobes.split(",") if value]
    real = normalised(real_vectors(args.real, args.source_var).astype(np.float32))
    synthesiser = Synthesiser(real)
    largest = max(sizes + threshold_sizes, default=len(real))
    data = np.concatenate([real, synthesiser.draw(max(0, largest - len(real)))])[:largest]

    half = args.queries // 2
    rng = np.random.default_rng(1)
    queries = np.concatenate(
        [
            real[rng.choice(len(real), half, replace=False)],
            synthesiser.draw(args.queries - half, distance=synthesiser.nn_distance / 2),
        ]
    )

    result = {
        "dimension": int(real.shape[1]),
        "real_vectors": len(real),
        "k": K,
        "threads": args.threads,
        "approximate_from": APPROXIMATE_FROM,
        "synthetic_nn_distance": round(synthesiser.nn_distance, 4),
        "queries": {"real_indexed": half, "perturbed_real": args.queries - half},
        "threshold": [],
        "sizes": [],
    }
    for size in threshold_sizes:
        exact = FaissFlatIndex.build(real.shape[1], np.arange(size), data[:size])
        times = single_query_times(
            lambda query, exact=exact: exact.search(query, K), queries[: args.exact_queries]
        )
        result["threshold"].append(
            {
                "vectors": size,
                "exact_p50_ms": percentile_ms(times, 50),
                "exact_p99_ms": percentile_ms(times, 99),
            }
        )
        print(json.dumps(result["threshold"][-1]), file=sys.stderr, flush=True)
    for size in sizes:
        truth_index = faiss.IndexFlatIP(real.shape[1])
        truth_index.add(data[:size])
        _, truth = truth_index.search(queries, RECALL_AT)
        del truth_index
        result["sizes"].append(
            measure(size, data, len(real), queries, truth, nprobes, args.exact_queries)
        )
        print(json.dumps(result["sizes"][-1]), file=sys.stderr, flush=True)
    if args.end_to_end:
        result["end_to_end"] = end_to_end(args, synthesiser)
        print(json.dumps(result["end_to_end"]), file=sys.stderr, flush=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
