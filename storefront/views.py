"""The shop pages: the search grid, a product with "more like this", and search by photo."""

import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from catalog.selectors import (
    FACETS,
    facet_counts,
    price_range,
    product_list,
    product_search,
    products_by_id,
)
from recommender.selectors import products_inspired_by, search_by_image, similar_products

from .forms import PhotoSearchForm, SearchForm, SimilarityForm
from .throttles import ImageSearchAnonThrottle
from .trail import trail_keep, trail_of

FACET_LABELS = {
    "gender": "Gender",
    "master_category": "Category",
    "article_type": "Type",
    "base_colour": "Colour",
}


def home(request):
    """The search grid: text query, facet filters with counts, 25 products a page."""
    form = SearchForm(request.GET)
    query, filters = form.query(), form.filters()
    products = product_search(query=query, filters=filters)
    page = Paginator(products, settings.CATALOG_PAGE_SIZE).get_page(request.GET.get("page"))
    browsing = not query and not filters
    return render(
        request,
        "storefront/home.html",
        {
            "form": form,
            "query": query,
            "filtered": bool(filters),
            "page": page,
            "facets": facet_choices(products, form),
            "price_range": price_range(),
            "inspired": products_inspired_by(product_ids=trail_of(request).viewed, k=10)
            if browsing
            else [],
        },
    )


def product_detail(request, pk):
    """A product's photos and attributes, and "more like this" narrowed by the page's toggles."""
    product = get_object_or_404(product_list(), pk=pk)
    toggles = SimilarityForm(request.GET)
    similar = similar_products(
        product=product, k=settings.CATALOG_PAGE_SIZE, filters=toggles.filters_for(product)
    )
    trail = trail_of(request)
    trail.visit(product.pk)
    trail_products = products_by_id(trail.steps)
    response = render(
        request,
        "storefront/product_detail.html",
        {
            "product": product,
            "toggles": toggles,
            "link_query": toggles.query_string(),
            "results": similar,
            "trail": [trail_products[pk] for pk in trail.steps if pk in trail_products],
        },
    )
    return trail_keep(response, trail)


def photo_search(request):
    """Search by an uploaded photo; the upload is read in memory for this request and never
    stored. Anonymous searches share the API's limit (ImageSearchAnonThrottle): over it, a 429
    with Retry-After, before the upload is read."""
    posted = request.method == "POST"
    throttle = ImageSearchAnonThrottle()
    wait = None if not posted or throttle.allow_request(request, None) else throttle.wait()
    form = (
        PhotoSearchForm(request.POST, request.FILES)
        if posted and wait is None
        else PhotoSearchForm()
    )
    results = None
    if posted and wait is None and form.is_valid():
        try:
            results = search_by_image(
                upload=form.cleaned_data["photo"],
                k=settings.CATALOG_PAGE_SIZE,
                filters=form.filters(),
            )
        except ValidationError as error:
            form.add_error("photo", error)
    retry_after = max(1, math.ceil(wait)) if wait is not None else None
    response = render(
        request,
        "storefront/photo_search.html",
        {
            "form": form,
            "results": results,
            "retry_after": retry_after,
            "facets": facet_choices(product_list(), form),
            "price_range": price_range(),
        },
        status=429 if retry_after else 400 if form.errors else 200,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def facet_choices(products, form):
    """[(name, label, selected value, [(value, count), ...]), ...] for the filter menus."""
    counts = facet_counts(products)
    choices = []
    for facet in FACETS:
        selected = form.data.get(facet, "")
        values = counts[facet]
        if selected and selected not in dict(values):
            values = [
                (selected, 0)
            ] + values  # a filter with no match stays visible, so it can be removed
        choices.append((facet, FACET_LABELS[facet], selected, values))
    return choices
