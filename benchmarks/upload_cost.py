"""What the costliest photos the upload limits accept cost, end to end.

    python benchmarks/upload_cost.py [--repeats 3] [--runtime auto]

For each kind of file that is cheap to send and costly to process, at the edge of the limits
(CATALOG_MAX_IMAGE_PIXELS, CATALOG_MAX_IMAGE_SIDE, CATALOG_MAX_ASPECT_RATIO, under
CATALOG_MAX_UPLOAD_BYTES): the largest square, the longest and the narrowest shapes in PNG
(which has no reduced decode), RGBA and 16-bit grey PNG, lossless WebP and a progressive JPEG,
beside a demo catalogue photo as the baseline. Each file runs, in a child process of its own
(a scratch SQLite database, the model loaded and one small photo searched first), through:

- search: recommender.selectors.search_by_image (check, decode, both views preprocessed and
  embedded, search of an empty index);
- upload: what an admin or API upload costs, catalog.services.product_image_add (check and
  store), the thumbnail, and recommender.services.embeddings_update of the photo.

Wall seconds (median of --repeats) and the peak resident memory above the process's before
the call (sampled every 2 ms), in MB. Prints JSON on stdout, a table on stderr.
"""

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_during(call):
    """(seconds, peak MB above the start) of call()."""
    start_rss, peak, done = rss_mb(), [0.0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    try:
        call()
    finally:
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    return seconds, max(0.0, max(peak[0], rss_mb()) - start_rss)


def limits():
    from django.conf import settings

    return {
        "max_pixels": settings.CATALOG_MAX_IMAGE_PIXELS,
        "max_side": settings.CATALOG_MAX_IMAGE_SIDE,
        "max_aspect_ratio": settings.CATALOG_MAX_ASPECT_RATIO,
        "max_bytes": settings.CATALOG_MAX_UPLOAD_BYTES,
    }


def drawn(size, mode="RGB"):
    """A garment-like shape on a coloured, non-white background: the shopper's-photo path of
    the background step, which does the most work. Compresses well, as an attacker's would."""
    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGB", size, (120, 150, 170))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 5, height // 5, width * 4 // 5, height * 4 // 5), fill=(200, 40, 40))
    if mode == "I;16":
        return image.convert("L").point(lambda value: value * 256, "I").convert("I;16")
    return image.convert(mode)


def files():
    """{name: bytes} of the costly files the limits accept, and the baseline."""
    from django.conf import settings

    limit = limits()
    side, ratio, pixels = limit["max_side"], limit["max_aspect_ratio"], limit["max_pixels"]
    square = int(pixels**0.5)
    long_and_wide = (side, min(side, pixels // side))
    narrow = (side, side // ratio)
    cases = {
        "png square at the pixel limit": (drawn((square, square)), "PNG", {}),
        "png longest side, widest": (drawn(long_and_wide), "PNG", {}),
        "png longest side, narrowest": (drawn(narrow), "PNG", {}),
        "png narrowest, tall": (drawn(narrow[::-1]), "PNG", {}),
        "png RGBA, longest side, widest": (drawn(long_and_wide, "RGBA"), "PNG", {}),
        "png 16-bit grey, longest side, widest": (drawn(long_and_wide, "I;16"), "PNG", {}),
        "webp lossless, longest side, widest": (drawn(long_and_wide), "WEBP", {"lossless": True}),
        "jpeg progressive, longest side, widest": (
            drawn(long_and_wide),
            "JPEG",
            {"progressive": True, "quality": 90},
        ),
    }
    made = {}
    for name, (image, image_format, options) in cases.items():
        buffer = io.BytesIO()
        image.save(buffer, format=image_format, **options)
        if buffer.tell() <= settings.CATALOG_MAX_UPLOAD_BYTES:
            made[name] = buffer.getvalue()
        else:
            print(
                f"{name}: {buffer.tell():,} bytes, over the upload limit: left out", file=sys.stderr
            )
    demo = sorted((REPO / "data" / "demo-catalogue" / "images").glob("*.jpg"))[0]
    return {"baseline: a demo catalogue photo": demo.read_bytes(), **made}


def measure(name, repeats):
    """In a child process set up by main: the figures of one file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.images import check_image_bytes
    from catalog.services import image_thumbnail_make, product_image_add
    from recommender.selectors import search_by_image
    from recommender.services import embeddings_update
    from tests.factories import ProductFactory

    content = files()[name]
    checked = check_image_bytes(content)
    search_by_image(
        upload=SimpleUploadedFile("warm.jpg", files()["baseline: a demo catalogue photo"])
    )

    def search():
        search_by_image(upload=SimpleUploadedFile("photo", content))

    def upload():
        image = product_image_add(
            product=ProductFactory(), file=SimpleUploadedFile("photo", content)
        )
        image_thumbnail_make(image=image)
        assert embeddings_update(image_ids=[image.pk]).embedded == 1

    figures = {
        "file": {
            "bytes": len(content),
            "format": checked.format,
            "size": f"{checked.width}x{checked.height}",
        }
    }
    for path, call in (("search", search), ("upload", upload)):
        runs = [peak_during(call) for _ in range(repeats)]
        figures[path] = {
            "seconds": round(statistics.median(seconds for seconds, _ in runs), 3),
            "peak_mb": round(max(peak for _, peak in runs)),
        }
    return figures


def child_environment(scratch, runtime):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fashionsite.settings.test",
        "VAR_DIR": str(scratch),
        "RECOMMENDER_BACKBONE": "efficientnet_lite0",
        "RECOMMENDER_RUNTIME": runtime,
        "RECOMMENDER_AUTO_UPDATE": "false",
        "LOG_LEVEL": "WARNING",
    }


def run_child(name, args):
    with tempfile.TemporaryDirectory() as scratch:
        env = child_environment(scratch, args.runtime)
        env.pop("DATABASE_URL", None)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )
        result = subprocess.run(
            [sys.executable, __file__, "--child", name, "--repeats", str(args.repeats)],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--runtime", default="auto", help="RECOMMENDER_RUNTIME of the children")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.test")
    import django

    django.setup()
    if args.child:
        print(json.dumps(measure(args.child, args.repeats)))
        return
    results = {"limits": limits(), "runtime": args.runtime, "repeats": args.repeats, "files": {}}
    for name in files():
        results["files"][name] = run_child(name, args)
        row = results["files"][name]
        print(
            f"{name:<42} {row['file']['size']:>12} {row['file']['bytes']:>10,} B  "
            f"search {row['search']['seconds']:.2f} s {row['search']['peak_mb']:>5} MB  "
            f"upload {row['upload']['seconds']:.2f} s {row['upload']['peak_mb']:>5} MB",
            file=sys.stderr,
            flush=True,
        )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
