import pytest

from recommender import backbones
from recommender.backbones import BackboneUnavailable, choose_backbone, load_backbone


@pytest.fixture
def no_resnet50_weights(settings, tmp_path, monkeypatch):
    """No ResNet-50 weights on this machine (setting empty, empty torch cache)
    and no way to download them."""
    settings.RECOMMENDER_RESNET50_WEIGHTS = ""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(backbones, "can_download_resnet50", lambda *args, **kwargs: False)


@pytest.fixture
def fresh_backbones():
    """Forget the backbones loaded under other settings, before and after the test."""
    load_backbone.cache_clear()
    yield
    load_backbone.cache_clear()
    choose_backbone.cache_clear()


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
def test_resnet50_loads_from_a_local_weights_file(settings, tmp_path, fresh_backbones):
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
