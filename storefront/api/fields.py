"""Fields that accept exactly what the OpenAPI schema says they accept (schemathesis checks
both ways): prices as decimal strings, booleans as booleans."""

import re
from decimal import Decimal

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

# A price: up to 8 digits, then up to 2 decimals (Product.price's range); never negative.
PRICE_PATTERN = r"^[0-9]{1,8}(\.[0-9]{1,2})?$"  # [0-9], not \d: no other script's digits
PRICE_SCHEMA = {"type": "string", "format": "decimal", "pattern": PRICE_PATTERN}
# A price filter: a price, or empty for none (form data and query strings send empty fields).
PRICE_FILTER_PATTERN = r"^([0-9]{1,8}(\.[0-9]{1,2})?)?$"
PRICE_FILTER_SCHEMA = {"type": "string", "format": "decimal", "pattern": PRICE_FILTER_PATTERN}


@extend_schema_field(PRICE_SCHEMA)
class PriceField(serializers.DecimalField):
    """A price written as a string of PRICE_PATTERN, e.g. "49.90", as a Decimal; anything else
    (a number, a sign, an exponent, more digits) is invalid."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=10, decimal_places=2, **kwargs)

    def validate_empty_values(self, data):
        """DRF's, but an empty string is an invalid price, not none (null is none)."""
        if data == "":
            self.fail("invalid")
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        """The Decimal of a string of PRICE_PATTERN; ValidationError (invalid) otherwise."""
        if not isinstance(data, str) or not re.fullmatch(PRICE_PATTERN, data):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(PRICE_FILTER_SCHEMA)
class PriceFilterField(PriceField):
    """A price filter of a form (similar, search by photo): empty is no filter."""


class PriceFormField(forms.RegexField):
    """A form field of PRICE_PATTERN, cleaned to a Decimal (None when empty)."""

    def __init__(self, **kwargs):
        super().__init__(regex=PRICE_PATTERN, **kwargs)

    def clean(self, value):
        """The Decimal of a value of PRICE_PATTERN, None when empty; ValidationError otherwise."""
        value = super().clean(value)
        return Decimal(value) if value else None


@extend_schema_field(PRICE_FILTER_SCHEMA)
class PriceFilter(django_filters.Filter):
    """A query parameter of PRICE_PATTERN, as a Decimal (ProductFilter reads its cleaned value)."""

    field_class = PriceFormField


def from_form(field):
    """Whether a serializer field reads form data or a query string (all text), not JSON."""
    return html.is_html_input(field.root.initial_data)


class StrictBooleanField(serializers.BooleanField):
    """true or false: a JSON boolean, or in form data the word true or false in any case (not
    0, 1, yes...)."""

    def to_internal_value(self, data):
        """The bool; ValidationError (invalid) for anything else."""
        if isinstance(data, bool):
            return data
        if from_form(self) and isinstance(data, str) and data.lower() in ("true", "false"):
            return data.lower() == "true"
        self.fail("invalid", input=data)


@extend_schema_field({"type": "string", "maxLength": 200})
class QueryFilter(django_filters.CharFilter):
    """Words to search for, at most 200 characters (a longer query is a 400)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=200, **kwargs)


class StrictCharField(serializers.CharField):
    """Text given as a JSON string (DRF would take a number or a boolean as its digits)."""

    def to_internal_value(self, data):
        """The string; ValidationError (invalid) for any other JSON value."""
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A whole number: a JSON integer, or in form data and query strings ASCII digits (DRF
    would take "12", 12.0, " +3 ", true or other scripts' digits)."""

    def to_internal_value(self, data):
        """The int; ValidationError (invalid) for anything else."""
        text = from_form(self) and isinstance(data, str) and re.fullmatch("[0-9]+", data)
        if not text and (isinstance(data, bool) or not isinstance(data, int)):
            self.fail("invalid")
        return super().to_internal_value(data)


# A fraction in form data: ASCII digits with an optional point and exponent ("0.25", "1",
# "2.5e-1"); float() would also take " 0.5", "nan", "inf" and other scripts' digits.
FRACTION_TEXT = r"[0-9]*\.?[0-9]+(e[-+]?[0-9]+)?|[0-9]+\.(e[-+]?[0-9]+)?"


class FractionField(serializers.FloatField):
    """A number from 0 to 1: a JSON number, or in form data a decimal of FRACTION_TEXT."""

    def __init__(self, **kwargs):
        super().__init__(min_value=0, max_value=1, **kwargs)

    def to_internal_value(self, data):
        """The float; ValidationError (invalid, or out of 0-1) for anything else."""
        text = (
            from_form(self)
            and isinstance(data, str)
            and re.fullmatch(FRACTION_TEXT, data, re.IGNORECASE)
        )
        if not text and (isinstance(data, bool) or not isinstance(data, (int, float))):
            self.fail("invalid")
        return super().to_internal_value(data)


class KnownFieldsOnly:
    """A body serializer that refuses fields it does not have (400), as the schema's
    additionalProperties: false says (storefront.api.schema.request_bodies_closed)."""

    def validate(self, attrs):
        """attrs; ValidationError naming each unknown field."""
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().validate(attrs)
