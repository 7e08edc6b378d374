"""The shop pages: the search grid, a product with "more like this", and search by photo."""

import functools
import math
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponsePermanentRedirect, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse

from catalog.search import suggested_query
from catalog.selectors import (
    FACET_LABELS,
    FACETS,
    facet_counts,
    price_range,
    product_list,
    product_search,
    products_by_id,
    products_sorted,
)
from recommender.kept_photos import PhotoNotKept
from recommender.selectors import (
    found_by_look,
    kept_photo,
    photo_checked,
    products_inspired_by,
    search_kept_photo,
    similar_products,
)
from recommender.services import photo_keep

from .forms import BoxForm, FiltersForm, PhotoSearchForm, SearchForm, SimilarityForm
from .throttles import ImageSearchAnonThrottle
from .trail import TRAIL_BACK, trail_keep, trail_of

LOOK_RESULTS = 10  # products a text search shows as found by look
# Pages of results a search by photo lists: k = PHOTO_SEARCH_PAGES * CATALOG_PAGE_SIZE.
PHOTO_SEARCH_PAGES = 4


def favicon(request):
    """/favicon.ico, which browsers ask for on every site: the shop's icon (static/favicon.svg)."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


def without_empty_parameters(view):
    """A page view whose URL never keeps an empty query parameter (`?q=&gender=`, what a form
    sends for a field left blank): such a request is redirected to the URL without them."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        given = [(name, value) for name, values in request.GET.lists() for value in values]
        kept = [(name, value) for name, value in given if value != ""]
        if len(kept) < len(given):
            return HttpResponseRedirect(request.path + (f"?{urlencode(kept)}" if kept else ""))
        return view(request, *args, **kwargs)

    return wrapped


def page_or_404(items, number):
    """Page `number` of `items` (the first when it is None), CATALOG_PAGE_SIZE a page, with
    `numbers`: the page numbers to link, elided (Paginator.ELLIPSIS) far from this one. Raises
    Http404 for a number that names no page (out of range, 0, negative, not a whole number)."""
    paginator = Paginator(items, settings.CATALOG_PAGE_SIZE)
    try:
        page = paginator.page(1 if number is None else number)
    except InvalidPage as error:
        raise Http404(f"No such page: {error}") from error
    page.numbers = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


@without_empty_parameters
def home(request):
    """The search grid: text query, facet filters with counts, a sort order, 25 products a
    page; for a text query, on its first page, the products found by look (look_alikes). A
    query longer than the form allows is a 400 with the form's error, not the whole catalogue."""
    prices = price_range()
    form = SearchForm(request.GET, prices=prices is not None)
    query, filters = form.query(), form.filters()
    results = product_search(query=query, filters=filters)
    products = product_list().none() if form.has_error("q") else results.products
    page = page_or_404(products_sorted(products, form.order()), request.GET.get("page"))
    suggestion = suggested_query(results.reading) if query and not page.object_list else None
    browsing = not query and not filters and not form.has_error("q")
    return render(
        request,
        "storefront/home.html",
        {
            "form": form,
            "query": query,
            "reading": results.reading,
            "every_word": results.every_word,
            "suggestion": suggestion,
            "filtered": bool(filters),
            "page": page,
            "facets": facet_choices(products, form),
            "price_range": prices,
            "inspired": products_inspired_by(product_ids=trail_of(request).viewed, k=10)
            if browsing
            else [],
            "by_look": look_alikes(results, suggestion, filters)
            if query and page.number == 1
            else [],
        },
        status=400 if form.has_error("q") else 200,
    )


def look_alikes(results, suggestion, filters):
    """The products a text search finds by look (recommender.selectors.found_by_look): like its
    best matches, or like those of the suggested query when it has none."""
    seeds = results.products
    if suggestion:
        seeds = product_search(query=suggestion, filters=filters).products
    return found_by_look(seeds=seeds, exclude=results.products, k=LOOK_RESULTS, filters=filters)


def product_detail(request, pk):
    """A product's photos and attributes, and "more like this" narrowed by the page's toggles."""
    product = get_object_or_404(product_list(), pk=pk)
    toggles = SimilarityForm(request.GET)
    similar = similar_products(
        product=product, k=settings.CATALOG_PAGE_SIZE, filters=toggles.filters_for(product)
    )
    trail = trail_of(request)
    trail.visit(product.pk, back=request.GET.get(TRAIL_BACK) == "1")
    trail_products = products_by_id(trail.steps)
    response = render(
        request,
        "storefront/product_detail.html",
        {
            "product": product,
            "toggles": toggles,
            "link_query": toggles.query_string(),
            "trail_query": toggles.query_string(**{TRAIL_BACK: 1}),
            "results": similar,
            **by_floor(similar, similar),
            "trail": [trail_products[pk] for pk in trail.steps if pk in trail_products],
        },
    )
    return trail_keep(response, trail)


def photo_search(request):
    """GET: the upload form. POST: check the photo and keep it (recommender.services.photo_keep),
    then redirect (303) to its results page, a GET URL with the filters, so that the Back
    button, a filter change or another page never sends the photo again. A bad upload gets
    the form again with a message (400). Anonymous searches share the API's limit
    (ImageSearchAnonThrottle): over it, a 429 with Retry-After, before the upload is read."""
    if request.method != "POST":
        return photo_form_page(request, PhotoSearchForm())
    retry_after = photo_search_wait(request)
    if retry_after:
        return photo_form_page(request, PhotoSearchForm(), retry_after=retry_after)
    form = PhotoSearchForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            photo = photo_keep(checked=photo_checked(form.cleaned_data["photo"]))
        except ValidationError as error:
            form.add_error("photo", error)
        else:
            url = reverse("storefront:photo_results", args=[photo.digest]) + form.query_string()
            return HttpResponseRedirect(url, status=303)
    return photo_form_page(request, form, status=400)


@without_empty_parameters
def photo_results(request, digest):
    """The results of a kept photo (`digest`: the SHA-256 of its bytes), or of the part of it
    in a box, with the filters of the query string, PHOTO_SEARCH_PAGES pages of them; the
    photo is shown for the shopper to draw the box on. Under the same limit as the upload
    (429); a bad box is a 400 with a message; a photo no longer kept a 404 with the form to
    send it again."""
    retry_after = photo_search_wait(request)
    if retry_after:
        return photo_form_page(request, PhotoSearchForm(), retry_after=retry_after)
    form, box_form = FiltersForm(request.GET), BoxForm(request.GET)
    try:
        photo = kept_photo(digest)
        results = (
            search_kept_photo(
                photo=photo,
                k=PHOTO_SEARCH_PAGES * settings.CATALOG_PAGE_SIZE,
                filters=form.filters(),
                box=box_form.box(),
            )
            if box_form.is_valid()
            else None
        )
    except PhotoNotKept:
        return photo_form_page(request, PhotoSearchForm(), expired=True, status=404)
    return render(
        request,
        "storefront/photo_results.html",
        photo_results_context(photo, form, box_form, results, request.GET.get("page")),
        status=200 if results is not None else 400,
    )


def photo_results_context(photo, form, box_form, results, page_number):
    """What photo_results.html shows: the KeptPhoto, the forms, and page `page_number` of
    `results` (None: not searched, the box being bad) split at the relevance floor."""
    page = page_or_404(results or [], page_number)
    return {
        "photo": photo,
        "form": form,
        "box_form": box_form,
        "filtered": bool(form.filters()),
        "box": box_form.box(),
        "searched": results is not None,
        "page": page,
        "kept_hours": settings.RECOMMENDER_KEPT_PHOTOS_HOURS,
        "facets": facet_choices(product_list(), form),
        "price_range": price_range(),
        **by_floor(page.object_list, results or []),
    }


def photo_search_wait(request):
    """Whole seconds an anonymous client must wait for its next search by photo (the limit
    the page and the API share), or None when it may search now."""
    throttle = ImageSearchAnonThrottle()
    if throttle.allow_request(request, None):
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def photo_form_page(request, form, *, retry_after=None, expired=False, status=200):
    """The upload form page: with the form's errors, a 429 with Retry-After after
    `retry_after` seconds, or the message that a results page's photo is no longer kept."""
    response = render(
        request,
        "storefront/photo_search.html",
        {
            "form": form,
            "retry_after": retry_after,
            "expired": expired,
            "kept_hours": settings.RECOMMENDER_KEPT_PHOTOS_HOURS,
            "facets": facet_choices(product_list(), form),
            "price_range": price_range(),
        },
        status=429 if retry_after else status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def by_floor(shown, results):
    """The parts of _results.html for `shown`, a page of `results` (SimilarProduct lists):
    "close", those that clear the model's relevance floor, "far", the others, and
    "any_close", whether any of `results` clears it."""
    return {
        "close": [result for result in shown if result.relevant],
        "far": [result for result in shown if not result.relevant],
        "any_close": any(result.relevant for result in results),
    }


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
