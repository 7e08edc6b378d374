"""recommender.runtimes.model_files: the ONNX files, int8 with sensitive layers in fp32."""

import time
from concurrent.futures import ThreadPoolExecutor

from recommender import embedding
from recommender.backbones import choose_backbone
from recommender.runtimes import choice as runtime_choice
from recommender.runtimes import model_files


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
