"""The ONNX model files the runtimes read: a backbone exported in fp32, or quantised to int8
with its sensitive layers kept in fp32, built once into RECOMMENDER_MODEL_DIR by one process
while the others wait (reproducible: same weights, photos and versions, same file)."""

import functools
import hashlib
import logging
from pathlib import Path

from django.conf import settings
from filelock import FileLock
from more_itertools import chunked

from ..files import make_folder, write_atomically
from ..preprocessing import INPUT_SIZE, PREPROCESSING_VERSION, network_input, read_photos, squares

logger = logging.getLogger(__name__)

QUANTISATION_VERSION = 2  # bump when the export or the quantisation recipe changes
CALIBRATION_PHOTOS = 64
OPSET = 17


def calibration_dir():
    """The folder of the shipped demo catalogue's photos."""
    return Path(settings.BASE_DIR) / "data" / "demo-catalogue" / "images"


def calibration_files():
    """The first CALIBRATION_PHOTOS photos (by file name) of the demo
    catalogue: a fixed, shipped set."""
    return sorted(calibration_dir().glob("*.jpg"))[:CALIBRATION_PHOTOS]


def calibration_batches(backbone, files, size=8):
    """The backbone's input for the photo files as the embedder makes it, `size` photos a batch:
    float32 tensors of shape (size, 3, INPUT_SIZE, INPUT_SIZE), the last one smaller."""
    for batch in chunked(files, size):
        yield network_input(squares(read_photos(batch)), backbone.mean, backbone.std)


def model_dir():
    """Where the model files are built (RECOMMENDER_MODEL_DIR)."""
    return Path(
        getattr(settings, "RECOMMENDER_MODEL_DIR", None) or Path(settings.VAR_DIR) / "models"
    )


@functools.cache
def calibration_id():
    """8 hex digits of the SHA-256 of the calibration photos' names and contents."""
    digest = hashlib.sha256()
    for file in calibration_files():
        digest.update(file.name.encode())
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()[:8]


def is_int8(runtime):
    """Whether a runtime runs the int8 model file (both int8 runtimes read the same one)."""
    return runtime.endswith("-int8")


def model_path(backbone_choice, runtime):
    """The model file a runtime reads for a backbone, named by its weights and the versions
    that make it (both int8 runtimes read the same file)."""
    kind = (
        f"-int8q{QUANTISATION_VERSION}c{calibration_id()}"
        if is_int8(runtime)
        else f"-fp32q{QUANTISATION_VERSION}"
    )
    return (
        model_dir()
        / f"{backbone_choice.name}-{backbone_choice.weights_id}-p{PREPROCESSING_VERSION}{kind}.onnx"
    )


def export_onnx(backbone, path, input_size=INPUT_SIZE):
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
    torch.onnx.export(
        module,
        (example,),
        str(path),
        input_names=["pixels"],
        output_names=names,
        dynamic_axes={"pixels": {0: "n"}, **{name: {0: "n"} for name in names}},
        opset_version=OPSET,
        dynamo=False,
    )
    return path


def quantise_int8(fp32_path, int8_path, batches, fp32_layers=()):
    """Static QDQ quantisation: int8 per-channel weights, uint8 activations (VNNI's U8S8);
    the nodes of the modules named in fp32_layers (ONNX names them /module/...) stay fp32."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(batches)

        def get_next(self):
            batch = next(self.batches, None)
            return None if batch is None else {"pixels": batch}

    prepared = Path(str(fp32_path) + ".pre.onnx")
    quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
    kept = [
        node.name
        for node in onnx.load(str(prepared)).graph.node
        if any(node.name.startswith(f"/{layer}/") for layer in fp32_layers)
    ]
    quantize_static(
        str(prepared),
        str(int8_path),
        Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        nodes_to_exclude=kept,
    )
    prepared.unlink(missing_ok=True)
    return int8_path


def build_fp32_model(backbone, path):
    """Export `backbone` in fp32 into `path`."""
    write_atomically(path, lambda partial: export_onnx(backbone, partial))
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

    write_atomically(path, write)
    logger.info("Built %s (int8, calibrated on %s photos)", path, len(files))
    return path


def model_file(backbone, backbone_choice, runtime):
    """The ONNX file of a backbone for a runtime, built here the first time. One process
    builds it; the others that need it meanwhile (embed_catalog's worker processes, Celery
    workers) wait for it rather than each spending minutes building the same file."""
    path = model_path(backbone_choice, runtime)
    if path.is_file():
        return path
    make_folder(path.parent)  # readable by all: the file lock would create it with the umask
    with FileLock(path.with_suffix(".lock")):
        if not path.is_file():
            if is_int8(runtime):
                build_int8_model(backbone, path, calibration_files())
            else:
                build_fp32_model(backbone, path)
    return path
