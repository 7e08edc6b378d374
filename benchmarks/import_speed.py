"""Time `import_catalog` on a catalogue folder, first run and an idempotent second run.

    python benchmarks/import_speed.py [FOLDER] [--database-url URL]

FOLDER defaults to ../shared/datasets/fashion-products (9,583 items). Without
--database-url it uses a new SQLite file; with one, the database must be empty.
Prints JSON.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(command, env):
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return round(time.perf_counter() - start, 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "folder", nargs="?", default=str(REPO.parent / "shared" / "datasets" / "fashion-products")
    )
    parser.add_argument("--database-url", help="an empty database; default: a new SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        env = os.environ | {
            "VAR_DIR": var_dir,
            "DJANGO_SETTINGS_MODULE": "fashionsite.settings.base",
        }
        env.pop("DATABASE_URL", None)
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        timed(["migrate", "--noinput"], env)
        first = timed(["import_catalog", args.folder, "--no-progress"], env)
        second = timed(["import_catalog", args.folder, "--no-progress"], env)
    rows = sum(1 for _ in open(Path(args.folder) / "styles.csv", encoding="utf-8")) - 1
    print(
        json.dumps(
            {
                "folder": args.folder,
                "rows": rows,
                "database": "postgresql" if args.database_url else "sqlite",
                "first_import_s": first,
                "second_import_s": second,
                "products_per_s": round(rows / first),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
