"""The recommender's start-up checks (fashionsite.checks): where the index is written, and the
backbone's weights."""

import os
from pathlib import Path

from django.conf import settings
from django.core.checks import Warning, register

from fashionsite.checks import STARTUP

from .backbones import BackboneUnavailable, choose_backbone


@register(STARTUP)
def index_folder_writable(app_configs, **kwargs):
    """RECOMMENDER_INDEX_DIR, or the folder it would be created in, can be written."""
    folder = Path(settings.RECOMMENDER_INDEX_DIR)
    try:
        existing = next(path for path in (folder, *folder.parents) if path.exists())
    except PermissionError as error:  # a folder on the way cannot be entered
        existing = Path(error.filename or folder)
    else:
        if existing.is_dir() and os.access(existing, os.W_OK | os.X_OK):
            return []
    return [
        Warning(
            f"The index folder {folder} cannot be written ({existing} is not a writable folder).",
            hint="Set RECOMMENDER_INDEX_DIR to a folder this user can write.",
            id="recommender.W001",
        )
    ]


@register(STARTUP)
def backbone_weights(app_configs, **kwargs):
    """The backbone RECOMMENDER_BACKBONE names can be had: its weights file is on disk, or
    (ResNet-50 only) can be downloaded."""
    try:
        choice = choose_backbone()
    except (BackboneUnavailable, ImportError) as error:
        problem = str(error)
    else:
        if choice.weights_path is None or Path(choice.weights_path).is_file():
            return []
        problem = f"the weights file of {choice.name}, {choice.weights_path}, is missing."
    return [
        Warning(
            f"No search model: {problem}",
            hint="Set RECOMMENDER_BACKBONE, or RECOMMENDER_RESNET50_WEIGHTS for resnet50 "
            '(README, "More like this": the recommender).',
            id="recommender.W002",
        )
    ]
