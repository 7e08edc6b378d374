"""Pick the shipped demo catalogue from the 9,583-item sample (run once; kept for the record).

Takes 12 products of each articleType that has at least 20 items in the sample
(39 types over Apparel, Footwear, Accessories and Personal Care), with a fixed seed.

    python data/make_demo_catalogue.py ../shared/datasets/fashion-products data/demo-catalogue
"""

import csv
import random
import shutil
import sys
from collections import defaultdict
from pathlib import Path

PER_TYPE = 12
MIN_TYPE_SIZE = 20


def main(source, target):
    source, target = Path(source), Path(target)
    with open(source / "styles.csv", newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        columns, rows = reader.fieldnames, list(reader)
    by_type = defaultdict(list)
    for row in rows:
        by_type[row["articleType"]].append(row)
    rng = random.Random(20261126)
    chosen = []
    for article_type in sorted(by_type):
        if len(by_type[article_type]) >= MIN_TYPE_SIZE:
            chosen += rng.sample(
                sorted(by_type[article_type], key=lambda row: int(row["id"])), PER_TYPE
            )
    (target / "images").mkdir(parents=True, exist_ok=True)
    with open(target / "styles.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(chosen)
    for row in chosen:
        shutil.copyfile(
            source / "images" / f"{row['id']}.jpg", target / "images" / f"{row['id']}.jpg"
        )
    print(f"{len(chosen)} products written to {target}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
