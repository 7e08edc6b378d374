"""Every stored photo named for the format of its bytes (jpg, png or webp), nothing lost.

Uploads used to keep the client's extension (a PNG named page.html was served as a page),
and GIF, TIFF, BMP, ICO and PCX were accepted. A photo in one of the shop's formats under
another extension is renamed; a photo in another format that Pillow decodes by itself is
converted to PNG (its pixels kept; its hash, and so its vector, renewed). A file no decoder
of Pillow's own reads (EPS needs Ghostscript) is left as it is, and named on the console.
The old files are deleted once the migration has committed.
"""

import hashlib
import io
import posixpath

from django.core.files.base import ContentFile
from django.db import migrations, transaction
from PIL import Image, UnidentifiedImageError

EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}
NEEDS_A_PROGRAM = {"EPS"}


def as_png(content):
    """(PNG bytes, width, height) of an image in another format, its transparency kept."""
    with Image.open(io.BytesIO(content)) as image:
        converted = image.convert(
            "RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB"
        )
    buffer = io.BytesIO()
    converted.save(buffer, format="PNG")
    return buffer.getvalue(), converted.width, converted.height


def name_photos_for_their_format(apps, schema_editor):
    """Rename or convert each photo whose file is not named for a format of the shop's."""
    ProductImage = apps.get_model("catalog", "ProductImage")
    replaced = []
    for image in ProductImage.objects.exclude(image="").order_by("id").iterator():
        storage, old_name = image.image.storage, image.image.name
        try:
            with storage.open(old_name, "rb") as file:
                content = file.read()
            with Image.open(io.BytesIO(content)) as opened:  # identifies; decodes nothing
                image_format = opened.format
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as error:
            print(f"  photo {image.pk} ({old_name}) left as it is: {error}")
            continue
        stem, extension = posixpath.splitext(old_name)
        if image_format in EXTENSIONS:
            if extension == f".{EXTENSIONS[image_format]}":
                continue
            image.image.name = storage.save(
                f"{stem}.{EXTENSIONS[image_format]}", ContentFile(content)
            )
            image.save(update_fields=["image"])
        elif image_format in NEEDS_A_PROGRAM:
            print(f"  photo {image.pk} ({old_name}) left as it is: {image_format} needs a program")
            continue
        else:
            png, width, height = as_png(content)
            sha256 = hashlib.sha256(png).hexdigest()
            if ProductImage.objects.filter(product_id=image.product_id, sha256=sha256).exists():
                print(f"  photo {image.pk} ({old_name}) left as it is: its product has it as PNG")
                continue
            new_name = storage.save(
                posixpath.join(posixpath.dirname(old_name), f"{sha256[:16]}.png"), ContentFile(png)
            )
            image.image.name, image.sha256, image.width, image.height = (
                new_name,
                sha256,
                width,
                height,
            )
            image.save(update_fields=["image", "sha256", "width", "height"])
        replaced.append((storage, old_name))
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in replaced])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_product_image_thumbnail")]

    operations = [migrations.RunPython(name_photos_for_their_format, migrations.RunPython.noop)]
