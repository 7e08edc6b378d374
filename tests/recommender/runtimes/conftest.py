import pytest

from recommender.runtimes import choice as runtime_choice

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def runtime_settings(settings, model_dir, monkeypatch):
    settings.RECOMMENDER_MODEL_DIR = model_dir
    monkeypatch.setattr(runtime_choice, "_failed_runtimes", set())
