import io
import logging

import pytest
from django.core.management import call_command

from recommender import backbones, embedding, projection
from recommender.backbones import (
    BackboneChoice,
    BackboneUnavailable,
    choose_backbone,
    load_backbone,
)
from tests.catalog.test_import import make_folder
from tests.recommender.helpers import demo_rows


@pytest.fixture
def no_resnet50_weights(settings, tmp_path, monkeypatch):
    """No ResNet-50 weights on this machine (setting empty, empty torch cache)
    and no way to download them."""
    settings.RECOMMENDER_RESNET50_WEIGHTS = ""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(backbones, "can_download_resnet50", lambda *args, **kwargs: False)


def forget_models():
    """Forget this process's backbone choices, loaded backbones, projections and vector models,
    as a process started now would not have them."""
    for cache in (
        choose_backbone,
        load_backbone,
        projection.Projection.for_backbone,
        embedding._vector_model,
    ):
        cache.cache_clear()


@pytest.fixture
def fresh_models():
    """No model of other settings or projection folders, before and after the test."""
    forget_models()
    yield
    forget_models()


def test_efficientnet_lite0_uses_the_weights_shipped_in_its_package():
    choice = choose_backbone("efficientnet_lite0")
    assert choice.name == "efficientnet_lite0"
    assert choice.weights_path.is_file()


def test_auto_falls_back_to_efficientnet_lite0_without_resnet50_weights(no_resnet50_weights):
    assert choose_backbone("auto").name == "efficientnet_lite0"


def test_resnet50_without_weights_says_how_to_get_a_backbone(no_resnet50_weights):
    with pytest.raises(BackboneUnavailable) as raised:
        choose_backbone("resnet50")
    assert "RECOMMENDER_RESNET50_WEIGHTS" in str(raised.value)
    assert "efficientnet_lite0" in str(raised.value)


@pytest.mark.parametrize("name", ["resnet50", "auto"])
def test_a_weights_setting_naming_a_missing_file_raises(settings, tmp_path, name):
    settings.RECOMMENDER_RESNET50_WEIGHTS = str(tmp_path / "missing.pth")
    with pytest.raises(BackboneUnavailable, match="RECOMMENDER_RESNET50_WEIGHTS"):
        choose_backbone(name)


def test_an_unknown_backbone_name_raises():
    with pytest.raises(BackboneUnavailable, match="vgg16"):
        choose_backbone("vgg16")


@pytest.mark.slow
def test_resnet50_loads_from_a_local_weights_file(settings, tmp_path, fresh_models):
    """A loader test only: the weights are untrained, nothing is said about similarity."""
    import torch
    from torchvision.models import resnet50

    weights = tmp_path / "resnet50.pth"
    torch.save(resnet50(weights=None).state_dict(), weights)
    settings.RECOMMENDER_RESNET50_WEIGHTS = str(weights)

    assert choose_backbone("resnet50") == backbones.BackboneChoice("resnet50", weights)
    backbone = load_backbone("resnet50")
    maps = backbone.feature_maps(torch.zeros(1, 3, 64, 64))
    # feature_maps returns the last map, or a list that starts with it.
    last = maps[0] if isinstance(maps, (list, tuple)) else maps
    assert backbone.name == "resnet50"
    assert last.shape[1] == 2048


@pytest.fixture
def projections(tmp_path, monkeypatch):
    """A projections folder of the test's own, empty: put_projection adds files to it."""
    folder = tmp_path / "projections"
    folder.mkdir()
    monkeypatch.setattr(projection, "PROJECTIONS_DIR", folder)
    return folder


def put_projection(choice):
    """A projection file for this backbone's weights (its content is never read by the choice)."""
    path = projection.projection_path(choice.name, choice.weights_id)
    path.write_bytes(b"")
    return path


LITE0 = BackboneChoice("efficientnet_lite0", backbones.efficientnet_lite0_weights())
DOWNLOADED_RESNET50 = BackboneChoice("resnet50", None)


@pytest.fixture
def resnet50_file(settings, tmp_path):
    """A stand-in ResNet-50 weights file named by RECOMMENDER_RESNET50_WEIGHTS (the choice reads
    only its hash)."""
    path = tmp_path / "resnet50.pth"
    path.write_bytes(b"stand-in weights")
    settings.RECOMMENDER_RESNET50_WEIGHTS = str(path)
    return path


def probe_refused(monkeypatch):
    """The download server is never to be asked."""
    monkeypatch.setattr(
        backbones, "can_download_resnet50", lambda *a, **k: pytest.fail("probed the server")
    )


def test_auto_keeps_lite0_and_its_projection_over_local_resnet50_weights_without_one(
    projections, resnet50_file, monkeypatch
):
    put_projection(LITE0)
    probe_refused(monkeypatch)
    choice = choose_backbone("auto")
    assert choice.name == "efficientnet_lite0"
    assert "resnet50's weights are here but it has none" in choice.reason
    assert "train_projection --backbone resnet50" in choice.reason


def test_auto_asks_no_server_when_resnet50_has_no_projection(
    projections, no_resnet50_weights, monkeypatch
):
    put_projection(LITE0)
    probe_refused(monkeypatch)
    choice = choose_backbone("auto")
    assert choice.name == "efficientnet_lite0"
    assert "resnet50 has none" in choice.reason


def test_auto_takes_resnet50_once_its_weights_have_a_projection(
    projections, resnet50_file, monkeypatch
):
    put_projection(LITE0)
    put_projection(BackboneChoice("resnet50", resnet50_file))
    probe_refused(monkeypatch)
    choice = choose_backbone("auto")
    assert (choice.name, choice.weights_path) == ("resnet50", resnet50_file)
    assert choice.reason == "auto: resnet50, which has a trained projection"


@pytest.mark.parametrize("downloadable", [True, False])
def test_auto_takes_a_downloadable_resnet50_with_a_projection_for_torchvisions_weights(
    projections, no_resnet50_weights, monkeypatch, downloadable
):
    put_projection(LITE0)
    put_projection(DOWNLOADED_RESNET50)
    monkeypatch.setattr(backbones, "can_download_resnet50", lambda *a, **k: downloadable)
    choice = choose_backbone("auto")
    assert choice.name == ("resnet50" if downloadable else "efficientnet_lite0")
    if not downloadable:
        assert "neither on disk nor downloadable" in choice.reason


@pytest.mark.parametrize("downloadable", [True, False])
def test_with_no_projection_anywhere_auto_prefers_resnet50_and_says_both_are_untuned(
    projections, no_resnet50_weights, monkeypatch, downloadable
):
    monkeypatch.setattr(backbones, "can_download_resnet50", lambda *a, **k: downloadable)
    choice = choose_backbone("auto")
    assert choice.name == ("resnet50" if downloadable else "efficientnet_lite0")
    assert "untuned" in choice.reason


def test_a_named_backbone_without_a_projection_says_its_vectors_are_untuned(
    projections, resnet50_file
):
    choice = choose_backbone("resnet50")
    assert "without a trained projection" in choice.reason
    assert "train_projection --backbone resnet50" in choice.reason


def test_the_choice_is_logged_once_with_its_reason(
    projections, resnet50_file, settings, caplog, monkeypatch
):
    settings.RECOMMENDER_BACKBONE = "auto"
    put_projection(LITE0)
    monkeypatch.setattr(backbones, "_announced", set())
    with caplog.at_level(logging.INFO, logger="recommender.backbones"):
        choose_backbone()
        choose_backbone("auto")
        choose_backbone("efficientnet_lite0")  # as the embedder looks up auto's choice
    assert [record.getMessage() for record in caplog.records] == [
        f"Backbone: efficientnet_lite0 ({choose_backbone().reason}; weights {LITE0.weights_path})"
    ]


@pytest.mark.slow
def test_train_projection_gives_resnet50_weights_a_projection_that_auto_then_takes(
    settings, tmp_path, projections, fresh_models, monkeypatch
):
    """The plumbing only: the stand-in weights are untrained, nothing is said about similarity."""
    import torch
    from torchvision.models import resnet50

    weights = tmp_path / "resnet50.pth"
    torch.save(resnet50(weights=None).state_dict(), weights)
    settings.RECOMMENDER_RESNET50_WEIGHTS = str(weights)
    put_projection(LITE0)
    probe_refused(monkeypatch)
    assert choose_backbone("auto").name == "efficientnet_lite0"
    # 22 products: part B holds the 11 that precision@10 needs (a query and 10 others).
    folder = make_folder(tmp_path / "labelled", demo_rows()[:22])

    output = io.StringIO()
    call_command(
        "train_projection", str(folder), "--backbone", "resnet50", "--epochs", "1", stdout=output
    )

    written = projection.projection_path("resnet50", backbones.file_sha256(weights)[:8])
    assert f"Projection written to {written}" in output.getvalue()
    forget_models()  # as in a process started after the training
    choice = choose_backbone("auto")
    assert (choice.name, choice.weights_path) == ("resnet50", weights)
    model = embedding.vector_model("auto")
    assert model.projection.id == projection.Projection.load(written).id
    assert model.fingerprint.endswith(model.projection.id)
