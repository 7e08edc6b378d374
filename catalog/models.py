from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from .images import CONTENT_TYPES

EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class Gender(models.TextChoices):
    MEN = "Men"
    WOMEN = "Women"
    BOYS = "Boys"
    GIRLS = "Girls"
    UNISEX = "Unisex"


class Product(models.Model):
    """A catalogue item, with the attributes of the Kaggle "Fashion Product Images" styles.csv."""

    external_id = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        # It names the photos' folder (product_image_path): no other characters.
        validators=[RegexValidator(EXTERNAL_ID_PATTERN, "Letters, digits, - and _ only.")],
        help_text=(
            "Id in the source catalogue (styles.csv `id`); empty for products made in the admin."
        ),
    )
    name = models.CharField(max_length=255)
    gender = models.CharField(max_length=16, choices=Gender.choices)
    master_category = models.CharField("category", max_length=64)
    sub_category = models.CharField(max_length=64)
    article_type = models.CharField(max_length=64)
    base_colour = models.CharField("colour", max_length=32, blank=True)
    season = models.CharField(max_length=16, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    usage = models.CharField(max_length=32, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["is_active", "gender"]),
            models.Index(fields=["is_active", "master_category"]),
            models.Index(fields=["is_active", "article_type"]),
            models.Index(fields=["is_active", "base_colour"]),
            models.Index(fields=["price"]),
            models.Index(fields=["name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0), name="product_price_not_negative"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def primary_image(self):
        """The primary image, using prefetched images when the queryset has them."""
        images = list(self.images.all())
        return next((image for image in images if image.is_primary), images[0] if images else None)


def product_image_path(image, filename, suffix=""):
    """The storage name of a product photo: products/<external id or p<id>>/<first 16 hex digits
    of its SHA-256><suffix>.<extension>. `filename` is photo.<the extension of the format found
    in its bytes> (CheckedImage.extension), never a client's name: a stored file's extension,
    and so the content type it is served with, is its format's. Raises ValueError otherwise."""
    # The content hash in the name makes the path deterministic: re-importing the same
    # photo reuses the file instead of piling up copies.
    extension = filename.rsplit(".", 1)[-1]
    if extension not in CONTENT_TYPES:
        raise ValueError(f"{filename!r}: a stored photo is named for its format: {CONTENT_TYPES}")
    owner = image.product.external_id or f"p{image.product_id}"
    return f"products/{owner}/{image.sha256[:16]}{suffix}.{extension}"


def thumbnail_path(image, filename):
    """The storage name of a photo's thumbnail: its photo's name with -thumb, as a .jpg."""
    return product_image_path(image, "thumbnail.jpg", suffix="-thumb")


class ProductImage(models.Model):
    product = models.ForeignKey(Product, related_name="images", on_delete=models.CASCADE)
    # Width, height and hash are measured once, when the upload is checked.
    image = models.ImageField(upload_to=product_image_path)
    # Made once, after the upload (catalog.tasks.make_thumbnails); pages fall back to the photo.
    thumbnail = models.ImageField(upload_to=thumbnail_path, blank=True, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    sha256 = models.CharField("content hash", max_length=64, editable=False)
    is_primary = models.BooleanField("primary", default=False)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "sha256"],
                name="unique_image_per_product",
                violation_error_message="This product already has this exact image.",
            ),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(is_primary=True),
                name="one_primary_image_per_product",
                violation_error_message="A product has only one primary image.",
            ),
        ]

    def __str__(self):
        return f"{self.product} ({self.width}x{self.height})"

    @property
    def thumbnail_url(self):
        """The URL of the thumbnail, or of the photo while it has none."""
        return (self.thumbnail or self.image).url


class Synonym(models.Model):
    """A word shoppers use for what the catalogue calls otherwise: a search for `word`
    ("sneakers") also finds what it means ("casual shoes, sports shoes"). Read by
    catalog.search."""

    word = models.CharField(
        max_length=64,
        unique=True,
        help_text='What a shopper types: a word or a few ("sneakers", "t shirt"), any case.',
    )
    means = models.CharField(
        max_length=255,
        help_text='What the catalogue calls it, separated by commas: "casual shoes, sports shoes".',
    )

    class Meta:
        ordering = ["word"]

    def __str__(self):
        return f"{self.word} → {self.means}"

    def meanings(self):
        """The phrases of `means`, as a list (empty ones left out)."""
        return [meaning.strip() for meaning in self.means.split(",") if meaning.strip()]
