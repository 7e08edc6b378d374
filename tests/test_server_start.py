"""The search model is loaded when a web process starts serving (fashionsite.signals.
server_starting), never by a management command."""

import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from fashionsite.signals import server_starting
from recommender import backbones, embedding, snapshots, warmup
from tests.conftest import REPO

PYTHON = str(Path(sys.executable))
MODEL_PACKAGES = {"torch", "torchvision", "timm", "onnxruntime", "openvino"}
LOADED = "Search model .* and its index loaded"


def shop_environment(var_dir):
    """A server's or command's environment: the laptop settings, preloading on, on var_dir."""
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "fashionsite.settings.base",
        "VAR_DIR": str(var_dir),
        "RECOMMENDER_PRELOAD": "true",
        "RECOMMENDER_BACKBONE": "efficientnet_lite0",
        "RECOMMENDER_RUNTIME": "torch",  # no ONNX model file to build
        "LOG_LEVEL": "INFO",
        "WEB_CONCURRENCY": "1",
    }
    env.pop("DATABASE_URL", None)
    return env


@pytest.fixture(scope="module")
def shop_var(tmp_path_factory):
    """A migrated shop with no products (SQLite) for the processes these tests start."""
    var_dir = tmp_path_factory.mktemp("var")
    manage(var_dir, "migrate", "--noinput")
    return var_dir


def manage(var_dir, *command, python_options=(), extra_env=None):
    """Run manage.py `command` in a subprocess (with `extra_env` set too); its standard error."""
    return subprocess.run(
        [PYTHON, *python_options, "manage.py", *command],
        cwd=REPO,
        env=shop_environment(var_dir) | (extra_env or {}),
        check=True,
        capture_output=True,
        text=True,
    ).stderr


def imported_modules(importtime_log):
    """The top-level names of the modules a `python -X importtime` run imported."""
    return {
        line.split("|")[-1].strip().split(".")[0]
        for line in importtime_log.splitlines()
        if line.startswith("import time:")
    }


@pytest.mark.slow
@pytest.mark.parametrize("command", [["check"], ["migrate", "--noinput"]])
def test_a_management_command_loads_no_model(shop_var, command):
    log = manage(shop_var, *command, python_options=["-X", "importtime"])
    imported = imported_modules(log)
    assert "django" in imported  # the log lists the imports
    assert not imported & MODEL_PACKAGES
    assert not re.search(LOADED, log)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url):
    """Whether the server answers (a 404 for a missing API page)."""
    try:
        urllib.request.urlopen(url + "/api/v1/nowhere/", timeout=120)
    except urllib.error.HTTPError as error:
        return error.code == 404
    except OSError:
        return False
    return False


SERVERS = {
    "gunicorn": lambda port: [
        str(Path(sys.executable).with_name("gunicorn")),
        "fashionsite.asgi",
        "--bind",
        f"127.0.0.1:{port}",
    ],
    "runserver": lambda port: [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
}


@pytest.mark.slow
@pytest.mark.parametrize("server", SERVERS)
def test_a_server_loads_the_model_when_it_starts_serving(shop_var, tmp_path, server):
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            SERVERS[server](port), cwd=REPO, env=shop_environment(shop_var), stdout=log, stderr=log
        )
    try:
        for _ in range(1200):
            if answers(f"http://127.0.0.1:{port}"):
                break
            time.sleep(0.1)
        if server == "gunicorn":  # the worker serves once it has loaded the model
            assert re.search(LOADED, log_path.read_text()), log_path.read_text()
        for _ in range(1200):
            if re.search(LOADED, log_path.read_text()) or process.poll() is not None:
                break
            time.sleep(0.1)
        assert re.search(LOADED, log_path.read_text()), log_path.read_text()
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.fixture
def warm_ups(monkeypatch):
    """The calls of recommender.warmup.warm_up, which does nothing here."""
    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda: calls.append(1))
    return calls


@pytest.mark.parametrize("preload", [True, False])
def test_the_signal_warms_up_only_with_preload_on(settings, warm_ups, preload):
    settings.RECOMMENDER_PRELOAD = preload
    server_starting.send(sender="test")
    assert warm_ups == ([1] if preload else [])


def test_a_model_that_cannot_load_is_logged_and_the_server_goes_on(monkeypatch, caplog, db):
    def broken(*args, **kwargs):
        raise OSError("no weights file")

    monkeypatch.setattr(warmup, "default_embedder", broken)
    with caplog.at_level(logging.ERROR, logger="recommender.warmup"):
        warmup.warm_up()
    assert "Loading the search model at the server's start failed" in caplog.text
    assert "no weights file" in caplog.text


@pytest.fixture
def unloaded(settings, tmp_path):
    """The offline backbone, an index folder of the test's own, and no embedder or index loaded
    in this process, before and after the test."""
    settings.RECOMMENDER_BACKBONE = "efficientnet_lite0"
    settings.RECOMMENDER_INDEX_DIR = tmp_path / "index"
    forget = (backbones.choose_backbone.cache_clear, embedding._embedder.cache_clear)
    for clear in (*forget, snapshots._readers.clear):
        clear()
    yield
    for clear in (*forget, snapshots._readers.clear):
        clear()


def test_warm_up_loads_the_embedder_and_the_index(unloaded, db):
    warmup.warm_up()
    assert embedding._embedder.cache_info().currsize == 1
    assert embedding.fingerprint() in snapshots._readers
