"""Files that other processes may open at any moment: written whole, or not at all, and read
once a process until they change."""

import os
import threading
import uuid
from pathlib import Path


def write_atomically(path, write):
    """Call write(temporary path) to write a file, then fsync it and rename it to `path`: a
    reader sees the old file or the new one, never half of one, and a crash leaves no partial
    file under `path`. The temporary file is removed when `write` raises. The file gets the
    process's umask like any other (0644 under 022), so a web process running as another user
    can read it. Returns `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


class LoadedFiles:
    """Files read once a process and again when they change (their modification time):
    get(path) gives load(path), or None when there is no file at path."""

    def __init__(self, load):
        self.load = load
        self.loaded = {}  # path -> (modification time in ns, what load gave)
        self.lock = threading.Lock()

    def get(self, path):
        """What load(path) gives for the file now at path, or None when there is none."""
        try:
            stamp = Path(path).stat().st_mtime_ns
        except FileNotFoundError:
            return None
        with self.lock:
            cached = self.loaded.get(path)
            if cached is None or cached[0] != stamp:
                cached = self.loaded[path] = (stamp, self.load(path))
            return cached[1]

    def clear(self):
        """Forget what was read: the next get reads the file again."""
        with self.lock:
            self.loaded.clear()
