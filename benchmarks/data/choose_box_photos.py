"""Choose the shoppers' photos that get a hand-drawn garment box.

Takes 10 photos of each of the 11 garment kinds that map to the catalogue (110 in all)
from ../shared/datasets/shoppers-photos/labels.csv: for each label, its rows sorted by
image name, then random.Random(18).sample(rows, 10) (one fresh Random(18) per label, in
the order of LABELS). Prints `image,label` for each chosen photo.

    python benchmarks/data/choose_box_photos.py [--extra N]

--extra N also prints, per label, the next N photos of a longer sample with the same
seed (sample(rows, 10 + N)[10:]): replacements for a photo judged impossible to box.
"""

import argparse
import csv
import random
from pathlib import Path

LABELS = [
    "T-Shirt",
    "Polo",
    "Shirt",
    "Pants",
    "Shoes",
    "Dress",
    "Shorts",
    "Skirt",
    "Hat",
    "Hoodie",
    "Outwear",
]
PER_LABEL = 10
SEED = 18
DATASET = Path(__file__).resolve().parents[2].parent / "shared/datasets/shoppers-photos"


def choose(labels_csv=DATASET / "labels.csv", extra=0):
    with open(labels_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    chosen = []
    for label in LABELS:
        images = sorted(r["image"] for r in rows if r["label"] == label)
        sample = random.Random(SEED).sample(images, PER_LABEL + extra)
        chosen += [(image, label) for image in sample]
    return chosen


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", type=int, default=0)
    args = parser.parse_args()
    print("image,label")
    for image, label in choose(extra=args.extra):
        print(f"{image},{label}")
