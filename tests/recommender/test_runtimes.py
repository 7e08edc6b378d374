"""RECOMMENDER_RUNTIME: ONNX Runtime (fp32, int8) against the PyTorch fp32 reference."""
import sys

import numpy as np
import pytest

from recommender import embedding, runtimes
from recommender.backbones import choose_backbone, load_backbone
from recommender.embedding import Embedder, embed_files, fingerprint, vector_model
from tests.conftest import DEMO_CATALOGUE

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

# Demo photos that are not among the 64 calibration photos.
PHOTOS = sorted((DEMO_CATALOGUE / "images").glob("*.jpg"))[runtimes.CALIBRATION_PHOTOS:][::25][:16]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def runtime_settings(settings, model_dir, monkeypatch):
    settings.RECOMMENDER_MODEL_DIR = model_dir
    monkeypatch.setattr(runtimes, "_failed_builds", set())


def torch_vectors():
    return Embedder(load_backbone(), vector_model(None, "torch")).vectors_of_files(PHOTOS)


def cosines(a, b):
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_torch_is_the_default_runtime(settings):
    assert runtimes.resolve_runtime(choose_backbone()) == "torch"
    settings.RECOMMENDER_RUNTIME = "torch"
    assert vector_model().runtime == "torch"


def test_onnx_fp32_gives_the_reference_vectors_under_the_same_fingerprint(settings):
    reference = torch_vectors()
    settings.RECOMMENDER_RUNTIME = "onnx"
    assert vector_model().runtime == "onnx"
    assert isinstance(embedding.default_embedder().backbone, runtimes.OnnxBackbone)
    assert cosines(embed_files(PHOTOS), reference).min() >= 0.9999
    settings.RECOMMENDER_RUNTIME = "torch"
    assert fingerprint() == vector_model(None, "onnx").fingerprint


def test_onnx_int8_is_close_to_the_reference_and_has_a_fingerprint_of_its_own(settings):
    reference = torch_vectors()
    torch_fingerprint = fingerprint()
    settings.RECOMMENDER_RUNTIME = "onnx-int8"
    assert fingerprint() != torch_fingerprint and "-int8q" in fingerprint()
    vectors = embed_files(PHOTOS)
    assert runtimes.model_path(choose_backbone(), "onnx-int8").is_file()
    # The faithfulness bar of docs/benchmarks.md, met thanks to the layers kept in fp32.
    assert cosines(vectors, reference).min() >= 0.99


def test_the_int8_model_keeps_the_backbones_sensitive_layers_in_fp32(settings):
    import onnx

    settings.RECOMMENDER_RUNTIME = "onnx-int8"
    embedding.default_embedder()
    graph = onnx.load(str(runtimes.model_path(choose_backbone(), "onnx-int8"))).graph
    convs = {node.name: [producer.op_type for producer in graph.node if set(producer.output) & set(node.input)]
             for node in graph.node if node.op_type == "Conv"}
    assert "DequantizeLinear" not in convs["/conv_stem/Conv"]  # fp32 weights and input
    assert "DequantizeLinear" in convs["/conv_head/Conv"]  # int8 weights and input


def test_without_onnxruntime_the_runtime_falls_back_to_torch(settings, monkeypatch, caplog):
    torch_fingerprint = fingerprint()
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # "import onnxruntime" now fails
    for requested in ("onnx", "onnx-int8", "auto"):
        settings.RECOMMENDER_RUNTIME = requested
        assert fingerprint() == torch_fingerprint
        assert not isinstance(embedding.default_embedder().backbone, runtimes.OnnxBackbone)
    assert "onnxruntime is not installed" in caplog.text


def test_a_model_that_cannot_be_built_falls_back_to_torch(settings, monkeypatch, caplog):
    torch_fingerprint = fingerprint()
    settings.RECOMMENDER_RUNTIME = "onnx-int8"
    settings.RECOMMENDER_MODEL_DIR = settings.RECOMMENDER_MODEL_DIR / "empty"
    monkeypatch.setattr(runtimes, "build_int8_model", lambda *args: (_ for _ in ()).throw(OSError("disk full")))
    monkeypatch.setattr(embedding, "_embedder", embedding._embedder.__wrapped__)  # no cached embedder
    embedder = embedding.default_embedder()
    assert not isinstance(embedder.backbone, runtimes.OnnxBackbone)
    assert embedder.model.fingerprint == torch_fingerprint == fingerprint()
    assert "Cannot use the onnx-int8 model" in caplog.text


def test_an_unknown_runtime_is_refused(settings):
    settings.RECOMMENDER_RUNTIME = "tensorrt"
    with pytest.raises(ValueError, match="RECOMMENDER_RUNTIME"):
        fingerprint()
