"""recommender.runtimes.engines: ONNX Runtime (fp32, int8) and OpenVINO (int8) against the
PyTorch fp32 reference, and the embedder's workers calling them."""

import threading
import time

import numpy as np
import pytest

from catalog.images import open_photo
from recommender import embedding
from recommender.backbones import choose_backbone, load_backbone
from recommender.background import catalogue_style
from recommender.embedding import Embedder, embed_files, fingerprint, vector_model
from recommender.runtimes import choice as runtime_choice
from recommender.runtimes import cpu, engines, model_files
from tests.recommender.runtimes.helpers import PHOTOS, cosines, torch_vectors


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
