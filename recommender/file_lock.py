"""An exclusive lock on a file, between processes (and between threads, each opening the file)."""
import fcntl
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive_lock(path):
    """Hold an exclusive lock on `path` (created if missing) while the block runs: whoever
    else asks for it waits."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
