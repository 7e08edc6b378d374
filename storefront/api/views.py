"""Thin views: validate with a serializer, call a catalog or recommender
service/selector, render."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from catalog.selectors import product_image, product_list
from catalog.services import (
    product_create,
    product_delete,
    product_image_add,
    product_image_delete,
    product_update,
)
from recommender.selectors import search_by_image, similar_products

from ..errors import sign_in_locked_out
from ..throttles import ImageSearchAnonThrottle
from .filters import CatalogueFiltersSerializer, ProductFilter
from .permissions import IsStaffOrReadOnly
from .serializers import (
    ApiRootSerializer,
    ImageInputSerializer,
    ImageSearchInputSerializer,
    ImageSerializer,
    ProductInputSerializer,
    ProductSerializer,
    ProductSummarySerializer,
    SimilarProductSerializer,
)


def validated(serializer_class, data, **kwargs):
    """A serializer that has checked `data` (a 400 in the common format when it is not valid)."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer


class ProductPagination(PageNumberPagination):
    """Pages of 25 products (as the shop grid); ?page_size= a whole number from 1, where more
    than max_page_size gets max_page_size; anything else is a 400."""

    page_size = settings.CATALOG_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()  # ?page= is a number: DRF's "last" is not in the schema

    def get_page_size(self, request):
        """The page size asked for, capped at max_page_size (the default when none is asked)."""
        asked = request.query_params.get(self.page_size_query_param)
        if asked is None:
            return self.page_size
        if not (asked.isascii() and asked.isdigit() and int(asked) >= 1):
            raise exceptions.ValidationError({"page_size": ["A whole number of at least 1."]})
        return min(int(asked), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        """DRF's page parameters, with their bounds: both at least 1."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters

    def get_paginated_response(self, data):
        """DRF's page, with how the search read ?q= ("search": search_reading)."""
        response = super().get_paginated_response(data)
        response.data["search"] = search_reading(getattr(self.request, "search_results", None))
        return response

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["search"] = SEARCH_READING_SCHEMA
        paginated["required"].append("search")
        return paginated


SEARCH_READING_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": "How ?q= was read; null without words to search for.",
    "required": ["searchedFor", "respelled", "everyWord"],
    "properties": {
        "searchedFor": {
            "type": "string",
            "description": "The words searched for, respelled ones as used.",
            "example": "blue shirt",
        },
        "respelled": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Each word read (lowercased) that matched no product, with the word "
            "used instead.",
            "example": {"shrit": "shirt"},
        },
        "everyWord": {
            "type": "boolean",
            "description": "False when no product had every word: those listed have some of "
            "them. With no results, nothing matched either way.",
        },
    },
}


def search_reading(results):
    """The "search" of a product page: how a search (catalog.selectors.SearchResults, or None)
    read its query, or None when it had no words."""
    if results is None or results.reading is None:
        return None
    return {
        "searchedFor": results.reading.searched,
        "respelled": dict(results.reading.respelled),
        "everyWord": results.every_word,
    }


class ProductViewSet(viewsets.ModelViewSet):
    """Anyone reads the active catalogue; staff also see inactive products, and write."""

    permission_classes = [IsStaffOrReadOnly]
    pagination_class = ProductPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProductFilter
    parser_classes = [JSONParser]  # products are written as JSON; images as multipart (below)
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return product_list(include_inactive=self.request.user.is_staff)

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_class(self):
        if self.action == "list":
            return ProductSummarySerializer
        return (
            ProductInputSerializer
            if self.action in ("create", "update", "partial_update")
            else ProductSerializer
        )

    def rendered(self, product, status_code=status.HTTP_200_OK):
        """The product in full (ProductSerializer) as a response with this status."""
        return Response(
            ProductSerializer(product, context=self.get_serializer_context()).data,
            status=status_code,
        )

    @extend_schema(responses={201: ProductSerializer})
    def create(self, request):
        data = validated(ProductInputSerializer, request.data).validated_data
        return self.rendered(product_create(**data), status.HTTP_201_CREATED)

    @extend_schema(responses=ProductSerializer)
    def update(self, request, pk=None, partial=False):
        product = self.get_object()
        data = validated(
            ProductInputSerializer, request.data, instance=product, partial=partial
        ).validated_data
        return self.rendered(product_update(product=product, **data))

    @extend_schema(responses=ProductSerializer)
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def perform_destroy(self, instance):
        product_delete(product=instance)

    @extend_schema(
        summary="More like this",
        parameters=[CatalogueFiltersSerializer],
        responses=SimilarProductSerializer(many=True),
    )
    @action(detail=True, filter_backends=[], pagination_class=None)
    def similar(self, request, pk=None):
        product = self.get_object()
        query = validated(CatalogueFiltersSerializer, request.query_params)
        results = similar_products(
            product=product, k=query.validated_data["k"], filters=query.filters()
        )
        return Response(
            SimilarProductSerializer(results, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="Add an image (embedded for the recommender after it is stored)",
        request={"multipart/form-data": ImageInputSerializer},
        responses={201: ImageSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser], filter_backends=[])
    def images(self, request, pk=None):
        product = self.get_object()
        data = validated(ImageInputSerializer, request.data).validated_data
        image = product_image_add(
            product=product, file=data["photo"], make_primary=data["is_primary"]
        )
        return Response(
            ImageSerializer(image, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Delete an image",
        request=None,
        responses={204: None},
        parameters=[OpenApiParameter("image_id", int, OpenApiParameter.PATH)],
    )
    @action(
        detail=True, methods=["delete"], url_path="images/(?P<image_id>[0-9]+)", filter_backends=[]
    )
    def image_delete(self, request, pk=None, image_id=None):
        image = product_image(product=self.get_object(), image_id=image_id)
        if image is None:
            raise exceptions.NotFound()
        product_image_delete(image=image)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ImageSearchView(APIView):
    """Search by photo: the products that look most like an uploaded photo."""

    permission_classes = [AllowAny]
    throttle_classes = [ImageSearchAnonThrottle]
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Search by photo",
        request={"multipart/form-data": ImageSearchInputSerializer},
        responses=SimilarProductSerializer(many=True),
    )
    def post(self, request):
        form = validated(ImageSearchInputSerializer, request.data)
        data = form.validated_data
        results = search_by_image(
            upload=data["photo"], k=data["k"], filters=form.filters(), box=data["box"]
        )
        return Response(
            SimilarProductSerializer(results, many=True, context={"request": request}).data
        )


class ApiRootView(APIView):
    """/api/v1/: links to the resources and the docs."""

    permission_classes = [AllowAny]
    LINKS = {
        "products": "api:product-list",
        "search_image": "api:search-image",
        "token": "api:token",
        "schema": "api:schema",
        "docs": "api:docs",
    }

    @extend_schema(summary="Links to the resources and the docs", responses=ApiRootSerializer)
    def get(self, request):
        return Response(
            {name: reverse(url_name, request=request) for name, url_name in self.LINKS.items()}
        )


class TokenView(ObtainAuthToken):
    """The token of an account, for its username and password. After LOGIN_FAILURE_LIMIT
    (default 5) failed sign-ins of one account from one address, that account is refused
    from that address with a 429 and Retry-After for LOGIN_COOLOFF_MINUTES (default 15)."""

    extra_error_codes = {429}  # for the schema (ApiSchema.error_codes)
    # One request content type, as every other JSON endpoint: a client generated from the
    # schema (openapi-python-client) cannot choose among several.
    parser_classes = [JSONParser]
    authentication_classes = []  # a sign-in: the schema asks no credentials of it

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):  # set by axes' backend
                return sign_in_locked_out(request)
            raise exceptions.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        # A sign-in like the admin's: axes clears the account's failures, last_login is set.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
