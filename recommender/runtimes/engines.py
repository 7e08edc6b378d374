"""The model files run by ONNX Runtime or OpenVINO, with the interface of backbones.Backbone."""

import logging

import numpy as np

from .choice import record_unusable
from .cpu import available_cores
from .model_files import model_file, model_path

logger = logging.getLogger(__name__)


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
        """A (N, 3, H, W) torch batch as a contiguous float32 NumPy array on the CPU."""
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
        self.session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )

    def feature_maps(self, batch):
        """Backbone.feature_maps, run by ONNX Runtime on the caller's thread."""
        import torch

        return [
            torch.from_numpy(maps)
            for maps in self.session.run(None, {"pixels": self.pixels(batch)})
        ]


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
        config = {
            "INFERENCE_PRECISION_HINT": openvino_precision(reference),
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_NUM_THREADS": self.cores,
            "ENABLE_CPU_PINNING": False,
        }  # worker processes and the embedder's workers share the cores
        self.compiled = openvino.Core().compile_model(str(model_path), "CPU", config)

    def feature_maps(self, batch):
        """Backbone.feature_maps, run by OpenVINO on the cores."""
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
        record_unusable(backbone_choice, failed)
        return None
