"""RECOMMENDER_RUNTIME: ONNX Runtime (fp32, int8) and OpenVINO (int8) against
the PyTorch fp32 reference."""

import functools
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured

from catalog.images import open_photo
from recommender import embedding
from recommender.backbones import BackboneChoice, choose_backbone, load_backbone
from recommender.background import catalogue_style
from recommender.embedding import Embedder, embed_files, fingerprint, vector_model
from recommender.runtimes import choice as runtime_choice
from recommender.runtimes import cpu, engines, model_files
from tests.conftest import DEMO_CATALOGUE

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

# Demo photos that are not among the 64 calibration photos.
PHOTOS = sorted((DEMO_CATALOGUE / "images").glob("*.jpg"))[model_files.CALIBRATION_PHOTOS :][::25][
    :16
]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def runtime_settings(settings, model_dir, monkeypatch):
    settings.RECOMMENDER_MODEL_DIR = model_dir
    monkeypatch.setattr(runtime_choice, "_failed_runtimes", set())


def torch_vectors():
    return Embedder(load_backbone(), vector_model(None, "torch")).vectors_of_files(PHOTOS)


def cosines(a, b):
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


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


def test_vnni_is_read_from_the_cpus_flags(tmp_path):
    for number, (flags, expected) in enumerate(
        (("avx2 avx512f avx512_vnni", True), ("avx2 avx_vnni", True), ("avx2 fma", False))
    ):
        cpuinfo = tmp_path / f"cpuinfo{number}"
        cpuinfo.write_text(f"processor\t: 0\nflags\t\t: fpu sse2 {flags}\n")
        assert cpu.cpu_has_vnni(cpuinfo) is expected
    assert cpu.cpu_has_vnni(tmp_path / "missing") is False  # no /proc/cpuinfo: not Linux


def test_a_containers_cpu_quota_caps_the_cores(tmp_path):
    cpu_max = tmp_path / "cpu.max"
    every_core = cpu.available_cores(tmp_path / "missing")  # no cgroup v2 file: the affinity
    cpu_max.write_text("max 100000\n")  # no quota
    assert cpu.available_cores(cpu_max) == every_core
    cpu_max.write_text("100000 100000\n")  # --cpus=1
    assert cpu.available_cores(cpu_max) == 1
    cpu_max.write_text("50000 100000\n")  # --cpus=0.5
    assert cpu.available_cores(cpu_max) == 1


def test_onnx_fp32_gives_the_reference_vectors_under_the_same_fingerprint(settings):
    reference = torch_vectors()
    settings.RECOMMENDER_RUNTIME = "onnx"
    assert vector_model().runtime == "onnx"
    assert isinstance(embedding.default_embedder().backbone, engines.OnnxBackbone)
    assert cosines(embed_files(PHOTOS), reference).min() >= 0.9999
    settings.RECOMMENDER_RUNTIME = "torch"
    assert fingerprint() == vector_model(None, "onnx").fingerprint


def test_the_embedders_workers_return_the_vectors_in_order():
    reference = load_backbone()
    backbone = engines.OnnxBackbone(
        reference, model_files.model_file(reference, choose_backbone(), "onnx"), cores=2
    )
    embedder = Embedder(backbone, vector_model(None, "torch"))
    together = embedder.vectors_of_files(PHOTOS, chunk=3)  # 6 chunks for 2 workers
    one_by_one = np.concatenate([embedder.vectors_of_chunk([photo]) for photo in PHOTOS])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)
    assert embedder.vectors_of_files([]).shape == (0, embedder.model.size)
    views = [
        catalogue_style(open_photo(photo)) for photo in PHOTOS[:3]
    ]  # 2 and 1 for the 2 workers
    np.testing.assert_allclose(
        embedder.vectors_of_views(views), embedder.vectors(views, styled=True), atol=1e-5
    )


def test_a_photo_that_cannot_be_read_stops_the_workers_with_its_error(tmp_path):
    reference = load_backbone()
    backbone = engines.OnnxBackbone(
        reference, model_files.model_file(reference, choose_backbone(), "onnx"), cores=2
    )
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a photo")
    with pytest.raises(
        OSError
    ):  # services.store_batch then embeds the photos one by one to find it
        Embedder(backbone, vector_model(None, "torch")).vectors_of_files(
            [*PHOTOS[:3], broken, *PHOTOS[3:]], chunk=2
        )


class CountingBackbone:
    """The torch backbone, slowed down, counting how many of its calls run at once."""

    def __init__(self, parallel_calls):
        self.reference, self.parallel_calls = load_backbone(), parallel_calls
        self.running = self.most_at_once = 0
        self.lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(self.reference, name)

    def feature_maps(self, batch):
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(0.05)
        maps = self.reference.feature_maps(batch)
        with self.lock:
            self.running -= 1
        return maps


@pytest.mark.parametrize("parallel_calls", [1, 2])
def test_the_workers_make_at_most_the_backbones_parallel_calls_at_once(parallel_calls):
    backbone = CountingBackbone(parallel_calls)
    Embedder(backbone, vector_model(None, "torch")).vectors_of_files(PHOTOS[:8], chunk=1)
    assert backbone.most_at_once == parallel_calls


@pytest.mark.parametrize("runtime", ["onnx-int8", "openvino-int8"])
def test_int8_is_faithful_to_the_reference_so_it_shares_its_fingerprint(settings, runtime):
    pytest.importorskip(runtime_choice.PACKAGES[runtime])
    if not cpu.cpu_has_vnni():
        pytest.skip("this CPU has no VNNI: the int8 runtimes are not used on it")
    reference = torch_vectors()
    torch_fingerprint = fingerprint()
    settings.RECOMMENDER_RUNTIME = runtime
    assert vector_model().runtime == runtime and fingerprint() == torch_fingerprint
    vectors = embed_files(PHOTOS)
    assert model_files.model_path(choose_backbone(), runtime).is_file()
    # The layers kept in fp32 keep the vectors this close (docs/benchmarks.md).
    assert cosines(vectors, reference).min() >= 0.99


def test_the_int8_model_keeps_the_backbones_sensitive_layers_in_fp32(settings, monkeypatch):
    import onnx

    monkeypatch.setattr(
        runtime_choice, "cpu_has_vnni", lambda: True
    )  # the model file is the same on any CPU
    settings.RECOMMENDER_RUNTIME = "onnx-int8"
    embedding.default_embedder()
    graph = onnx.load(str(model_files.model_path(choose_backbone(), "onnx-int8"))).graph
    convs = {
        node.name: [
            producer.op_type for producer in graph.node if set(producer.output) & set(node.input)
        ]
        for node in graph.node
        if node.op_type == "Conv"
    }
    assert "DequantizeLinear" not in convs["/conv_stem/Conv"]  # fp32 weights and input
    assert "DequantizeLinear" in convs["/conv_head/Conv"]  # int8 weights and input


def test_processes_that_need_a_missing_model_at_once_build_it_once(settings, monkeypatch):
    settings.RECOMMENDER_MODEL_DIR = settings.RECOMMENDER_MODEL_DIR / "built-once"
    builds = []

    def slow_build(backbone, path):
        builds.append(path)
        time.sleep(0.3)  # the others ask meanwhile
        path.write_bytes(b"model")

    monkeypatch.setattr(model_files, "build_fp32_model", slow_build)
    # flock locks each open file, so threads contend for it as processes do.
    with ThreadPoolExecutor(max_workers=3) as pool:
        paths = [
            future.result()
            for future in [
                pool.submit(model_files.model_file, None, choose_backbone(), "onnx")
                for _ in range(3)
            ]
        ]
    assert builds == [model_files.model_path(choose_backbone(), "onnx")] and set(paths) == set(
        builds
    )


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
