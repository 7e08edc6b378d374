"""Files that other processes may open at any moment: written whole, or not at all, and read
once a process until they change."""

import os
import threading
import uuid
from pathlib import Path

# Files other processes read: web processes may run as another user of the writer's group.
READABLE_FILE, READABLE_FOLDER = 0o644, 0o755


def write_atomically(path, write):
    """Call write(temporary path) to write a file, then fsync it and rename it to `path`: a
    reader sees the old file or the new one, never half of one, and a crash leaves no partial
    file under `path`. The temporary file is removed when `write` raises. Whatever the
    process's umask, the file is readable by the group and others (READABLE_FILE), and so are
    the folders it creates (READABLE_FOLDER). Returns `path`."""
    path = Path(path)
    make_folder(path.parent)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        temporary.chmod(READABLE_FILE)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def make_folder(folder):
    """Create `folder` and its missing parents, each readable and searchable by all
    (READABLE_FOLDER) whatever the umask; existing folders are left as they are."""
    missing = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    for created in missing:
        created.chmod(READABLE_FOLDER)


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
