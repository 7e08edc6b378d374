"""Query parameters of the product list, similar products and search by photo: one set of names."""

import django_filters
from rest_framework import serializers

from catalog.models import Product
from catalog.search import MAX_WORDS
from catalog.selectors import CatalogueFilters, product_search

from .fields import PriceFilter, PriceFilterField, QueryFilter, StrictIntegerField

# API parameter name -> CatalogueFilters field.
FILTER_PARAMETERS = {
    "gender": "gender",
    "masterCategory": "master_category",
    "articleType": "article_type",
    "colour": "base_colour",
    "price_min": "price_min",
    "price_max": "price_max",
}
STATUSES = {
    "active": {"is_active": True},
    "inactive": {"is_active": False},
    "all": {},
}  # list ?status=


def catalogue_filters(data):
    """CatalogueFilters from validated query parameters (API names)."""
    return CatalogueFilters(**{field: data.get(name) for name, field in FILTER_PARAMETERS.items()})


class StableOrderingFilter(django_filters.OrderingFilter):
    """Ordering with the id as the last key, so that pages never repeat or skip a product."""

    def filter(self, qs, value):
        """The products ordered by `value`, then by id (newest first)."""
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "-id") if value else qs


class ProductFilter(django_filters.FilterSet):
    """The shop grid's search and filters (catalog.selectors.product_search), and an ordering."""

    q = QueryFilter(
        help_text="Words to search for (name, type, colour, category, gender; the first "
        f"{MAX_WORDS} words count).",
    )
    gender = django_filters.CharFilter(help_text="Men, Women, Boys, Girls or Unisex.")
    masterCategory = django_filters.CharFilter(help_text="e.g. Apparel, Footwear, Accessories.")
    articleType = django_filters.CharFilter(help_text="e.g. Tshirts, Casual Shoes, Watches.")
    colour = django_filters.CharFilter(help_text="Base colour, e.g. Blue.")
    price_min = PriceFilter(help_text="Lowest price (inclusive), e.g. 10 or 9.99.")
    price_max = PriceFilter(help_text="Highest price (inclusive), e.g. 49.90.")
    ordering = StableOrderingFilter(
        fields=["name", "created_at", "price"],
        help_text="Default: best match for a search, else newest first.",
    )
    status = django_filters.ChoiceFilter(
        choices=[(name, name) for name in STATUSES],
        help_text="Staff only: `inactive` or `all` products (default `active`).",
    )

    class Meta:
        model = Product
        fields = []

    def filter_queryset(self, queryset):
        """The grid's search (catalog.selectors.product_search) over the products of ?status=,
        then ordered."""
        # The grid's search, like the pages' (product_search), over the products of `status`.
        data = self.form.cleaned_data
        if not all(data.get("ordering") or []):  # "name,,price": an empty field name
            raise serializers.ValidationError({"ordering": ["A field name is empty."]})
        results = product_search(
            query=data.get("q"),
            filters=catalogue_filters(data),
            products=self.of_status(queryset, data.get("status") or "active"),
        )
        if self.request is not None:
            self.request.search_results = results  # for the page's "search" (ProductPagination)
        return self.filters["ordering"].filter(results.products, data.get("ordering"))

    def of_status(self, products, status):
        """The products of a ?status= (active, inactive, all); raises a ValidationError (400) when a
        customer asks for other than active ones."""
        if status != "active" and not (self.request and self.request.user.is_staff):
            raise serializers.ValidationError(
                {"status": [f"Only staff can list {status} products."]}
            )
        return products.filter(**STATUSES[status])


class CatalogueFiltersSerializer(serializers.Serializer):
    """The filters of "more like this" and search by photo, with the number of results k."""

    k = StrictIntegerField(
        min_value=1, max_value=100, default=25, help_text="How many products (1-100)."
    )
    # An empty filter is no filter: form data sends empty fields (allow_blank says so).
    gender = serializers.CharField(required=False, allow_blank=True)
    masterCategory = serializers.CharField(required=False, allow_blank=True)
    articleType = serializers.CharField(required=False, allow_blank=True)
    colour = serializers.CharField(
        required=False, allow_blank=True, help_text="Base colour, e.g. Blue."
    )
    price_min = PriceFilterField(required=False)
    price_max = PriceFilterField(required=False)

    def filters(self):
        """The validated filters as CatalogueFilters."""
        return catalogue_filters(self.validated_data)
