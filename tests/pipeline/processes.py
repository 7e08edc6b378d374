"""Real services for the pipeline tests and the freshness benchmark: a private
redis-server on a free port, and Celery worker / beat processes of this project."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} within {timeout} s")


class RedisServer:
    """A redis-server of our own (never the machine's shared one); stop() stops only it."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, 10, "redis-server did not start")
        return self

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class CeleryProcess:
    """`celery -A fashionsite worker|beat ...` with the given environment, output to a log file."""

    def __init__(self, role, env, *arguments):
        self.command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "fashionsite",
            role,
            "--loglevel",
            "INFO",
            *arguments,
        ]
        self.env = os.environ | env
        self.log_path = Path(tempfile.mkstemp(prefix=f"celery-{role}-", suffix=".log")[1])
        self.process = None

    def start(self):
        self.log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=REPO,
            env=self.env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def log(self):
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text, timeout=60):
        wait_for(
            lambda: text in self.log(),
            timeout,
            f"{text!r} did not appear in the {self.command[5]} log",
        )

    def kill(self):
        """SIGKILL the whole process group: no chance to acknowledge or requeue anything."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.log_file.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log_file.close()


def worker(env, name="worker"):
    return CeleryProcess(
        "worker",
        env,
        "--queues",
        "embeddings,index",
        "--concurrency",
        "1",
        "--hostname",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
    )


def beat(env, schedule_dir):
    return CeleryProcess("beat", env, "--schedule", str(Path(schedule_dir) / "beat-schedule"))
