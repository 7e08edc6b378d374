import numpy as np
from django.db import models

from catalog.models import ProductImage


class ImageEmbedding(models.Model):
    """The vector of one product photo, made by one model (named by its fingerprint).

    `vector` is the float32 unit vector of recommender.embedding (shape and colour).
    `image_sha256` is the photo the row is about: when the photo is replaced, the row is
    stale and the photo pending again. A photo that cannot be embedded gets a FAILED row
    with the error and the number of attempts.
    """

    class Status(models.TextChoices):
        DONE = "done"
        FAILED = "failed"

    image = models.ForeignKey(ProductImage, related_name="embeddings", on_delete=models.CASCADE)
    fingerprint = models.CharField(max_length=128)
    image_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DONE)
    vector = models.BinaryField(null=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "fingerprint"], name="one_embedding_per_image_and_model"),
        ]
        indexes = [models.Index(fields=["fingerprint", "image"])]

    def __str__(self):
        return f"{self.image_id} @ {self.fingerprint}"

    @staticmethod
    def to_bytes(array):
        return np.ascontiguousarray(array, dtype=np.float32).tobytes()

    @staticmethod
    def from_bytes(data):
        return np.frombuffer(bytes(data), dtype=np.float32)


class PhotoEmbedding(ProductImage):
    """Product photos seen from the recommender: the admin lists their embedding state."""

    class Meta:
        proxy = True
        verbose_name = "photo embedding"
