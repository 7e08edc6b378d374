"""What the API reads and writes. Writes are done by catalog.services: these
only validate and render."""

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Product, ProductImage
from catalog.selectors import LISTED_FIELDS, listed_spellings
from recommender.photo_query import Box

from .fields import (
    FractionField,
    KnownFieldsOnly,
    PriceField,
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
)
from .filters import CatalogueFiltersSerializer


class ImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The full-size photo (absolute URL).")
    thumbnail_url = serializers.SerializerMethodField(
        help_text="A small version, or the photo until it is made."
    )

    class Meta:
        model = ProductImage
        fields = ["id", "url", "thumbnail_url", "width", "height", "is_primary"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, image):
        return self.absolute(image.image.url)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, image):
        return self.absolute(image.thumbnail_url)

    def absolute(self, url):
        """The URL made absolute with the request's host (as it is without a request)."""
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


# What staff write (ProductInputSerializer), in the order a product is shown (ProductSerializer).
WRITABLE_FIELDS = [
    "external_id",
    "name",
    "gender",
    "masterCategory",
    "subCategory",
    "articleType",
    "colour",
    "season",
    "year",
    "usage",
    "price",
    "is_active",
]


class ProductFields(serializers.ModelSerializer):
    """Product attributes under their API names (those of the query
    parameters); the others keep theirs."""

    # Text and whole numbers only as JSON strings and integers (as the schema says).
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.PositiveSmallIntegerField: StrictIntegerField,
    }
    masterCategory = StrictCharField(source="master_category", max_length=64)
    subCategory = StrictCharField(source="sub_category", max_length=64)
    articleType = StrictCharField(source="article_type", max_length=64)
    colour = StrictCharField(source="base_colour", max_length=32, required=False, allow_blank=True)


class ProductSummarySerializer(ProductFields):
    """A product in a list: its attributes for a tile and its primary image."""

    image = ImageSerializer(source="primary_image", allow_null=True, help_text="The primary image.")

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "gender",
            "masterCategory",
            "articleType",
            "colour",
            "price",
            "is_active",
            "image",
        ]


class ProductSerializer(ProductFields):
    """A product with every attribute and all its images (primary first)."""

    images = ImageSerializer(many=True)

    class Meta:
        model = Product
        fields = ["id", *WRITABLE_FIELDS, "created_at", "updated_at", "images"]


class ProductInputSerializer(KnownFieldsOnly, ProductFields):
    """A product to create, or the fields to change (PATCH: any of them; is_active=false deactivates)."""  # noqa: E501 (one line: the OpenAPI schema's description)

    price = PriceField(required=False, allow_null=True, help_text='e.g. "49.90" (a string).')
    is_active = StrictBooleanField(required=False, help_text="false hides it from customers.")
    newValues = StrictBooleanField(
        required=False,
        write_only=True,
        help_text="true to give the product a masterCategory, articleType or colour that no "
        "product has yet (else such a value is refused: a typo cannot make a new one).",
    )

    class Meta:
        model = Product
        fields = [*WRITABLE_FIELDS, "newValues"]

    def validate_external_id(self, value):
        return value or None  # unique when given; "" means none

    def validate(self, attrs):
        """The attributes, category, type and colour spelt as the catalogue spells them
        (catalog.selectors.listed_spellings); a 400 naming each value it does not hold,
        unless newValues is true."""
        attrs = super().validate(attrs)
        new_values = attrs.pop("newValues", False)
        spelled, unlisted = listed_spellings(
            {field: attrs[field] for field in LISTED_FIELDS if field in attrs}
        )
        if unlisted and not new_values:
            raise serializers.ValidationError(
                {
                    self.fields_by_source[value.field]: value.message(
                        'Send "newValues": true to add it.'
                    )
                    for value in unlisted
                }
            )
        return attrs | spelled

    @property
    def fields_by_source(self):
        """{model field: API name} of the writable fields."""
        return {field.source: name for name, field in self.fields.items()}


class SimilarProductSerializer(serializers.Serializer):
    score = serializers.FloatField(
        help_text="Similarity in [-1, 1]; higher is more alike. Whether it is a match is "
        "`relevant`, not a fixed number."
    )
    relevant = serializers.BooleanField(
        help_text="Whether the score clears the model's relevance floor. Results below it "
        "are listed (k were asked for) but are not close matches: show them apart, or not at "
        "all."
    )
    product = ProductSummarySerializer()


class ImageInputSerializer(KnownFieldsOnly, serializers.Serializer):
    photo = serializers.FileField(help_text="A JPEG, PNG or WebP photo.")
    is_primary = StrictBooleanField(default=False, help_text="Make it the product's primary image.")


def box_edge(edge, across):
    """An optional box edge field: a fraction (0-1) of the upright photo's `across`."""
    return FractionField(
        required=False,
        help_text=f"The box's {edge} edge, a fraction of the photo's {across} from its "
        f"{'left' if across == 'width' else 'top'} (0-1). Give left, top, right and bottom "
        "together to search only that part of the photo, or none for the whole photo.",
    )


class ImageSearchInputSerializer(KnownFieldsOnly, CatalogueFiltersSerializer):
    photo = serializers.FileField(help_text="A photo of what to look for (JPEG, PNG, WebP).")
    left = box_edge("left", "width")
    top = box_edge("top", "height")
    right = box_edge("right", "width")
    bottom = box_edge("bottom", "height")

    def validate(self, attrs):
        """attrs, with "box": the Box (recommender.photo_query) of the four edges, or None;
        ValidationError under "box" when only some edges are given or they make no box."""
        attrs = super().validate(attrs)
        edges = [attrs.pop(name, None) for name in Box.EDGES]
        try:
            return {**attrs, "box": Box.of_edges(edges)}
        except ValueError as error:
            raise serializers.ValidationError({"box": [str(error)]}) from error


class ApiRootSerializer(serializers.Serializer):
    """The API's entry point: the absolute URL of each resource and of the docs."""

    products = serializers.URLField(help_text="The catalogue: list, filter, read; staff write.")
    search_image = serializers.URLField(help_text="Search by photo (POST a photo).")
    token = serializers.URLField(help_text="A token for a username and password (POST).")
    schema = serializers.URLField(help_text="This API's OpenAPI schema.")
    docs = serializers.URLField(help_text="The schema, readable (Swagger UI).")


class ErrorDetailSerializer(serializers.Serializer):
    """An error: a code for programs, a message for people, and each invalid field's messages."""

    def get_fields(self):  # "fields" is a Serializer attribute, so the field is declared here
        return {
            "code": serializers.CharField(
                help_text="e.g. invalid, conflict, not_found, not_authenticated, "
                "permission_denied, file_too_large, not_an_image, throttled, server_error, "
                "service_unavailable."
            ),
            "message": serializers.CharField(),
            "fields": serializers.DictField(
                child=serializers.ListField(child=serializers.CharField()),
                required=False,
                help_text="Validation errors only: {field: [messages]}.",
            ),
        }


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
