"""The first search by photo after a web server starts, against the next ones.

    make setup   # once: the demo catalogue imported, embedded and indexed under var/
    .venv/bin/python benchmarks/first_search.py [--servers gunicorn,runserver] [--searches 5]

For each server (gunicorn with the repo's gunicorn.conf.py and one worker, as in production;
`manage.py runserver`, as `make run`) it starts a fresh process twice on the catalogue of
VAR_DIR (default var/), DEBUG off: with RECOMMENDER_PRELOAD off (the baseline: the model is
loaded by the first search) and on (loaded when the process starts serving). Once the server
answers, and --settle seconds later, it times 1 + --searches searches by photo over HTTP
(POST /api/v1/search/image/, k=25, a different demo photo each) and prints JSON: seconds until
the server answered, the first search, the next ones.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PHOTOS = sorted((REPO / "data" / "demo-catalogue" / "images").glob("*.jpg"))


def shop_environment(var_dir, preload):
    """The environment of a server process on the catalogue of var_dir."""
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "fashionsite.settings.base",
        "VAR_DIR": str(var_dir),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "RECOMMENDER_PRELOAD": "true" if preload else "false",
        "WEB_CONCURRENCY": "1",
    }
    env.pop("DATABASE_URL", None)
    return env


def free_port():
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_command(server, port):
    """The command line that starts `server` ("gunicorn" or "runserver") on port."""
    if server == "gunicorn":
        return [str(BIN / "gunicorn"), "fashionsite.asgi", "--bind", f"127.0.0.1:{port}"]
    return [str(BIN / "python"), "manage.py", "runserver", f"127.0.0.1:{port}"]


def status_of(url, timeout=120, **request):
    """The HTTP status of a request, or None when nothing answers."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, **request), timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_until_answering(url, process):
    """Seconds until the server answers (its 404 for a missing API page)."""
    started = time.perf_counter()
    while status_of(url + "/api/v1/nowhere/", timeout=120) != 404:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit code {process.returncode})")
        time.sleep(0.05)
    return time.perf_counter() - started


def timed_search(url, photo):
    """(seconds, status) of one search by photo of the photo file."""
    with open(photo, "rb") as file:
        body = encode_multipart(BOUNDARY, {"photo": file, "k": "25"})
    started = time.perf_counter()
    status = status_of(
        url + "/api/v1/search/image/", data=body, headers={"Content-Type": MULTIPART_CONTENT}
    )
    return time.perf_counter() - started, status


def run(server, preload, var_dir, searches, settle):
    """One fresh server process: its figures."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        server_command(server, port),
        cwd=REPO,
        env=shop_environment(var_dir, preload),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # runserver's autoreloader runs the server in a child process
    )
    try:
        answered = wait_until_answering(url, process)
        time.sleep(settle)
        step = max(1, len(PHOTOS) // (searches + 1))
        timings = [timed_search(url, photo) for photo in PHOTOS[::step][: searches + 1]]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    seconds = [round(taken, 3) for taken, _ in timings]
    return {
        "server": server,
        "preload": preload,
        "answers_after_s": round(answered, 2),
        "first_search_s": seconds[0],
        "next_searches_s": seconds[1:],
        "next_median_s": round(statistics.median(seconds[1:]), 3),
        "statuses": sorted({status for _, status in timings}),
    }


def catalogue(var_dir):
    """recommender_status of the catalogue (stops when it has no index yet)."""
    status = json.loads(
        subprocess.run(
            [str(BIN / "python"), "manage.py", "recommender_status", "--json"],
            cwd=REPO,
            env=shop_environment(var_dir, False) | {"LOG_LEVEL": "ERROR"},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    if not status["index_size"]:
        sys.exit(f"No index under {var_dir}: run `make setup` first (or set VAR_DIR).")
    return {key: status[key] for key in ("fingerprint", "index_size", "photos")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default="gunicorn,runserver")
    parser.add_argument("--searches", type=int, default=5, help="searches after the first")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds before the first")
    args = parser.parse_args()
    settings.configure()  # encode_multipart's charset; the shop's settings are the servers'
    var_dir = Path(os.environ.get("VAR_DIR", REPO / "var")).resolve()
    subprocess.run(  # DEBUG is off: a server needs the static manifest (fashionsite.checks)
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput"],
        cwd=REPO,
        env=shop_environment(var_dir, preload=False),
        check=True,
        capture_output=True,
    )
    results = {
        "var_dir": str(var_dir),
        "catalogue": catalogue(var_dir),
        "settle_s": args.settle,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    results["runs"] = [
        run(server, preload, var_dir, args.searches, args.settle)
        for server in args.servers.split(",")
        for preload in (False, True)
    ]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
