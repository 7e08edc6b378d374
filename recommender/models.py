"""The recommender's tables: each photo's stored vectors, and photos seen with their embedding
state.

The QuerySet methods here are the query building blocks that both selectors (reads) and
services (writes) use: services never import selectors.
"""

import numpy as np
from django.db import models
from django.db.models import Exists, F, OuterRef, Subquery

from catalog.models import ProductImage

MAX_ATTEMPTS = 3  # a photo that failed this often is left alone until it is replaced


class ImageEmbeddingQuerySet(models.QuerySet):
    def current(self, model_fingerprint, status=None):
        """Rows of this model with this status (default DONE), made from
        each photo's current file."""
        return self.filter(
            fingerprint=model_fingerprint,
            status=status or ImageEmbedding.Status.DONE,
            image_sha256=F("image__sha256"),
        )

    def indexable(self, model_fingerprint, image_ids=None):
        """The current vectors of active products' photos (of image_ids, or
        all): what the index holds."""
        rows = self.current(model_fingerprint).filter(image__product__is_active=True)
        return rows if image_ids is None else rows.filter(image_id__in=list(image_ids))

    def about_each_photo(self, model_fingerprint, **conditions):
        """Rows of this model about the current file of each photo of an outer ProductImage
        query, for Exists() and Subquery()."""
        return self.filter(
            image=OuterRef("pk"),
            fingerprint=model_fingerprint,
            image_sha256=OuterRef("sha256"),
            **conditions,
        )

    def ids_and_vectors(self):
        """(ids, vectors) of these rows: int64 photo ids, shape (n,), and float32 unit vectors,
        shape (n, d); vectors of shape (0, 0) when there are none."""
        pairs = list(self.values_list("image_id", "vector"))
        ids = np.array([image_id for image_id, _ in pairs], dtype=np.int64)
        if not pairs:
            return ids, np.zeros((0, 0), np.float32)
        return ids, np.stack([ImageEmbedding.from_bytes(vector) for _, vector in pairs])


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

    objects = ImageEmbeddingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["image", "fingerprint"], name="one_embedding_per_image_and_model"
            ),
        ]
        indexes = [models.Index(fields=["fingerprint", "image"])]

    def __str__(self):
        return f"{self.image_id} @ {self.fingerprint}"

    @staticmethod
    def to_bytes(array):
        """A float32 vector, shape (d,), as the bytes stored in `vector` (4 d bytes)."""
        return np.ascontiguousarray(array, dtype=np.float32).tobytes()

    @staticmethod
    def from_bytes(data):
        """The float32 vector, shape (d,), stored as `data` (to_bytes)."""
        return np.frombuffer(bytes(data), dtype=np.float32)


class PhotoQuerySet(models.QuerySet):
    def without_current_vector(self, model_fingerprint):
        """Photos with no vector from this model, or a vector made from an
        earlier file, oldest first."""
        done = ImageEmbedding.objects.about_each_photo(
            model_fingerprint, status=ImageEmbedding.Status.DONE
        )
        return self.exclude(Exists(done)).order_by("id")

    def pending(self, model_fingerprint):
        """Photos still to embed: no current vector, and not given up on
        after MAX_ATTEMPTS failures."""
        given_up = ImageEmbedding.objects.about_each_photo(
            model_fingerprint, status=ImageEmbedding.Status.FAILED, attempts__gte=MAX_ATTEMPTS
        )
        return self.without_current_vector(model_fingerprint).exclude(Exists(given_up))

    def with_state(self, model_fingerprint):
        """The photos annotated with their row of this model: current_status (None: pending),
        current_attempts and current_error."""
        current = ImageEmbedding.objects.about_each_photo(model_fingerprint)
        return self.annotate(
            current_status=Subquery(current.values("status")[:1]),
            current_attempts=Subquery(current.values("attempts")[:1]),
            current_error=Subquery(current.values("error")[:1]),
        )


class PhotoEmbedding(ProductImage):
    """Product photos seen from the recommender: the admin lists their embedding state."""

    objects = PhotoQuerySet.as_manager()

    class Meta:
        proxy = True
        verbose_name = "photo embedding"
