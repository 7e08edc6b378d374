"""The README's commands: every shell block says whether it runs, and those marked to run
do, as written, against a live server holding a demo catalogue (the tests' stand-in for a
fresh `make run`: curl and manage.py included)."""

import os
import re
import subprocess

import pytest
from django.db import connection

from tests.conftest import REPO
from tests.recommender.conftest import catalogue, recommender_settings  # noqa: F401

README = REPO / "README.md"
RUNS = "runs after make run"
BLOCK = re.compile(r"(?:<!-- readme: (?P<mark>[^>]*?) -->\n)?```sh\n(?P<code>.*?)```", re.S)
SERVER = "http://127.0.0.1:8000"


def shell_blocks():
    """[(mark or None, code)] of the README's ```sh blocks, in order."""
    return [(match["mark"], match["code"]) for match in BLOCK.finditer(README.read_text())]


def test_every_shell_block_says_whether_it_runs():
    marks = [mark for mark, _ in shell_blocks()]
    assert marks and all(mark == RUNS or mark.startswith("not run: ") for mark in marks), marks
    assert marks.count(RUNS) >= 2 and marks.count("not run: production only") == 2


def database_url():
    """The URL of the database this test run uses (the test database, for a command run in its
    own process)."""
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    address = f"{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    return f"postgres://{settings['USER']}{password}@{address}"


@pytest.mark.slow
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a command in its own process reaches the test database on PostgreSQL only "
    "(SQLite's is in memory)",
)
@pytest.mark.django_db(transaction=True)
def test_the_blocks_marked_to_run_run_as_written(live_server, catalogue):  # noqa: F811
    env = dict(os.environ, DATABASE_URL=database_url())
    for mark, code in shell_blocks():
        if mark != RUNS:
            continue
        script = code.replace(SERVER, live_server.url)
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"{code}\n{result.stdout}\n{result.stderr}"
