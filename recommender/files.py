"""Files that other processes may open at any moment: written whole, or not at all."""

import os
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
