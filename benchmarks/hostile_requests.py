"""What the running shop does with hostile requests, on gunicorn as in production.

    python benchmarks/hostile_requests.py [--searches 60]

Sets up a scratch shop (SQLite, the first 40 demo products embedded and indexed, Redis on
127.0.0.1:6379 database 15 for the limits), then, each on a fresh server:

- spoofing: --searches anonymous searches by photo, each with a new X-Forwarded-For, with
  TRUSTED_PROXIES 0 and 1 (the limit is 20 a minute per client): how many were answered;
- slow clients: four clients trickling their request's head, then one plain request, on
  gunicorn.conf.py's ASGI workers (one worker) and on three sync workers, the earlier
  recipe: seconds until the plain request is answered;
- a body announced as 1 GB: seconds until the 413, no byte of it sent.

Prints JSON.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PHOTO = sorted((REPO / "data" / "demo-catalogue" / "images").glob("*.jpg"))[0]


def shop_environment(var_dir):
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "fashionsite.settings.base",
        "VAR_DIR": str(var_dir),
        "DEBUG": "false",
        "SERVE_MEDIA": "true",
        "RECOMMENDER_BACKBONE": "efficientnet_lite0",
        "LOG_LEVEL": "ERROR",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
    }
    env.pop("DATABASE_URL", None)
    return env


def set_up(env):
    for command in (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput"],  # DEBUG is off: a server needs the static manifest
        ["import_catalog", "data/demo-catalogue", "--limit", "40", "--no-progress"],
        ["embed_catalog", "--no-progress"],
        ["build_index"],
    ):
        subprocess.run(
            [str(BIN / "python"), "manage.py", *command],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )


class Server:
    """gunicorn on a free port, started with `arguments` and the extra environment."""

    def __init__(self, env, arguments, **extra):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), *arguments, "--bind", f"127.0.0.1:{self.port}"],
            cwd=REPO,
            env=env | extra,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            if self.status("/api/v1/nowhere/") == 404:
                return
            time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def status(self, path, timeout=60, **request):
        try:
            return urllib.request.urlopen(
                urllib.request.Request(self.url + path, **request), timeout=timeout
            ).status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait()


def photo_search(server, forwarded):
    boundary = "limit"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
            f'filename="p.jpg"\r\n\r\n'
        ).encode()
        + PHOTO.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-Forwarded-For": forwarded,
    }
    return server.status("/api/v1/search/image/", data=body, headers=headers)


def spoofing(env, searches):
    results = {}
    for proxies in (0, 1):
        subprocess.run(["redis-cli", "-n", "15", "flushdb"], check=True, capture_output=True)
        with Server(env, ["fashionsite.asgi"], TRUSTED_PROXIES=str(proxies)) as server:
            statuses = [
                photo_search(server, f"10.{n // 250}.{n % 250}.7, 198.51.100.9")
                for n in range(searches)
            ]
        results[f"trusted_proxies_{proxies}"] = {
            "searches": searches,
            "answered": statuses.count(200),
            "refused_429": statuses.count(429),
        }
    return results


def trickle(port, stop):
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: shop\r\n")
        number = 0
        while not stop.wait(2):
            number += 1
            try:
                connection.sendall(f"X-Slow-{number}: 1\r\n".encode())
            except OSError:
                return


def slow_clients(env):
    results = {}
    setups = {
        "asgi, 1 worker (gunicorn.conf.py)": (["fashionsite.asgi"], {"WEB_CONCURRENCY": "1"}),
        "sync, 3 workers (the earlier recipe)": (
            ["fashionsite.wsgi", "-c", "/dev/null", "-k", "sync", "-w", "3"],
            {},
        ),
    }
    for name, (arguments, extra) in setups.items():
        with Server(env, arguments, **extra) as server:
            stop = threading.Event()
            clients = [threading.Thread(target=trickle, args=(server.port, stop)) for _ in range(4)]
            for client in clients:
                client.start()
            time.sleep(1)
            started = time.perf_counter()
            status = server.status("/api/v1/nowhere/", timeout=60)
            results[name] = {"status": status, "seconds": round(time.perf_counter() - started, 2)}
            stop.set()
            for client in clients:
                client.join()
    return results


def announced_gigabyte(env):
    with Server(env, ["fashionsite.asgi"]) as server:
        head = (
            b"POST /api/v1/search/image/ HTTP/1.1\r\nHost: shop\r\nContent-Type: "
            b"multipart/form-data; boundary=x\r\nContent-Length: 1073741824\r\n\r\n"
        )
        started = time.perf_counter()
        with socket.create_connection(("127.0.0.1", server.port), timeout=60) as connection:
            connection.sendall(head)
            answer = connection.recv(200)
        return {
            "status_line": answer.split(b"\r\n")[0].decode(),
            "seconds": round(time.perf_counter() - started, 3),
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searches", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        env = shop_environment(var_dir)
        set_up(env)
        print(
            json.dumps(
                {
                    "spoofed_forwarded_for": spoofing(env, args.searches),
                    "slow_clients": slow_clients(env),
                    "body_announced_as_1_gb": announced_gigabyte(env),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
