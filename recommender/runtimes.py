"""Where the backbone runs: PyTorch (the fp32 reference), ONNX Runtime, or OpenVINO with an int8 model.

RECOMMENDER_RUNTIME (read with a default, so the setting is optional):

- `torch`: the backbone in PyTorch, fp32 on the CPU; on a CUDA GPU with fp16 autocast
  (backbones.Backbone.feature_maps).
- `onnx`: the backbone exported to ONNX, fp32, run by ONNX Runtime on the CPU (1.5-3.7x
  PyTorch eager end to end on 2 cores; same vectors up to float rounding, cosine 1.0000).
- `onnx-int8`: the backbone exported to ONNX and statically quantised to int8 (QDQ,
  per-channel weights, uint8 activations calibrated on CALIBRATION_PHOTOS photos of the
  demo catalogue shipped in data/demo-catalogue/images), run by ONNX Runtime on the CPU.
  The layers a backbone names in `fp32_layers` stay in fp32: the first, high-resolution
  ones, where 8 bits lose the most (a per-layer sensitivity scan, docs/benchmarks.md).
  The model file is built once from the weights and those photos (`model_file`) into
  RECOMMENDER_MODEL_DIR (default VAR_DIR/models).
- `openvino-int8`: the same int8 model run by OpenVINO, which computes the fp32 layers in
  bf16 where the CPU has bf16 instructions (AVX512-BF16, AMX) and the backbone stays
  faithful with it (`bf16_faithful`), else in fp32.
- `auto` (default): on a CUDA GPU torch; on a CPU the backbone's `cpu_runtime` (the fastest
  one that stays faithful, docs/benchmarks.md: openvino-int8 for ResNet-50, onnx-int8 for
  EfficientNet-Lite0), else onnx-int8, else onnx, else torch, by what is installed and what
  the CPU can do.

The int8 runtimes run only on CPUs with VNNI (`cpu_has_vnni`): on an AVX2-only CPU their
products saturate and the vectors drift to cosine 0.965 of the reference (elsewhere, ARM or
not Linux, int8 is unmeasured). Without VNNI `auto` takes onnx (fp32: 1.8-3.5x torch for
EfficientNet-Lite0, 1.7-2.0x for ResNet-50 on 2 AVX2 cores), as does asking for int8.

Every runtime is faithful to the torch reference (vectors within cosine 0.99 on 500 real
photos, precision@10 within 0.01: docs/benchmarks.md), as the fp16 autocast on a GPU is, so
they all share the model's fingerprint: a web process, a CPU worker and a GPU worker
agree on which vectors to search whatever each runs, and changing the runtime re-embeds
nothing.

When the runtime asked for cannot run here (its package is not installed, the CPU cannot
run it faithfully, its model file cannot be built or loaded), the one `auto` picks runs
instead (torch when no other can), with a log line.
"""
import functools
import hashlib
import importlib.util
import logging
import os
import re
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .backbones import BACKBONES, default_device
from .file_lock import exclusive_lock

logger = logging.getLogger(__name__)

RUNTIMES = ("auto", "torch", "onnx", "onnx-int8", "openvino-int8")
PACKAGES = {"onnx": "onnxruntime", "onnx-int8": "onnxruntime", "openvino-int8": "openvino"}
QUANTISATION_VERSION = 2  # bump when the export or the quantisation recipe changes
CALIBRATION_PHOTOS = 64
OPSET = 17


def calibration_dir():
    return Path(settings.BASE_DIR) / "data" / "demo-catalogue" / "images"


def calibration_files():
    """The first CALIBRATION_PHOTOS photos (by file name) of the demo catalogue: a fixed, shipped set."""
    return sorted(calibration_dir().glob("*.jpg"))[:CALIBRATION_PHOTOS]


def calibration_batches(backbone, files, size=8):
    """The backbone's normalised input for the photo files, `size` photos a batch (tensors)."""
    from .embedding import Embedder

    prepare = Embedder(backbone, None)
    for start in range(0, len(files), size):
        yield prepare.normalised(prepare.prepared(files[start:start + size])[0])


def model_dir():
    return Path(getattr(settings, "RECOMMENDER_MODEL_DIR", None) or Path(settings.VAR_DIR) / "models")


def installed(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


_failed_runtimes = set()  # (backbone name, weights id, runtime) whose model could not be built or loaded here


def wants_gpu():
    return (settings.RECOMMENDER_DEVICE or default_device()).startswith("cuda")


def resolve_runtime(backbone_choice, requested=None):
    """The runtime that will really run: the setting, less what this machine cannot do."""
    requested = requested or getattr(settings, "RECOMMENDER_RUNTIME", "auto") or "auto"
    if requested not in RUNTIMES:
        # Not a ValueError, which embeddings_update takes for a photo that cannot be read.
        raise ImproperlyConfigured(f"RECOMMENDER_RUNTIME={requested!r}: use one of {', '.join(RUNTIMES)}.")
    if requested == "torch" or (requested == "auto" and wants_gpu()):
        return "torch"
    if requested == "auto":
        usable = [runtime for runtime in (BACKBONES[backbone_choice.name].cpu_runtime, "onnx-int8", "onnx")
                  if not unusable_because(backbone_choice, runtime)]
        return usable[0] if usable else "torch"
    reason = unusable_because(backbone_choice, requested)
    if reason:
        fallback = resolve_runtime(backbone_choice, "auto")
        logger.warning("RECOMMENDER_RUNTIME=%s: %s; using %s.", requested, reason, fallback)
        return fallback
    return requested


def unusable_because(backbone_choice, runtime):
    """Why this machine cannot run a (non-torch) runtime, or None when it can."""
    if not installed(PACKAGES[runtime]):
        return f"{PACKAGES[runtime]} is not installed (pip install -r requirements.txt)"
    if is_int8(runtime) and not cpu_has_vnni():
        return ("this CPU has no VNNI instructions, without which int8 products saturate and the vectors "
                "drift from the reference (cosine down to 0.965, docs/benchmarks.md)")
    if (backbone_choice.name, backbone_choice.weights_id, runtime) in _failed_runtimes:
        return "its model could not be built or loaded here"
    if not model_path(backbone_choice, runtime).is_file() and not (installed("onnx") and installed("onnxruntime")):
        return (f"{model_path(backbone_choice, runtime)} is missing and the onnx and onnxruntime packages "
                "(needed to build it) are not both installed")
    return None


@functools.cache
def cpu_has_vnni(cpuinfo=Path("/proc/cpuinfo")):
    """Whether this CPU has x86's VNNI (AVX-512 VNNI or AVX-VNNI), which multiplies uint8 by
    int8 and adds into 32 bits. Without it ONNX Runtime and OpenVINO add pairs of those
    products in 16 bits (AVX2's vpmaddubsw), which saturate. Read from /proc/cpuinfo (Linux);
    elsewhere the int8 runtimes are not used, since they were measured only on such CPUs."""
    try:
        flags = cpuinfo.read_text()
    except OSError:
        return False
    return re.search(r"\b(avx512_vnni|avx_vnni)\b", flags) is not None


@functools.cache
def calibration_id():
    digest = hashlib.sha256()
    for file in calibration_files():
        digest.update(file.name.encode())
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()[:8]


def is_int8(runtime):
    return runtime.endswith("-int8")


def model_path(backbone_choice, runtime):
    """Both int8 runtimes read the same file."""
    from .preprocessing import PREPROCESSING_VERSION

    kind = f"-int8q{QUANTISATION_VERSION}c{calibration_id()}" if is_int8(runtime) else f"-fp32q{QUANTISATION_VERSION}"
    return model_dir() / f"{backbone_choice.name}-{backbone_choice.weights_id}-p{PREPROCESSING_VERSION}{kind}.onnx"


def export_onnx(backbone, path, input_size=224):
    """The backbone's feature_maps as an ONNX graph with a dynamic batch axis, fp32."""
    import torch

    class Maps(torch.nn.Module):
        def __init__(self, backbone):
            super().__init__()
            self.model, self.backbone = backbone.model, backbone

        def forward(self, batch):
            return tuple(self.backbone.forward(batch))

    module = Maps(backbone).cpu().eval()
    example = torch.zeros(1, 3, input_size, input_size)
    with torch.no_grad():
        count = len(module(example))
    names = [f"maps{number}" for number in range(count)]
    torch.onnx.export(module, (example,), str(path), input_names=["pixels"], output_names=names,
                      dynamic_axes={"pixels": {0: "n"}, **{name: {0: "n"} for name in names}},
                      opset_version=OPSET, dynamo=False)
    return path


def quantise_int8(fp32_path, int8_path, batches, fp32_layers=()):
    """Static QDQ quantisation: int8 per-channel weights, uint8 activations (VNNI's U8S8);
    the nodes of the modules named in fp32_layers (ONNX names them /module/...) stay fp32."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(batches)

        def get_next(self):
            batch = next(self.batches, None)
            return None if batch is None else {"pixels": batch}

    prepared = Path(str(fp32_path) + ".pre.onnx")
    quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
    kept = [node.name for node in onnx.load(str(prepared)).graph.node
            if any(node.name.startswith(f"/{layer}/") for layer in fp32_layers)]
    quantize_static(str(prepared), str(int8_path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, nodes_to_exclude=kept)
    prepared.unlink(missing_ok=True)
    return int8_path


def written_atomically(path, write):
    """Call write(partial file) and move the result to `path`: a concurrent reader or builder
    never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    try:
        write(partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def build_fp32_model(backbone, path):
    written_atomically(path, lambda partial: export_onnx(backbone, partial))
    logger.info("Built %s (fp32)", path)
    return path


def build_int8_model(backbone, path, files):
    """Export and quantise `backbone` into `path`, calibrated on the photo files (reproducible:
    same weights, same photos, same versions -> same file)."""
    batches = [batch.numpy() for batch in calibration_batches(backbone, files)]

    def write(partial):
        fp32 = partial.with_suffix(".fp32.onnx")
        try:
            quantise_int8(export_onnx(backbone, fp32), partial, batches, backbone.fp32_layers)
        finally:
            fp32.unlink(missing_ok=True)

    written_atomically(path, write)
    logger.info("Built %s (int8, calibrated on %s photos)", path, len(files))
    return path


def model_file(backbone, backbone_choice, runtime):
    """The ONNX file of a backbone for a runtime, built here the first time. One process
    builds it; the others that need it meanwhile (embed_catalog's worker processes, Celery
    workers) wait for it rather than each spending minutes building the same file."""
    path = model_path(backbone_choice, runtime)
    if path.is_file():
        return path
    with exclusive_lock(path.with_suffix(".lock")):
        if not path.is_file():
            if is_int8(runtime):
                build_int8_model(backbone, path, calibration_files())
            else:
                build_fp32_model(backbone, path)
    return path


def available_cores(cpu_max=Path("/sys/fs/cgroup/cpu.max")):
    """The cores this process may use: its CPU affinity, capped by a cgroup v2 CPU quota (a
    container's --cpus, which the affinity does not show), rounded up."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        quota, period = cpu_max.read_text().split()
        return max(1, min(cores, -(-int(quota) // int(period))))
    except (OSError, ValueError):  # no cgroup v2 file, or "max": no quota
        return cores


class CompiledBackbone:
    """A model file run by another engine on `cores` cores (default: those the process may
    use), with the interface of backbones.Backbone. `parallel_calls`: how many calls the
    embedder makes at once (Embedder.vectors_of_files)."""

    parallel_calls = 1

    def __init__(self, reference, cores=None):
        self.name, self.descriptor_size = reference.name, reference.descriptor_size
        self.mean, self.std = reference.mean, reference.std
        self.device = "cpu"
        self.cores = cores or available_cores()

    @staticmethod
    def pixels(batch):
        return np.ascontiguousarray(batch.cpu().numpy(), dtype=np.float32)


class OnnxBackbone(CompiledBackbone):
    """An ONNX Runtime session, one call per core at once, each on its caller's thread: the
    embedder's workers each decode, run and pool a chunk of photos, which on two cores embeds
    1.3-1.5x as many photos a second as one call spread over both (docs/benchmarks.md)."""

    def __init__(self, reference, model_path, cores=None):
        import onnxruntime

        super().__init__(reference, cores)
        self.parallel_calls = self.cores
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])

    def feature_maps(self, batch):
        import torch

        return [torch.from_numpy(maps) for maps in self.session.run(None, {"pixels": self.pixels(batch)})]


def openvino_precision(reference):
    """What OpenVINO computes the int8 model's fp32 layers in: bf16 where the backbone stays
    faithful with it (OpenVINO uses it on CPUs with bf16 instructions), else f32."""
    return "bf16" if reference.bf16_faithful else "f32"


class OpenVinoBackbone(CompiledBackbone):
    """The model compiled by OpenVINO for this CPU, each call spread over the cores (one
    stream per core was slower, docs/benchmarks.md)."""

    def __init__(self, reference, model_path, cores=None):
        import openvino

        super().__init__(reference, cores)
        config = {"INFERENCE_PRECISION_HINT": openvino_precision(reference), "PERFORMANCE_HINT": "LATENCY",
                  "INFERENCE_NUM_THREADS": self.cores,
                  "ENABLE_CPU_PINNING": False}  # worker processes and the embedder's workers share the cores
        self.compiled = openvino.Core().compile_model(str(model_path), "CPU", config)

    def feature_maps(self, batch):
        import torch

        request = self.compiled.create_infer_request()  # one per call: callers may be threads
        results = request.infer({0: self.pixels(batch)})
        return [torch.from_numpy(np.array(results[output])) for output in self.compiled.outputs]


ENGINES = {"onnx": OnnxBackbone, "onnx-int8": OnnxBackbone, "openvino-int8": OpenVinoBackbone}


def runtime_backbone(backbone, backbone_choice, runtime):
    """The backbone to embed with for a resolved runtime, or None when its model cannot be
    built or loaded here (recorded, so that resolve_runtime no longer picks it)."""
    if runtime == "torch":
        return backbone
    try:
        return ENGINES[runtime](backbone, model_file(backbone, backbone_choice, runtime))
    except Exception:  # noqa: BLE001 - any failure to build or load: the fp32 reference still works
        logger.exception("Cannot use the %s model of %s.", runtime, backbone_choice.name)
        path = model_path(backbone_choice, runtime)
        failed = [runtime]
        if not path.is_file():  # not built: no runtime that reads this file can run
            failed = [other for other in ENGINES if model_path(backbone_choice, other) == path]
        _failed_runtimes.update((backbone_choice.name, backbone_choice.weights_id, other) for other in failed)
        return None
