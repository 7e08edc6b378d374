"""Start-up checks (fashionsite.checks): a management command warns and runs, a server stops."""

import subprocess

import pytest
from django.core.checks import run_checks
from django.core.management.base import SystemCheckError

from fashionsite.checks import STARTUP, stop_unless_ready
from recommender import backbones
from tests.test_server_start import REPO, SERVERS, free_port, manage, shop_environment

MANIFEST_STORAGE = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"


@pytest.fixture
def production_static(settings, tmp_path):
    """DEBUG off and a manifest static storage whose STATIC_ROOT has no manifest yet."""
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = settings.STORAGES | {"staticfiles": {"BACKEND": MANIFEST_STORAGE}}


@pytest.fixture
def fresh_backbone_choice():
    backbones.choose_backbone.cache_clear()
    yield
    backbones.choose_backbone.cache_clear()


def problem_ids():
    return sorted(problem.id for problem in run_checks(tags=[STARTUP]))


def test_a_ready_shop_passes(settings, tmp_path):
    settings.RECOMMENDER_INDEX_DIR = tmp_path / "index" / "new"  # created on the first write
    assert problem_ids() == []
    stop_unless_ready()


def test_a_missing_static_manifest_is_named(production_static):
    assert problem_ids() == ["storefront.W001"]


def test_an_index_folder_that_cannot_be_written_is_named(settings, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    settings.RECOMMENDER_INDEX_DIR = a_file / "index"
    assert problem_ids() == ["recommender.W001"]


def test_missing_model_weights_are_named(settings, fresh_backbone_choice, tmp_path):
    settings.RECOMMENDER_BACKBONE = "resnet50"
    settings.RECOMMENDER_RESNET50_WEIGHTS = str(tmp_path / "resnet50.pth")
    assert problem_ids() == ["recommender.W002"]


def test_a_server_is_stopped_naming_every_problem(production_static, settings, tmp_path):
    settings.RECOMMENDER_INDEX_DIR = tmp_path / "a-file"
    settings.RECOMMENDER_INDEX_DIR.write_text("not a folder")
    with pytest.raises(SystemCheckError) as stopped:
        stop_unless_ready()
    assert "storefront.W001" in str(stopped.value)
    assert "recommender.W001" in str(stopped.value)
    assert "collectstatic" in str(stopped.value)


@pytest.mark.slow
@pytest.mark.parametrize("server", SERVERS)
def test_without_collectstatic_migrate_runs_and_a_server_does_not_start(tmp_path, server):
    var_dir = tmp_path / "var"
    production = {"DEBUG": "false", "SECRET_KEY": "startup-check-test", "ALLOWED_HOSTS": "x"}
    warned = manage(var_dir, "migrate", "--noinput", extra_env=production)
    assert "storefront.W001" in warned
    started = subprocess.run(
        SERVERS[server](free_port()),
        cwd=REPO,
        env=shop_environment(var_dir) | production,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert "No static files manifest" in started.stdout + started.stderr


def test_a_silenced_check_does_not_stop_a_server(production_static, settings):
    settings.SILENCED_SYSTEM_CHECKS = ["storefront.W001"]
    stop_unless_ready()
