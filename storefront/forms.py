"""The shop pages' forms: search, filters, search by photo and the "more like this" toggles."""

from django import forms

from catalog.selectors import CatalogueFilters


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

    def query(self):
        """The search words, or "" (at most 200 characters)."""
        self.is_valid()
        return self.cleaned_data.get("q", "")


class PhotoSearchForm(FiltersForm):
    photo = forms.FileField(
        label="Photo", error_messages={"required": "Choose a photo to search with."}
    )


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

    def query_string(self):
        """The query string of the toggles that are on, e.g. "?same_gender=1&match_colour=1" (kept
        in the links between products), or "" when none is."""
        self.is_valid()
        on = [name for name in self.fields if self.cleaned_data.get(name)]
        return "?" + "&".join(f"{name}=1" for name in on) if on else ""
