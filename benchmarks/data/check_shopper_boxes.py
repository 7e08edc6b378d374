"""Check shopper_boxes.csv: every row parses, fractions lie in 0-1 with left<right and
top<bottom, 110 rows, 10 per label, each image is in the dataset under that label, and the
images are the ones choose_box_photos.py picks. Prints the mean box area (share of the
photo) per label. Exits non-zero on a problem.

    python benchmarks/data/check_shopper_boxes.py
"""

import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

from choose_box_photos import DATASET, LABELS, PER_LABEL, choose

BOXES = Path(__file__).with_name("shopper_boxes.csv")


def check(path=BOXES):
    problems = []
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != ["image", "label", "left", "top", "right", "bottom"]:
            problems.append(f"header {reader.fieldnames}")
        rows = list(reader)
    with open(DATASET / "labels.csv", newline="") as f:
        dataset = {r["image"]: r["label"] for r in csv.DictReader(f)}
    areas = defaultdict(list)
    for n, r in enumerate(rows, start=2):
        try:
            left, top, right, bottom = (float(r[k]) for k in ("left", "top", "right", "bottom"))
        except (TypeError, ValueError):
            problems.append(f"line {n}: does not parse: {r}")
            continue
        if not (0 <= left < right <= 1 and 0 <= top < bottom <= 1):
            problems.append(f"line {n}: box out of range or empty: {r}")
        if dataset.get(r["image"]) != r["label"]:
            problems.append(f"line {n}: {r['image']} is {dataset.get(r['image'])!r} in the dataset")
        areas[r["label"]].append((right - left) * (bottom - top))
    counts = Counter(r["label"] for r in rows)
    if len(rows) != len(LABELS) * PER_LABEL:
        problems.append(f"{len(rows)} rows")
    for label in LABELS:
        if counts[label] != PER_LABEL:
            problems.append(f"{label}: {counts[label]} rows")
    if {r["image"] for r in rows} != {image for image, _ in choose()}:
        problems.append("images differ from choose_box_photos.py's selection")
    return problems, areas


if __name__ == "__main__":
    problems, areas = check()
    for label in LABELS:
        a = areas.get(label, [])
        print(f"{label:8} {len(a):3} boxes, mean area {sum(a) / max(len(a), 1):.3f}")
    every = [x for a in areas.values() for x in a]
    print(f"all      {len(every):3} boxes, mean area {sum(every) / max(len(every), 1):.3f}")
    for p in problems:
        print("PROBLEM:", p)
    sys.exit(1 if problems else 0)
