"""Settings come from the environment, with laptop defaults and a hardened production path."""

import json
import logging
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

SHOW_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "db_engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "debug": settings.DEBUG, "allowed_hosts": settings.ALLOWED_HOSTS,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER, "broker": settings.CELERY_BROKER_URL,
    "media_root": str(settings.MEDIA_ROOT), "secret_key": settings.SECRET_KEY,
    "max_upload": settings.CATALOG_MAX_UPLOAD_BYTES,
}))
"""
SETTINGS_VARIABLES = [
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "MEDIA_ROOT",
    "VAR_DIR",
    "CATALOG_MAX_UPLOAD_BYTES",
    "DJANGO_SETTINGS_MODULE",
]


def run_python(code, settings_module="fashionsite.settings.base", **variables):
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env |= {"DJANGO_SETTINGS_MODULE": settings_module} | variables
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )


def settings_with(**variables):
    result = run_python(SHOW_SETTINGS, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_laptop_defaults_need_no_services(tmp_path):
    values = settings_with(VAR_DIR=str(tmp_path))
    assert values["db_engine"] == "django.db.backends.sqlite3"
    assert values["db_name"] == str(tmp_path / "db.sqlite3")
    assert values["media_root"] == str(tmp_path / "media")
    assert values["debug"] is True
    assert values["eager"] is True
    assert values["max_upload"] == 10 * 1024 * 1024
    assert "127.0.0.1" in values["allowed_hosts"]


def test_environment_overrides_the_defaults(tmp_path):
    values = settings_with(
        DATABASE_URL="postgres://shop:pw@db.internal:5432/shop",
        REDIS_URL="redis://cache:6379/0",
        DEBUG="false",
        ALLOWED_HOSTS="shop.example.com, www.shop.example.com",
        MEDIA_ROOT=str(tmp_path),
        SECRET_KEY="from-the-environment",
        CATALOG_MAX_UPLOAD_BYTES="2048",
    )
    assert values["db_engine"] == "django.db.backends.postgresql"
    assert values["db_name"] == "shop"
    assert values["broker"] == "redis://cache:6379/0"
    assert values["eager"] is False
    assert values["debug"] is False
    assert values["allowed_hosts"] == ["shop.example.com", "www.shop.example.com"]
    assert values["media_root"] == str(tmp_path)
    assert values["secret_key"] == "from-the-environment"
    assert values["max_upload"] == 2048


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "fashionsite.settings.production",
        "VAR_DIR": str(tmp_path),
        "SECRET_KEY": "x7!kq2#vd9-ZP4mW0sLr8TtYh3uJb6NcEaGf1oQi5RyXeK_jM-8vBn",
        "ALLOWED_HOSTS": "shop.example.com",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "collectstatic", "--noinput"], cwd=REPO, env=env, check=True)
    result = subprocess.run(
        [*manage, "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_value_that_does_not_parse_stops_the_start_naming_the_variable(tmp_path):
    result = run_python("", VAR_DIR=str(tmp_path), DEBUG="maybe")
    assert result.returncode != 0
    assert 'Environment variable "DEBUG" invalid' in result.stderr


def test_production_settings_never_serve_media(tmp_path):
    result = run_python(
        "from django.conf import settings; print(settings.SERVE_MEDIA)",
        settings_module="fashionsite.settings.production",
        VAR_DIR=str(tmp_path),
        SECRET_KEY="from-the-environment",
        ALLOWED_HOSTS="shop.example.com",
        REDIS_URL="redis://127.0.0.1:6379/0",
        SERVE_MEDIA="true",
        DEBUG="true",
    )
    assert result.stdout.strip() == "False", result.stderr


PRODUCTION = {
    "SECRET_KEY": "from-the-environment",
    "ALLOWED_HOSTS": "shop.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


@pytest.mark.parametrize(
    "missing, message",
    [
        ({"SECRET_KEY": ""}, "Set SECRET_KEY"),
        ({"ALLOWED_HOSTS": " , "}, "Set ALLOWED_HOSTS"),
        ({"REDIS_URL": ""}, "Set REDIS_URL"),
    ],
)
def test_production_settings_refuse_to_start_without_what_they_need(tmp_path, missing, message):
    variables = {name: value for name, value in (PRODUCTION | missing).items() if value}
    result = run_python(
        "", settings_module="fashionsite.settings.production", VAR_DIR=str(tmp_path), **variables
    )
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize("name", ["django.request", "django.server", "recommender.services"])
def test_a_log_line_is_printed_once(name):
    """A logger and its parents up to the root have no handler of their own and pass every line
    on: only the root's handler prints it, once."""
    logger = logging.getLogger(name)
    while logger is not logging.getLogger():
        assert logger.handlers == [], logger.name
        assert logger.propagate, logger.name
        logger = logger.parent
