"""Search by photo with the photos shoppers take, not only clean catalogue shots.

    python benchmarks/shopper_photos.py [--queries N] [--seed S] [--save-examples DIR]

Runs against the shop database of the environment (DJANGO_SETTINGS_MODULE, default
fashionsite.settings.base; DATABASE_URL or VAR_DIR), which must hold an imported,
embedded and indexed catalogue (manage.py import_catalog, embed_catalog, build_index).

It picks N active products with a primary photo (a seeded sample, default 200) and
makes, from each photo, with PIL and numpy only, the variants in VARIANTS: the
catalogue file itself (the control), the garment on a bed or a table (fabric or wood
texture), on a cluttered background, in phone-camera light, stored rotated with an EXIF
orientation tag, cropped off-centre, tilted and upscaled to phone size, and background
+ light + EXIF together. Each is uploaded as a JPEG to recommender.selectors.search_by_image
(k=10). Per variant it reports:

- top1 / top10: share of queries whose own source product comes first / in the top 10;
- p10_type: share of the 10 results with the query product's articleType;
- p10_type_colour: the same for articleType and baseColour together;
- latency_ms: mean time of one search_by_image call (check, embed, search);
- errors: uploads refused with a ValidationError (counted as misses).

Prints JSON on stdout and a table on stderr. The variants are deterministic for a seed
(each depends on the seed, the product id and the variant name only).

The garment is cut out of its catalogue photo by the white-background rule the shop
itself uses (all channels above 235), keeping white that the product encloses: a white
garment that runs into the white background (a white shirt on a model) can lose parts.
--save-examples DIR writes one small JPEG per variant of the first product.
"""

import argparse
import colorsys
import io
import json
import os
import random
import statistics
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fashionsite.settings.base")

import django  # noqa: E402

django.setup()

from django.core.exceptions import ValidationError  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402

from catalog.models import Product  # noqa: E402
from recommender.embedding import fingerprint  # noqa: E402
from recommender.models import ImageEmbedding  # noqa: E402
from recommender.selectors import search_by_image  # noqa: E402

K = 10
WHITE_LEVEL = 235  # a pixel with all channels above this is catalogue background
WHITE = (255, 255, 255)
EXIF_ORIENTATION = 0x0112
# The stored pixels for each EXIF orientation, so that a correct reader shows them upright.
STORED_ROTATION = {6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}
EXAMPLE_SIDE = 256


@dataclass(frozen=True)
class Source:
    """A query product's photo, read once: the file, the upright picture and its cut-out."""

    data: bytes
    image: Image.Image  # RGB
    cutout: Image.Image  # RGBA, cropped to the product, transparent background
    box: tuple  # (left, top, right, bottom) of the product in `image`


# ---------------------------------------------------------------------------- sources


def load_source(product):
    data = Path(product.primary_image.image.path).read_bytes()
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    cutout, box = extract_foreground(image, background_mask(image))
    return Source(data, image, cutout, box)


def background_mask(image):
    """'L' mask, 255 on the near-white background: white pixels not enclosed by the
    product, grown by a pixel to drop the light halo at the product's edges."""
    white = (np.asarray(image) > WHITE_LEVEL).all(axis=2)
    background = white & ~enclosed(~white)
    return Image.fromarray((background * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(3))


def enclosed(foreground):
    """(H, W) bool: pixels with foreground on all four sides (left, right, above, below).
    This keeps white inside the product (a white collar, a strap's loop) out of the background."""
    sides = []
    for axis in (0, 1):
        sides.append(np.logical_or.accumulate(foreground, axis=axis))
        sides.append(np.flip(np.logical_or.accumulate(np.flip(foreground, axis), axis=axis), axis))
    return np.logical_and.reduce(sides)


def extract_foreground(image, mask):
    """(RGBA cut-out cropped to the product, its box in image); the whole photo when the
    mask finds almost no product (e.g. a white garment that merges with the background)."""
    alpha = ImageOps.invert(mask).filter(ImageFilter.GaussianBlur(0.7))
    box = alpha.point(lambda v: 255 if v > 128 else 0).getbbox()
    if box is None or (box[2] - box[0]) * (box[3] - box[1]) < 0.05 * image.width * image.height:
        return image.convert("RGBA"), (0, 0, image.width, image.height)
    cutout = image.convert("RGBA")
    cutout.putalpha(alpha)
    return cutout.crop(box), box


# ---------------------------------------------------------------------------- pictures


def muted_colour(rng):
    """(3,) RGB array of low saturation and middle brightness, like bedding or a wall."""
    red, green, blue = colorsys.hsv_to_rgb(
        rng.random(), rng.uniform(0.08, 0.35), rng.uniform(0.45, 0.8)
    )
    return np.array([red, green, blue]) * 255


def vivid_colour(rng):
    red, green, blue = colorsys.hsv_to_rgb(
        rng.random(), rng.uniform(0.3, 0.9), rng.uniform(0.3, 0.95)
    )
    return tuple(int(255 * channel) for channel in (red, green, blue))


def smooth_noise(rng, size, cells):
    """(height, width) float array in about [-1, 1] that varies over `cells` cells."""
    width, height = size
    coarse = Image.fromarray(rng.uniform(-1, 1, (cells, cells)).astype(np.float32))
    return np.asarray(coarse.resize((width, height), Image.Resampling.BICUBIC))


def shade_to_image(colour, shading):
    """An RGB image of `colour` brightened or darkened by the (height, width) shading."""
    pixels = colour[None, None, :] * (1.0 + shading[:, :, None])
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def fabric_texture(rng, size):
    """A woven cloth: fine crossing threads, grain noise and broad wrinkles."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    period = rng.uniform(3, 6)
    weave = np.sin(2 * np.pi * x / period) * np.sin(2 * np.pi * y / period)
    shading = (
        0.05 * weave
        + 0.04 * rng.standard_normal((height, width))
        + 0.15 * smooth_noise(rng, size, 5)
    )
    return shade_to_image(muted_colour(rng), shading)


def wood_texture(rng, size):
    """Floor boards or a table top: wavy grain stripes and board seams."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    board = width / rng.integers(3, 6)
    warp = 12 * smooth_noise(rng, size, 4)
    grain = np.sin(2 * np.pi * (x + warp) / rng.uniform(8, 20))
    seams = np.where((x % board) < 2, -0.35, 0.0)
    shading = 0.1 * grain + seams + 0.03 * rng.standard_normal((height, width))
    wood = np.array(
        colorsys.hsv_to_rgb(rng.uniform(0.05, 0.11), rng.uniform(0.3, 0.6), rng.uniform(0.4, 0.75))
    )
    return shade_to_image(wood * 255, shading)


def plain_surface(rng, size):
    """A wall or floor of one muted colour, unevenly lit."""
    return shade_to_image(muted_colour(rng), 0.12 * smooth_noise(rng, size, 3))


def phone_canvas_size(rng, short=480):
    """(width, height) of a 3:4 or 4:3 phone photo."""
    long = short * 4 // 3
    return (short, long) if rng.random() < 0.5 else (long, short)


def product_box(canvas_size, product_size, scale, position):
    """(left, top, width, height) of the product fitted into scale x the canvas, its
    top-left corner at `position` (0..1 each way) of the space left around it."""
    canvas_w, canvas_h = canvas_size
    ratio = min(scale * canvas_w / product_size[0], scale * canvas_h / product_size[1])
    width, height = max(1, round(product_size[0] * ratio)), max(1, round(product_size[1] * ratio))
    return (
        round(position[0] * (canvas_w - width)),
        round(position[1] * (canvas_h - height)),
        width,
        height,
    )


def place_on(background, product, scale, position):
    """The background with the RGBA product pasted on it (see product_box)."""
    left, top, width, height = product_box(background.size, product.size, scale, position)
    resized = product.resize((width, height), Image.Resampling.LANCZOS)
    result = background.copy()
    result.paste(resized, (left, top), resized)
    return result


def random_position(rng, spread=0.3):
    """A (x, y) position near the centre, off by up to `spread` either way."""
    return tuple(0.5 + rng.uniform(-spread, spread) for _ in range(2))


def draw_clutter(canvas, rng, around, count):
    """Random coloured rectangles and ellipses centred near the edges of the `around` box."""
    left, top, width, height = around
    draw = ImageDraw.Draw(canvas)
    for _ in range(count):
        centre_x = left + width * rng.choice([rng.uniform(-0.3, 0.1), rng.uniform(0.9, 1.3)])
        centre_y = top + height * rng.uniform(-0.2, 1.2)
        if rng.random() < 0.5:  # above or below the product rather than beside it
            centre_x, centre_y = (
                left + width * rng.uniform(-0.2, 1.2),
                top + height * rng.choice([rng.uniform(-0.3, 0.1), rng.uniform(0.9, 1.3)]),
            )
        half_w, half_h = rng.uniform(0.1, 0.3) * width, rng.uniform(0.1, 0.3) * height
        shape = [centre_x - half_w, centre_y - half_h, centre_x + half_w, centre_y + half_h]
        (draw.rectangle if rng.random() < 0.5 else draw.ellipse)(shape, fill=vivid_colour(rng))
    return canvas


# ---------------------------------------------------------------------------- variants


def on_bed(source, rng):
    """The garment laid on a bed (fabric) or on a floor or table (wood), 50-70% of the frame."""
    size = phone_canvas_size(rng)
    background = (fabric_texture if rng.random() < 0.6 else wood_texture)(rng, size)
    return place_on(background, source.cutout, rng.uniform(0.5, 0.7), random_position(rng))


def cluttered(source, rng):
    """The garment in front of a wall with objects of any colour around and behind it."""
    background = plain_surface(rng, phone_canvas_size(rng))
    scale, position = rng.uniform(0.5, 0.65), random_position(rng)
    box = product_box(background.size, source.cutout.size, scale, position)
    draw_clutter(background, rng, box, count=int(rng.integers(4, 8)))
    return place_on(background, source.cutout, scale, position)


def phone_light(image, rng):
    """Indoor phone-camera light: slight blur, warm or cool cast, dimmer
    and flatter, sensor noise."""
    blurred = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.2)))
    pixels = np.asarray(blurred, np.float64)
    strength = rng.uniform(0.08, 0.15)
    cast = (
        [1 + strength, 1.0, 1 - strength]
        if rng.random() < 0.5
        else [1 - strength, 1.0, 1 + strength]
    )
    pixels = pixels * np.array(cast) * rng.uniform(0.7, 0.85)
    pixels = (pixels - pixels.mean()) * rng.uniform(0.7, 0.85) + pixels.mean()
    pixels = pixels + rng.normal(0, rng.uniform(4, 9), pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def off_centre_crop(source, rng):
    """A crop keeping 60-80% of the product's box, pushed towards one corner."""
    left, top, right, bottom = source.box
    side = np.sqrt(rng.uniform(0.6, 0.8))  # share of each side kept
    aspect = rng.uniform(0.9, 1.1)
    keep_w = (right - left) * min(1.0, side * aspect)
    keep_h = (bottom - top) * min(1.0, side / aspect)
    shift_x, shift_y = (rng.choice([rng.uniform(0, 0.2), rng.uniform(0.8, 1)]) for _ in range(2))
    crop_left = left + shift_x * (right - left - keep_w)
    crop_top = top + shift_y * (bottom - top - keep_h)
    return source.image.crop(
        tuple(round(v) for v in (crop_left, crop_top, crop_left + keep_w, crop_top + keep_h))
    )


def tilted(source, rng):
    """Held at a slant (10-15 degrees either way) on white, upscaled to a 1200x1600 phone photo."""
    angle = rng.uniform(10, 15) * rng.choice([-1, 1])
    rotated = source.cutout.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    return place_on(Image.new("RGB", (1200, 1600), WHITE), rotated, 0.8, random_position(rng, 0.1))


def to_jpeg(image, quality=90):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def exif_rotated_jpeg(image, rng, quality=90):
    """JPEG bytes of the image stored on its side, with the EXIF orientation that stands it up."""
    orientation = int(rng.choice(list(STORED_ROTATION)))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    buffer = io.BytesIO()
    image.transpose(STORED_ROTATION[orientation]).save(buffer, "JPEG", quality=quality, exif=exif)
    data = buffer.getvalue()
    check_upright(data, image)
    return data


def check_upright(data, image):
    """Fail loudly if an EXIF-aware reader would not show the stored JPEG as `image`."""
    shown = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    difference = (
        np.abs(np.asarray(shown, np.int16) - np.asarray(image, np.int16)).mean()
        if shown.size == image.size
        else np.inf
    )
    if difference > 12:
        raise AssertionError(
            f"EXIF-rotated photo does not read back upright (mean difference {difference:.1f})"
        )


VARIANTS = {
    "catalogue": lambda source, rng: source.data,  # the stored file itself: the control
    "bed_background": lambda source, rng: to_jpeg(on_bed(source, rng)),
    "cluttered": lambda source, rng: to_jpeg(cluttered(source, rng)),
    "phone_light": lambda source, rng: to_jpeg(phone_light(source.image, rng), quality=60),
    "exif_rotated": lambda source, rng: exif_rotated_jpeg(source.image, rng),
    "crop": lambda source, rng: to_jpeg(off_centre_crop(source, rng)),
    "tilted": lambda source, rng: to_jpeg(tilted(source, rng)),
    "combined": lambda source, rng: exif_rotated_jpeg(
        phone_light(on_bed(source, rng), rng), rng, quality=60
    ),
}


def variant_rng(seed, product_id, name):
    return np.random.default_rng([seed, product_id, zlib.crc32(name.encode())])


# ---------------------------------------------------------------------------- measuring


def sample_products(count, seed):
    """`count` active products with a primary photo: a seeded sample of them ordered by id."""
    ids = list(
        Product.objects.filter(is_active=True, images__is_primary=True)
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()
    )
    chosen = sorted(random.Random(seed).sample(ids, min(count, len(ids))))
    return list(Product.objects.filter(id__in=chosen).prefetch_related("images").order_by("id"))


def timed_search(data):
    """(results, seconds); results is None when the upload is refused."""
    upload = SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg")
    start = time.perf_counter()
    try:
        results = search_by_image(upload=upload, k=K)
    except ValidationError:
        results = None
    return results, time.perf_counter() - start


def score_query(product, results, seconds):
    """The figures of one search for a photo of `product`."""
    results = results or []
    ids = [found.product.pk for found in results]
    same_type = [found.product.article_type == product.article_type for found in results]
    same_colour = [found.product.base_colour == product.base_colour for found in results]
    return {
        "top1": float(ids[:1] == [product.pk]),
        "top10": float(product.pk in ids[:K]),
        "p10_type": sum(same_type[:K]) / K,
        "p10_type_colour": sum(t and c for t, c in zip(same_type, same_colour)) / K,
        "latency_ms": 1000 * seconds,
    }


def summarise(rows, errors):
    summary = {
        name: round(statistics.fmean(row[name] for row in rows), 3)
        for name in ("top1", "top10", "p10_type", "p10_type_colour")
    }
    summary["latency_ms"] = round(statistics.fmean(row["latency_ms"] for row in rows), 1)
    summary["errors"] = errors
    return summary


def run(products, seed, examples_dir=None):
    """{variant: summary} over every product."""
    rows = {name: [] for name in VARIANTS}
    errors = dict.fromkeys(VARIANTS, 0)
    for position, product in enumerate(products):
        source = load_source(product)
        for name, make in VARIANTS.items():
            data = make(source, variant_rng(seed, product.pk, name))
            if examples_dir and position == 0:
                save_example(examples_dir / f"{name}.jpg", data)
            results, seconds = timed_search(data)
            errors[name] += results is None
            rows[name].append(score_query(product, results, seconds))
    return {name: summarise(rows[name], errors[name]) for name in VARIANTS}


def save_example(path, data):
    """A small copy of the uploaded JPEG, stored pixels and EXIF orientation kept as uploaded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    image = image.convert("RGB")
    image.thumbnail((EXAMPLE_SIDE, EXAMPLE_SIDE), Image.Resampling.LANCZOS)
    image.save(path, "JPEG", quality=85, exif=exif)


def print_table(variants, out=sys.stderr):
    columns = ("top1", "top10", "p10_type", "p10_type_colour", "latency_ms", "errors")
    print(f"{'variant':<16}" + "".join(f"{column:>17}" for column in columns), file=out)
    for name, summary in variants.items():
        print(f"{name:<16}" + "".join(f"{summary[column]:>17}" for column in columns), file=out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200, help="products to query (default 200)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the sample and of the variants"
    )
    parser.add_argument(
        "--save-examples", type=Path, metavar="DIR", help="write one JPEG per variant here"
    )
    args = parser.parse_args()
    products = sample_products(args.queries, args.seed)
    if not products:
        sys.exit("No active product with a primary photo: run manage.py import_catalog first.")
    if not ImageEmbedding.objects.filter(fingerprint=fingerprint()).exists():
        sys.exit(
            f"No stored vector for {fingerprint()}: "
            "run manage.py embed_catalog and build_index first."
        )
    timed_search(load_source(products[0]).data)  # loads the model and the index, not timed
    variants = run(products, args.seed, args.save_examples)
    print(
        json.dumps(
            {
                "queries": len(products),
                "catalogue_size": Product.objects.filter(is_active=True).count(),
                "fingerprint": fingerprint(),
                "k": K,
                "seed": args.seed,
                "variants": variants,
            },
            indent=2,
        )
    )
    print_table(variants)


if __name__ == "__main__":
    main()
