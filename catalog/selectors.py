"""Reads of the catalogue: the search behind the shop grid and the API's product list."""

import difflib
from collections import Counter
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db.models import Count, F, Max, Min, QuerySet

from .models import Product, ProductImage
from .search import ReadQuery, matching_products, plain_text, read_query

FACETS = ["gender", "master_category", "article_type", "base_colour"]
# What the pages call each facet.
FACET_LABELS = {
    "gender": "Gender",
    "master_category": "Category",
    "article_type": "Type",
    "base_colour": "Colour",
}


@dataclass(frozen=True)
class CatalogueFilters:
    """What a shopper narrows the catalogue by (every field optional)."""

    gender: str | None = None
    master_category: str | None = None
    article_type: str | None = None
    base_colour: str | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None

    def __bool__(self):
        return any(getattr(self, item.name) not in (None, "") for item in fields(self))

    def lookups(self, prefix=""):
        """ORM lookups of the set filters, e.g. {"gender": "Men"}; prefix "product__" for photos."""
        lookups = {
            "gender": self.gender,
            "master_category": self.master_category,
            "article_type": self.article_type,
            "base_colour": self.base_colour,
            "price__gte": self.price_min,
            "price__lte": self.price_max,
        }
        return {
            prefix + lookup: value for lookup, value in lookups.items() if value not in (None, "")
        }

    def apply(self, products):
        """The products (a Product queryset) narrowed by the filters that are set."""
        return products.filter(**self.lookups())


def product_list(*, include_inactive=False):
    """Active products (all of them with include_inactive), newest first,
    with their images loaded."""
    products = Product.objects.prefetch_related("images")
    return products if include_inactive else products.filter(is_active=True)


@dataclass(frozen=True)
class SearchResults:
    """A search's products (a Product queryset, best match first), its query as read
    (catalog.search.ReadQuery; None without words) and whether the products match every
    word (False: none did, and these match some)."""

    products: QuerySet
    reading: ReadQuery | None = None
    every_word: bool = True


def product_search(*, query="", filters=None, products=None):
    """SearchResults of the products (default: the active ones) matching a text query
    (catalog.search: synonyms, respelling, ranking) and filters."""
    products = product_list() if products is None else products
    if filters:
        products = filters.apply(products)
    reading = read_query(query)
    if not reading.terms:
        return SearchResults(products)
    matching, every_word = matching_products(products, reading.terms)
    return SearchResults(matching, reading, every_word)


# The orders a shopper can sort by, besides the search's own (best match first).
SORTS = {
    "newest": ["-created_at", "-id"],
    "name": ["name", "id"],
    "price": [F("price").asc(nulls_last=True), "id"],
    "-price": [F("price").desc(nulls_last=True), "id"],
}


def products_sorted(products, sort):
    """The products in the order `sort` names (a key of SORTS; products without a price come
    last in both price orders), or as they are for any other value (relevance)."""
    return products.order_by(*SORTS[sort]) if sort in SORTS else products


def facet_counts(products):
    """{facet: [(value, count), ...]} for the products, most frequent first."""
    # One grouped query for all facets (one scan of a text search, not one per facet).
    counts = {facet: Counter() for facet in FACETS}
    for *values, count in products.order_by().values_list(*FACETS).annotate(count=Count("id")):
        for facet, value in zip(FACETS, values):
            if value:
                counts[facet][value] += count
    return {
        facet: sorted(counts[facet].items(), key=lambda item: (-item[1], item[0]))
        for facet in FACETS
    }


# The attributes whose values a product takes from the catalogue's (the facets shoppers filter
# by, with their labels): a new value is added only on purpose, so that a typo cannot make a
# facet value of its own.
LISTED_FIELDS = {"master_category": "category", "article_type": "type", "base_colour": "colour"}


def listed_values(field):
    """The values of `field` (a key of LISTED_FIELDS) in the catalogue, sorted, blank left out."""
    values = Product.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct()
    return sorted(values.order_by())


@dataclass(frozen=True)
class UnlistedValue:
    """A value of a LISTED_FIELDS field that the catalogue does not hold, and the closest
    values it does (up to 3, closest first)."""

    field: str
    value: str
    closest: list

    def message(self, how_to_add):
        """What is wrong, naming the closest values, then `how_to_add` a new one."""
        closest = f" (closest: {', '.join(self.closest)})" if self.closest else ""
        label = LISTED_FIELDS[self.field]
        return f"“{self.value}” is not a {label} of the catalogue{closest}. {how_to_add}"


def listed_spellings(values):
    """(`values` ({field of LISTED_FIELDS: value}) spelt as the catalogue spells them, any case
    and spacing matching, an exact match first; an UnlistedValue for each the catalogue does not
    hold). Values are read as plain text (catalog.search.plain_text), their spaces collapsed.
    Blank values pass."""
    spelled, unlisted = dict(values), []
    for field, value in values.items():
        value = " ".join(plain_text(value or "").split())
        spelled[field] = value
        if not value:
            continue
        listed = listed_values(field)
        by_case = {listed_value.casefold(): listed_value for listed_value in reversed(listed)}
        if value in listed:
            continue
        if value.casefold() in by_case:
            spelled[field] = by_case[value.casefold()]
        else:
            closest = difflib.get_close_matches(value, listed, n=3, cutoff=0.6)
            unlisted.append(UnlistedValue(field, value, closest))
    return spelled, unlisted


def price_range():
    """(lowest, highest) price of the active catalogue, or None when no product has a price."""
    prices = Product.objects.filter(is_active=True).aggregate(low=Min("price"), high=Max("price"))
    return None if prices["low"] is None else (prices["low"], prices["high"])


def product_image(*, product, image_id):
    """The product's photo with this id, or None when it has none such."""
    return product.images.filter(pk=image_id).first()


def products_by_id(product_ids):
    """{id: product} of these products, active or not (Django's in_bulk)."""
    return Product.objects.in_bulk(product_ids)


def stored_activation(product_id):
    """Whether the product is active as stored (before a change being saved), or
    None when it is not stored."""
    return Product.objects.filter(pk=product_id).values_list("is_active", flat=True).first()


def image_ids_of_products(product_ids):
    """The ids of these products' photos, as a list."""
    return list(
        ProductImage.objects.filter(product_id__in=product_ids).values_list("id", flat=True)
    )


def images_without_thumbnail(*, image_ids=None, limit=None):
    """Photos whose thumbnail is still to be made (of image_ids, or all), oldest first, at
    most `limit` of them, as a list."""
    images = ProductImage.objects.filter(thumbnail="").order_by("id")
    if image_ids is not None:
        images = images.filter(id__in=image_ids)
    return list(images[:limit])
