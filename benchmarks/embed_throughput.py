"""Embedding throughput: the PyTorch fp32 reference against the fast runtimes, side by side.

    python benchmarks/embed_throughput.py [--backbones efficientnet_lite0,resnet50]
        [--runtimes "onnx fp32,onnx int8,openvino int8"] [--threads 1,2] [--batches 1,16]
        [--images 48] [--quality-images 500] [--device cpu|cuda] [--processes]

End to end from JPEG files: decode, catalogue_style, square 224, foreground masks, colour
signature, backbone, pooling and projection (the stored vectors). For each backbone, number
of threads (the process is pinned to that many cores, so 1 is "per core") and batch size:

- `torch fp32` (the baseline): plain PyTorch, photos decoded then embedded, batch by batch,
  torch given that many threads;
- `onnx fp32`: ONNX Runtime, fp32, through the shop's embedding path (Embedder.vectors_of_files:
  one worker per core, at least two, each decoding a batch and running the backbone on it
  on one thread, so decoding overlaps the backbone); `auto` on a CPU without VNNI;
- `onnx int8`: ONNX Runtime, static int8 (QDQ, per-channel, calibrated on the 64 shipped
  demo-catalogue photos of recommender.runtimes, the backbone's fp32_layers kept in fp32),
  the same path; EfficientNet-Lite0's `auto` on a CPU with VNNI;
- `openvino int8`: the same int8 model run by OpenVINO, its fp32 layers in bf16 where the
  CPU can and the backbone stays faithful; ResNet-50's `auto` on a CPU with VNNI;
- with --processes, the rows of more than one thread run the fast runtime with the shop's
  own embed_catalog code (recommender.embedding_processes): one worker process per core,
  pinned to it, each handed batches of `batch` photos (embed_catalog's --batch-size); the
  baseline is still one PyTorch process with that many threads;
- on --device cuda: `cuda fp16` (the torch path on the GPU, fp16 autocast, pipelined)
  instead of the CPU runtimes.

images/s over --images photos (after two warm-up batches), the ratio to the baseline of the
same row (the two timed in turn --repeats times: medians, and the lowest ratio), and the
faithfulness over --quality-images real photos of the shared Kaggle sample (the first ids,
without the calibration photos): cosine min / mean of the stored vectors and of the pooled
shape descriptors to fp32, and precision@10 (articleType, and
articleType + baseColour) of recommender.evaluation on those photos, fp32 vs fast.

ResNet-50: the pretrained weights cannot be downloaded on the team's machines, so the
benchmark uses torchvision's architecture with seeded random weights whose batch-norm
statistics are re-estimated on the 64 calibration photos (labelled `resnet50*`): its speed
is the real one, its faithfulness indicative, its precision meaningless. When the real
weights are present (RECOMMENDER_RESNET50_WEIGHTS or the torch cache), they are used.

Prints JSON on stdout and a table on stderr.
"""

import argparse
import contextlib
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.base")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from more_itertools import chunked  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from recommender.backbones import (  # noqa: E402
    BACKBONES,
    BackboneChoice,
    ResNet50,
    choose_backbone,
    local_resnet50_weights,
)
from recommender.embedding import Embedder, embed_files, fingerprint, vector_model  # noqa: E402
from recommender.embedding_processes import embedding_executor  # noqa: E402
from recommender.evaluation import evaluate  # noqa: E402
from recommender.preprocessing import read_photos  # noqa: E402
from recommender.runtimes import choice as runtime_choice  # noqa: E402
from recommender.runtimes import engines, model_files  # noqa: E402

# torch is imported where it is used, not above: the --processes workers import this script
# as their main module before they pin themselves to a core, and torch imported before the
# pinning makes OpenVINO about a fifth slower (docs/benchmarks.md).

DATASET = Path("/work/shared/datasets/fashion-products")
CPU_RUNTIMES = ("onnx fp32", "onnx int8", "openvino int8")  # the rows of cpu_engines


def sample(dataset, count):
    """The first `count` photos by id of the labelled sample, without the calibration photos."""
    calibration = {file.name for file in model_files.calibration_files()}
    labels = {}
    with open(dataset / "styles.csv", newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            labels[row["id"]] = (row["articleType"], row["baseColour"])
    files = sorted((dataset / "images").glob("*.jpg"), key=lambda path: int(path.stem))
    chosen = [file for file in files if file.name not in calibration and file.stem in labels][
        :count
    ]
    return chosen, [labels[file.stem] for file in chosen]


def resnet50_backbone(device, workdir):
    """ResNet-50 with the real weights when present, else random weights with batch-norm
    statistics from the calibration photos, saved to workdir for the worker processes."""
    weights = local_resnet50_weights()
    if weights:
        return ResNet50.load(weights, device), "resnet50", BackboneChoice("resnet50", weights)
    import torch
    from torchvision.models import resnet50

    torch.manual_seed(0)
    model = resnet50(weights=None)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # a plain average over the batches
    backbone = ResNet50(model, "cpu")  # before train(): the constructor puts the model in eval mode
    model.train()
    with torch.no_grad():
        for batch in model_files.calibration_batches(
            backbone, model_files.calibration_files(), size=16
        ):
            model(batch)
    weights = workdir / "resnet50-bn-estimated.pth"
    torch.save(model.state_dict(), weights)
    return ResNet50(model.eval(), device), "resnet50*", BackboneChoice("resnet50", weights)


def torch_backbone(name, device, workdir):
    """(backbone, label, BackboneChoice); the settings then name its weights, as the shop's own
    code (worker processes, model files, vector model) reads them."""
    if name == "resnet50":
        backbone, label, choice = resnet50_backbone(device, workdir)
        settings.RECOMMENDER_RESNET50_WEIGHTS = str(choice.weights_path)
        return backbone, label, choice
    choice = choose_backbone(name)
    return BACKBONES[name].load(choice.weights_path, device), name, choice


ENGINES = {
    "onnx fp32": (engines.OnnxBackbone, "onnx"),
    "onnx int8": (engines.OnnxBackbone, "onnx-int8"),
    "openvino int8": (engines.OpenVinoBackbone, "openvino-int8"),
}


def cpu_engines(backbone, choice, model, label):
    """{row name: (threads, processes) -> context manager of an embedder} for the CPU runtimes,
    their model files built once (into RECOMMENDER_MODEL_DIR); with `processes`, more than
    one thread is as many worker processes."""
    started = time.perf_counter()
    for runtime in ("onnx", "onnx-int8"):
        model_files.model_file(backbone, choice, runtime)
    print(f"{label}: ONNX models built in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    def maker(engine, runtime):
        def make(threads, processes=False):
            if processes and threads > 1:
                return WorkerProcesses(choice.name, runtime, threads)
            path = model_files.model_file(backbone, choice, runtime)
            return contextlib.nullcontext(Embedder(engine(backbone, path, cores=threads), model))

        return make

    return {fast_name: maker(engine, runtime) for fast_name, (engine, runtime) in ENGINES.items()}


class WorkerProcesses:
    """embed_catalog's worker processes (recommender.embedding_processes) with a runtime,
    each handed `chunk` photos at a time, as embed_catalog hands them its batches."""

    def __init__(self, backbone_name, runtime, processes):
        settings.RECOMMENDER_RUNTIME = runtime  # the workers take the caller's settings
        started = runtime_choice.resolve_runtime(choose_backbone(backbone_name), runtime)
        if started != runtime:
            raise SystemExit(
                f"--processes: the workers would run {started}, not {runtime}, on this machine."
            )
        self.backbone_name = backbone_name
        self.executor = embedding_executor(backbone_name, processes, fingerprint(backbone_name))
        # Until every worker has started (its embedder loaded): a pause keeps a ready worker
        # from taking the tasks of one still starting.
        while len(set(self.executor.map(worker_id, [0.2] * processes))) < processes:
            pass

    def vectors_of_files(self, files, chunk):
        futures = [
            self.executor.submit(embed_files, part, self.backbone_name)
            for part in chunked(files, chunk)
        ]
        return np.concatenate([future.result() for future in futures])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.executor.shutdown()


def worker_id(pause):
    time.sleep(pause)
    return os.getpid()


def pin(threads):
    import torch

    cpus = sorted(os.sched_getaffinity(0) | set(range(os.cpu_count() or 1)))[:threads]
    os.sched_setaffinity(0, cpus)
    torch.set_num_threads(threads)


def baseline(embedder, files, batch):
    """Today's path: decode a batch, then embed it."""
    return np.concatenate(
        [
            embedder.vectors(read_photos(files[start : start + batch]))
            for start in range(0, len(files), batch)
        ]
    )


def pipelined(embedder, files, batch):
    return embedder.vectors_of_files(files, chunk=batch)


def throughput(run, embedder, files, batch):
    """images/s; NumPy's BLAS on one thread for every row, as in Embedder.vectors_of_files."""
    with threadpool_limits(limits=1, user_api="blas"):
        run(embedder, files[: 2 * batch], batch)  # warm-up: a batch for each of two workers
        started = time.perf_counter()
        run(embedder, files, batch)
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return len(files) / (time.perf_counter() - started)


def side_by_side(reference, make, files, batch, threads, repeats, processes):
    """The baseline and a fast engine (a fresh one each time: no other engine's threads alive)
    timed in turn `repeats` times; the medians, since the team's machines are shared."""
    base, quick = [], []
    for _ in range(repeats):
        base.append(throughput(baseline, reference, files, batch))
        with make(threads, processes) as fast:
            quick.append(throughput(pipelined, fast, files, batch))
    ratios = [fast / slow for fast, slow in zip(quick, base)]
    return {
        "threads": threads,
        "processes": threads if processes and threads > 1 else 1,
        "batch": batch,
        "baseline": "torch fp32",
        "baseline_images_s": round(statistics.median(base), 1),
        "fast_images_s": round(statistics.median(quick), 1),
        "ratio": round(statistics.median(ratios), 2),
        "ratio_min": round(min(ratios), 2),
    }


def descriptors_and_vectors(embedder, files, batch=16):
    shapes, vectors = [], []
    for start in range(0, len(files), batch):
        shape, colour = embedder.descriptors(read_photos(files[start : start + batch]))
        shapes.append(shape)
        vectors.append(embedder.model.vectors(shape, colour))
    return np.concatenate(shapes), np.concatenate(vectors)


def cosines(a, b):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backbones", default="efficientnet_lite0,resnet50")
    parser.add_argument("--runtimes", default=",".join(CPU_RUNTIMES), help="the CPU rows to time")
    parser.add_argument("--threads", default="1,2", help="comma-separated; ignored on cuda")
    parser.add_argument("--batches", default="1,16")
    parser.add_argument("--images", type=int, default=128, help="timed photos per row")
    parser.add_argument("--repeats", type=int, default=3, help="timings per row (medians reported)")
    parser.add_argument("--quality-images", type=int, default=500)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument(
        "--processes",
        action="store_true",
        help="run the fast runtime's rows of more than one thread as that many worker processes",
    )
    parser.add_argument("--dataset", type=Path, default=DATASET)
    args = parser.parse_args()
    threads_list = (
        [int(n) for n in args.threads.split(",")] if args.device == "cpu" else [os.cpu_count()]
    )
    chosen_runtimes = [name.strip() for name in args.runtimes.split(",")]
    unknown = set(chosen_runtimes) - set(CPU_RUNTIMES)
    if unknown:
        parser.error(
            f"--runtimes: unknown {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(CPU_RUNTIMES)}"
        )
    if len(threads_list) > 1:
        return one_process_per_thread_count(threads_list, args)
    files, labels = sample(args.dataset, max(args.images, args.quality_images))
    timed = files[: args.images]
    batches = [int(n) for n in args.batches.split(",")]
    rows, quality = [], {}
    workdir = Path(tempfile.mkdtemp(prefix="embed-throughput-"))
    settings.RECOMMENDER_MODEL_DIR, settings.RECOMMENDER_DEVICE = workdir, args.device
    for name in args.backbones.split(","):
        pin(max(threads_list))
        backbone, label, choice = torch_backbone(name, args.device, workdir)
        model = vector_model(choice.name, "torch")
        reference = Embedder(backbone, model)
        if args.device == "cuda":
            reference.half_on_gpu = False  # the fp32 baseline on the same GPU
            fasts = {
                "cuda fp16": lambda threads, processes=False, backbone=backbone, model=model: (
                    contextlib.nullcontext(Embedder(backbone, model))
                )
            }
        else:
            engines = cpu_engines(backbone, choice, model, label)
            fasts = {
                fast_name: make
                for fast_name, make in engines.items()
                if fast_name in chosen_runtimes
            }
        for threads in threads_list:
            if args.device == "cpu":
                pin(threads)
            for batch in batches:
                for fast_name, make in fasts.items():
                    rows.append(
                        side_by_side(
                            reference, make, timed, batch, threads, args.repeats, args.processes
                        )
                        | {"backbone": label, "fast": fast_name}
                    )
                    print(json.dumps(rows[-1]), file=sys.stderr)
        if args.quality_images:
            pin(max(threads_list))
            chosen, chosen_labels = files[: args.quality_images], labels[: args.quality_images]
            shape32, vectors32 = descriptors_and_vectors(reference, chosen)
            types, colours = zip(*chosen_labels)
            for fast_name, make in fasts.items():
                with make(
                    max(threads_list)
                ) as fast:  # in-process: the same engine makes the same vectors
                    shape8, vectors8 = descriptors_and_vectors(fast, chosen)
                vector_cos, shape_cos = cosines(vectors32, vectors8), cosines(shape32, shape8)
                quality[(label, fast_name)] = {
                    "backbone": label,
                    "photos": len(chosen),
                    "fast": fast_name,
                    "vector_cosine_min": round(float(vector_cos.min()), 4),
                    "vector_cosine_mean": round(float(vector_cos.mean()), 4),
                    "descriptor_cosine_min": round(float(shape_cos.min()), 4),
                    "descriptor_cosine_mean": round(float(shape_cos.mean()), 4),
                    "fp32": evaluate(vectors32, types, colours),
                    "fast_eval": evaluate(vectors8, types, colours),
                }
                print(json.dumps(quality[(label, fast_name)]), file=sys.stderr)
    print(
        json.dumps(
            {"device": args.device, "rows": rows, "quality": list(quality.values())}, indent=2
        )
    )
    print(table(rows, quality), file=sys.stderr)


def one_process_per_thread_count(threads_list, args):
    """Run this script once per --threads value and merge the results: OpenVINO sizes its
    thread pool from the cores the process may use when it first runs, so a process pinned
    to one core first would time the 2-core rows on one core too."""
    rows, quality = [], []
    for threads in threads_list:
        quality_images = (
            args.quality_images if threads == max(threads_list) else 0
        )  # once, on every core
        command = [
            sys.executable,
            __file__,
            "--backbones",
            args.backbones,
            "--runtimes",
            args.runtimes,
            "--batches",
            args.batches,
            *(["--processes"] if args.processes else []),
            "--images",
            str(args.images),
            "--repeats",
            str(args.repeats),
            "--dataset",
            str(args.dataset),
            "--threads",
            str(threads),
            "--quality-images",
            str(quality_images),
        ]
        result = json.loads(
            subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
        )
        rows += result["rows"]
        quality += result["quality"]
    print(json.dumps({"device": "cpu", "rows": rows, "quality": quality}, indent=2))
    print(table(rows, {(q["backbone"], q["fast"]): q for q in quality}), file=sys.stderr)


def table(rows, quality):
    lines = [
        "| backbone | threads | batch | torch fp32 images/s | fast runtime | images/s "
        "| ratio (lowest) | stored-vector cosine min / mean | descriptor cosine min / mean "
        "| P@10 type fp32 → fast | P@10 type+colour fp32 → fast |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        q = quality.get((row["backbone"], row["fast"]))
        faithful = (
            (
                f"{q['vector_cosine_min']:.4f} / {q['vector_cosine_mean']:.4f}",
                f"{q['descriptor_cosine_min']:.4f} / {q['descriptor_cosine_mean']:.4f}",
                f"{q['fp32']['precision_article_type']:.4f} → "
                f"{q['fast_eval']['precision_article_type']:.4f}",
                f"{q['fp32']['precision_article_type_colour']:.4f} → "
                f"{q['fast_eval']['precision_article_type_colour']:.4f}",
            )
            if q
            else ("—",) * 4
        )
        workers = f"{row['threads']} processes" if row.get("processes", 1) > 1 else row["threads"]
        lines.append(
            f"| {row['backbone']} | {workers} | {row['batch']} | {row['baseline_images_s']} | "
            f"{row['fast']} | {row['fast_images_s']} | **{row['ratio']}×** ({row['ratio_min']}) | "
            + " | ".join(faithful)
            + " |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
