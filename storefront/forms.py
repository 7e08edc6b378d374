"""The shop pages' forms: search, filters, search by photo and the "more like this" toggles."""

from urllib.parse import urlencode

from django import forms

from catalog.selectors import CatalogueFilters
from recommender.photo_query import Box, IncompleteBox


class FiltersForm(forms.Form):
    """The catalogue's filters, from a query string or a POST; values that
    do not parse are left out."""

    gender = forms.CharField(required=False, max_length=64)
    master_category = forms.CharField(required=False, max_length=64)
    article_type = forms.CharField(required=False, max_length=64)
    base_colour = forms.CharField(required=False, max_length=64)
    price_min = forms.DecimalField(
        required=False, min_value=0, max_digits=10, decimal_places=2, label="Min price"
    )
    price_max = forms.DecimalField(
        required=False, min_value=0, max_digits=10, decimal_places=2, label="Max price"
    )

    def filters(self):
        """The valid filters as CatalogueFilters (values that do not parse are left out)."""
        self.is_valid()
        data = self.cleaned_data
        return CatalogueFilters(**{name: data.get(name) or None for name in FILTER_FIELDS})


FILTER_FIELDS = list(FiltersForm.base_fields)


class SearchForm(FiltersForm):
    q = forms.CharField(required=False, max_length=200, label="Search")
    sort = forms.ChoiceField(
        required=False,
        label="Sort by",
        choices=[
            ("", "Best match"),
            ("newest", "Newest"),
            ("name", "Name"),
            ("price", "Price: low to high"),
            ("-price", "Price: high to low"),
        ],
    )

    def __init__(self, *args, prices=True, **kwargs):
        """`prices`: whether any product has a price (else the price orders are not offered)."""
        super().__init__(*args, **kwargs)
        if not prices:
            self.fields["sort"].choices = [
                choice for choice in self.fields["sort"].choices if "price" not in choice[0]
            ]

    def query(self):
        """The search words, or "" (at most 200 characters)."""
        self.is_valid()
        return self.cleaned_data.get("q", "")

    def order(self):
        """The order chosen (a key of catalog.selectors.SORTS), or "" for the best match first
        (a value not offered counts as that)."""
        self.is_valid()
        return self.cleaned_data.get("sort", "")


class PhotoSearchForm(FiltersForm):
    photo = forms.FileField(
        label="Photo", error_messages={"required": "Choose a photo to search with."}
    )

    def query_string(self):
        """The valid filters as a query string ("" when none is set), e.g.
        "?gender=Men&price_max=50" : they go with the photo to its results page."""
        self.is_valid()
        data = self.cleaned_data
        given = {name: data[name] for name in FILTER_FIELDS if data.get(name) not in (None, "")}
        return "?" + urlencode(given) if given else ""


def box_edge(label):
    """A box edge field: a percentage (0-100) of the photo's width or height, optional."""
    return forms.DecimalField(
        required=False, min_value=0, max_value=100, max_digits=6, decimal_places=3, label=label
    )


class BoxForm(forms.Form):
    """The part of a searched photo that matters, from the results page's query string: its
    left, top, right and bottom edges in percent of the upright photo's width and height, all
    four or none (the whole photo)."""

    left = box_edge("Left (%)")
    top = box_edge("Top (%)")
    right = box_edge("Right (%)")
    bottom = box_edge("Bottom (%)")

    def clean(self):
        """The edges, and under "box" the Box (recommender.photo_query) they make or None;
        ValidationError when only some are given or they make no box."""
        data = super().clean()
        if any(name in self.errors for name in self.fields):
            return data
        percents = [data.get(name) for name in Box.EDGES]
        try:
            data["box"] = Box.of_edges([None if p is None else float(p) / 100 for p in percents])
        except IncompleteBox as error:
            raise forms.ValidationError(
                "Give all four edges of the box (left, top, right, bottom), or none."
            ) from error
        except ValueError as error:
            raise forms.ValidationError(
                "The box must be at least %(side)s%% wide and high: its right edge right of "
                "its left, its bottom below its top.",
                params={"side": round(Box.MIN_SIDE * 100)},
            ) from error
        return data

    def box(self):
        """The valid box, or None (none given, or an invalid one: see errors)."""
        return self.cleaned_data.get("box") if self.is_valid() else None


class SimilarityForm(forms.Form):
    """The product page's toggles: they narrow "more like this" inside the search."""

    same_gender = forms.BooleanField(required=False, label="Same gender")
    same_category = forms.BooleanField(required=False, label="Same category")
    match_colour = forms.BooleanField(required=False, label="Match colour")

    def filters_for(self, product):
        """CatalogueFilters that keep the product's gender, category or colour, as toggled."""
        self.is_valid()
        data = self.cleaned_data
        return CatalogueFilters(
            gender=product.gender if data.get("same_gender") else None,
            master_category=product.master_category if data.get("same_category") else None,
            base_colour=product.base_colour if data.get("match_colour") else None,
        )

    def query_string(self, **extra):
        """The query string of the toggles that are on and of `extra` parameters, e.g.
        "?same_gender=1&match_colour=1" (kept in the links between products), or "" when there
        is none."""
        self.is_valid()
        on = [(name, 1) for name in self.fields if self.cleaned_data.get(name)]
        return "?" + urlencode(on + list(extra.items())) if on or extra else ""
