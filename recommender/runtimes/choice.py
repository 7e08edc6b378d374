"""Which runtime runs the backbone: RECOMMENDER_RUNTIME, less what this machine cannot do
(the package's docstring says what each runtime is and when `auto` picks it)."""

import importlib.util
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..backbones import BACKBONES, default_device
from .cpu import cpu_has_vnni
from .model_files import is_int8, model_path

logger = logging.getLogger(__name__)

RUNTIMES = ("auto", "torch", "onnx", "onnx-int8", "openvino-int8")
PACKAGES = {"onnx": "onnxruntime", "onnx-int8": "onnxruntime", "openvino-int8": "openvino"}


def installed(module):
    """Whether a package can be imported here (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


_failed_runtimes = (
    set()
)  # (backbone name, weights id, runtime) whose model could not be built or loaded here


def wants_gpu():
    """Whether the backbone runs on a CUDA GPU (RECOMMENDER_DEVICE, else whether one is present)."""
    return (settings.RECOMMENDER_DEVICE or default_device()).startswith("cuda")


def resolve_runtime(backbone_choice, requested=None):
    """The runtime that will really run: the setting, less what this machine cannot do."""
    requested = requested or getattr(settings, "RECOMMENDER_RUNTIME", "auto") or "auto"
    if requested not in RUNTIMES:
        # Not a ValueError, which embeddings_update takes for a photo that cannot be read.
        raise ImproperlyConfigured(
            f"RECOMMENDER_RUNTIME={requested!r}: use one of {', '.join(RUNTIMES)}."
        )
    if requested == "torch" or (requested == "auto" and wants_gpu()):
        return "torch"
    if requested == "auto":
        usable = [
            runtime
            for runtime in (BACKBONES[backbone_choice.name].cpu_runtime, "onnx-int8", "onnx")
            if not unusable_because(backbone_choice, runtime)
        ]
        return usable[0] if usable else "torch"
    reason = unusable_because(backbone_choice, requested)
    if reason:
        fallback = resolve_runtime(backbone_choice, "auto")
        logger.warning("RECOMMENDER_RUNTIME=%s: %s; using %s.", requested, reason, fallback)
        return fallback
    return requested


def unusable_because(backbone_choice, runtime):
    """Why this machine cannot run a (non-torch) runtime, or None when it can."""
    if not installed(PACKAGES[runtime]):
        return f"{PACKAGES[runtime]} is not installed (pip install -r requirements.txt)"
    if is_int8(runtime) and not cpu_has_vnni():
        return (
            "this CPU has no VNNI instructions, without which int8 products saturate and the "
            "vectors drift from the reference (cosine down to 0.965, docs/benchmarks.md)"
        )
    if (backbone_choice.name, backbone_choice.weights_id, runtime) in _failed_runtimes:
        return "its model could not be built or loaded here"
    if not model_path(backbone_choice, runtime).is_file() and not (
        installed("onnx") and installed("onnxruntime")
    ):
        return (
            f"{model_path(backbone_choice, runtime)} is missing and the onnx and onnxruntime "
            "packages (needed to build it) are not both installed"
        )
    return None


def record_unusable(backbone_choice, runtimes):
    """Remember that these runtimes cannot run this backbone here (their model file could not be
    built or loaded), so that resolve_runtime no longer picks them in this process."""
    _failed_runtimes.update(
        (backbone_choice.name, backbone_choice.weights_id, runtime) for runtime in runtimes
    )
