"""What the costliest photos the upload limits accept cost, end to end.

    python benchmarks/upload_cost.py [--repeats 3] [--runtime auto]

For each kind of file that is cheap to send and costly to process, at the edge of the limits
(CATALOG_MAX_IMAGE_PIXELS, CATALOG_MAX_PNG_WEBP_PIXELS, CATALOG_MAX_IMAGE_SIDE,
CATALOG_MAX_ASPECT_RATIO, under CATALOG_MAX_UPLOAD_BYTES): the largest square, the longest and
the narrowest shapes in PNG (which has no reduced decode), RGBA and 16-bit grey PNG, lossless
WebP and a progressive JPEG, beside a demo catalogue photo as the baseline. Each file runs, in
a child process of its own (a scratch SQLite database, the model loaded and one small photo
searched first), through:

- search: recommender.selectors.search_by_image (check, decode, both views preprocessed and
  embedded, search of an empty index);
- upload: what an admin or API upload costs, catalog.services.product_image_add (check and
  store), the thumbnail, and recommender.services.embeddings_update of the photo.

Wall seconds (median of --repeats) and the peak resident memory above the process's before
the call (Linux's VmHWM, reset before it), in MB. Also how long the check takes to refuse
files beyond the limits. Prints JSON on stdout, a table on stderr.
"""

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def status_mb(field):
    """A memory figure of /proc/self/status (VmRSS: resident now, VmHWM: its peak), in MB."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def peak_during(call):
    """(seconds, peak resident MB above the start) of call(): Linux's peak is reset first."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    start = status_mb("VmRSS")
    started = time.perf_counter()
    call()
    return time.perf_counter() - started, max(0.0, status_mb("VmHWM") - start)


BASELINE = sorted((REPO / "data" / "demo-catalogue" / "images").glob("*.jpg"))[0]


def limits():
    from django.conf import settings

    return {
        "max_pixels": settings.CATALOG_MAX_IMAGE_PIXELS,
        "max_png_webp_pixels": settings.CATALOG_MAX_PNG_WEBP_PIXELS,
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
    side, ratio = limit["max_side"], limit["max_aspect_ratio"]

    def shapes(pixels):
        """The largest square, and the longest widest and narrowest shapes, within the limits."""
        longest = min(side, int((pixels * ratio) ** 0.5))
        return (
            int(pixels**0.5),
            (longest, min(longest, pixels // longest)),
            (longest, -(-longest // ratio)),
        )

    square, wide, narrow = shapes(limit["max_png_webp_pixels"])
    _, jpeg_wide, _ = shapes(limit["max_pixels"])
    cases = {
        "png square at the pixel limit": (drawn((square, square)), "PNG", {}),
        "png longest side, widest": (drawn(wide), "PNG", {}),
        "png longest side, narrowest": (drawn(narrow), "PNG", {}),
        "png narrowest, tall": (drawn(narrow[::-1]), "PNG", {}),
        "png RGBA, longest side, widest": (drawn(wide, "RGBA"), "PNG", {}),
        "png 16-bit grey, longest side, widest": (drawn(wide, "I;16"), "PNG", {}),
        "webp lossless, longest side, widest": (drawn(wide), "WEBP", {"lossless": True}),
        "webp lossless square": (drawn((square, square)), "WEBP", {"lossless": True}),
        "jpeg progressive, longest side, widest": (
            drawn(jpeg_wide),
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
    return {"baseline: a demo catalogue photo": BASELINE.read_bytes(), **made}


def measure(file, path, repeats):
    """In a child process set up by main: seconds and peak MB of one file through one path
    (the file is read from disk: making it here would leave its memory resident)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.services import image_thumbnail_make, product_image_add
    from recommender.selectors import search_by_image
    from recommender.services import embeddings_update
    from tests.factories import ProductFactory

    content = Path(file).read_bytes()
    search_by_image(upload=SimpleUploadedFile("warm.jpg", BASELINE.read_bytes()))

    def search():
        search_by_image(upload=SimpleUploadedFile("photo", content))

    def upload():
        image = product_image_add(
            product=ProductFactory(), file=SimpleUploadedFile("photo", content)
        )
        image_thumbnail_make(image=image)
        assert embeddings_update(image_ids=[image.pk]).embedded == 1

    call = {"search": search, "upload": upload}[path]
    runs = [peak_during(call) for _ in range(repeats)]  # the first run's peak is the real one
    return {
        "seconds": round(statistics.median(seconds for seconds, _ in runs), 3),
        "peak_mb": round(max(peak for _, peak in runs)),
    }


def refused():
    """{name: (code, milliseconds)}: files beyond the limits, refused by the check from their
    header or their structure (the issue's: a 1 x 40,000 and a 40,000,000 x 1 PNG, a looping
    EPS named .jpg; a review's: many scans, segments or chunks)."""
    from django.core.exceptions import ValidationError
    from PIL import Image

    from catalog.images import check_image_bytes
    from tests.images import (
        LOOPING_EPS,
        jpeg_with_comments,
        png_with_chunks,
        progressive_jpeg_with_scans,
    )

    def png(size):
        buffer = io.BytesIO()
        Image.new("1", size).save(buffer, format="PNG")
        return buffer.getvalue()

    cases = {
        "png 1 x 40,000": png((1, 40_000)),
        "png 40,000,000 x 1": png((40_000_000, 1)),
        "png 20,000 x 20,000, 1-bit": png((20_000, 20_000)),
        "eps that loops forever": LOOPING_EPS,
        "jpeg 10,000 x 4,000 with 10,000 tiny scans": progressive_jpeg_with_scans(
            10_000, (10_000, 4_000)
        ),
        "jpeg with 2,000,000 empty comments": jpeg_with_comments(2_000_000),
        "png with 800,000 empty chunks": png_with_chunks(800_000),
    }
    results = {}
    for name, content in cases.items():
        started = time.perf_counter()
        try:
            check_image_bytes(content)
            code = "accepted"
        except ValidationError as error:
            code = error.code
        results[name] = {
            "bytes": len(content),
            "code": code,
            "ms": round(1000 * (time.perf_counter() - started), 1),
        }
    return results


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


def run_child(content, path, args):
    with tempfile.TemporaryDirectory() as scratch:
        file = Path(scratch) / "photo"
        file.write_bytes(content)
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
            [
                sys.executable,
                __file__,
                "--child",
                str(file),
                "--path",
                path,
                "--repeats",
                str(args.repeats),
            ],
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
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.test")
    import django

    django.setup()
    from PIL import Image

    if args.child:
        print(json.dumps(measure(args.child, args.path, args.repeats)))
        return
    results = {
        "limits": limits(),
        "runtime": args.runtime,
        "repeats": args.repeats,
        "refused": refused(),
        "files": {},
    }
    print(json.dumps(results["refused"]), file=sys.stderr, flush=True)
    for name, content in files().items():
        with Image.open(io.BytesIO(content)) as image:
            row = {
                "bytes": len(content),
                "format": image.format,
                "size": f"{image.width}x{image.height}",
            }
        row |= {path: run_child(content, path, args) for path in ("search", "upload")}
        results["files"][name] = row
        print(
            f"{name:<42} {row['size']:>12} {row['bytes']:>10,} B  "
            f"search {row['search']['seconds']:.2f} s {row['search']['peak_mb']:>5} MB  "
            f"upload {row['upload']['seconds']:.2f} s {row['upload']['peak_mb']:>5} MB",
            file=sys.stderr,
            flush=True,
        )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
