"""recommender.runtimes.choice: which runtime runs, and what gives way to what."""

import functools
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from recommender import embedding
from recommender.backbones import BackboneChoice, choose_backbone
from recommender.embedding import vector_model
from recommender.runtimes import choice as runtime_choice
from recommender.runtimes import engines, model_files


def test_auto_picks_the_backbones_fastest_faithful_cpu_runtime_that_is_installed(
    settings, monkeypatch
):
    pytest.importorskip("openvino")
    monkeypatch.setattr(runtime_choice, "cpu_has_vnni", lambda: True)
    settings.RECOMMENDER_DEVICE = "cpu"
    resnet50 = BackboneChoice("resnet50", None)
    assert (
        runtime_choice.resolve_runtime(choose_backbone("efficientnet_lite0"), "auto") == "onnx-int8"
    )
    assert runtime_choice.resolve_runtime(resnet50, "auto") == "openvino-int8"
    monkeypatch.setitem(sys.modules, "openvino", None)  # "import openvino" now fails
    assert runtime_choice.resolve_runtime(resnet50, "auto") == "onnx-int8"
    monkeypatch.setattr(runtime_choice, "cpu_has_vnni", lambda: False)
    assert runtime_choice.resolve_runtime(resnet50, "auto") == "onnx"
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    assert runtime_choice.resolve_runtime(resnet50, "auto") == "torch"
    settings.RECOMMENDER_DEVICE = "cuda"
    monkeypatch.delitem(sys.modules, "openvino")
    assert (
        runtime_choice.resolve_runtime(resnet50, "auto") == "torch"
    )  # on a GPU: torch with fp16 autocast


def test_a_cpu_without_vnni_gets_no_int8_runtime(settings, monkeypatch, caplog):
    # Its int8 products saturate: vectors at cosine 0.965 of the reference (docs/benchmarks.md).
    monkeypatch.setattr(runtime_choice, "cpu_has_vnni", lambda: False)
    settings.RECOMMENDER_DEVICE = "cpu"
    assert runtime_choice.resolve_runtime(choose_backbone("efficientnet_lite0"), "auto") == "onnx"
    assert (
        runtime_choice.resolve_runtime(choose_backbone("efficientnet_lite0"), "onnx-int8") == "onnx"
    )  # as auto
    assert "this CPU has no VNNI instructions" in caplog.text and "using onnx" in caplog.text


def test_without_the_runtime_packages_the_runtime_falls_back_to_torch(
    settings, monkeypatch, caplog
):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # "import onnxruntime" now fails
    monkeypatch.setitem(sys.modules, "openvino", None)
    for requested in ("onnx", "onnx-int8", "openvino-int8", "auto"):
        settings.RECOMMENDER_RUNTIME = requested
        assert vector_model().runtime == "torch"
        assert not isinstance(embedding.default_embedder().backbone, engines.CompiledBackbone)
    assert (
        "onnxruntime is not installed" in caplog.text and "openvino is not installed" in caplog.text
    )


def test_a_model_that_cannot_be_built_gives_way_to_the_next_runtime(settings, monkeypatch, caplog):
    monkeypatch.setattr(runtime_choice, "cpu_has_vnni", lambda: True)
    settings.RECOMMENDER_RUNTIME = "onnx-int8"
    settings.RECOMMENDER_MODEL_DIR = settings.RECOMMENDER_MODEL_DIR / "empty"
    monkeypatch.setattr(
        model_files, "build_int8_model", lambda *args: (_ for _ in ()).throw(OSError("disk full"))
    )
    monkeypatch.setattr(
        embedding, "_embedder", functools.cache(embedding._embedder.__wrapped__)
    )  # a fresh cache
    embedder = embedding.default_embedder()
    assert isinstance(embedder.backbone, engines.OnnxBackbone)
    assert (
        embedder.model.runtime == "onnx" == vector_model().runtime
    )  # the fp32 model, and int8 not tried again
    assert (
        embedding.default_embedder() is embedder
    )  # asked again (now for onnx): the same session, not a second
    assert "Cannot use the onnx-int8 model of efficientnet_lite0" in caplog.text
    choice = choose_backbone()
    assert (
        choice.name,
        choice.weights_id,
        "openvino-int8",
    ) in runtime_choice._failed_runtimes  # reads the same file
    monkeypatch.setattr(
        model_files, "build_fp32_model", lambda *args: (_ for _ in ()).throw(OSError("disk full"))
    )
    runtime_choice._failed_runtimes.clear()
    monkeypatch.setattr(embedding, "_embedder", functools.cache(embedding._embedder.__wrapped__))
    settings.RECOMMENDER_MODEL_DIR = settings.RECOMMENDER_MODEL_DIR / "still-empty"
    embedder = embedding.default_embedder()
    assert not isinstance(embedder.backbone, engines.CompiledBackbone)
    assert (
        embedder.model.runtime == "torch" == vector_model().runtime
    )  # neither model: the reference


def test_an_unknown_runtime_is_refused(settings):
    settings.RECOMMENDER_RUNTIME = "tensorrt"
    with pytest.raises(ImproperlyConfigured, match="RECOMMENDER_RUNTIME"):
        embedding.default_embedder()


def test_working_out_the_fingerprint_imports_no_runtime():
    # A web process searching by a catalogue product only needs the fingerprint.
    code = (
        "import os, sys, django; "
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'fashionsite.settings.test'; "
        "django.setup(); from recommender.embedding import fingerprint; fingerprint(); "
        "print(sorted({'torch', 'onnxruntime', 'openvino'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "RECOMMENDER_RUNTIME": "auto", "RECOMMENDER_DEVICE": ""},
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
