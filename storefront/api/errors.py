"""One error format for every 4xx: {"error": {"code": ..., "message": ..., "fields": {...}}}.

`fields` is present for validation errors only: {field name: [messages]}.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.views import exception_handler

from ..errors import error_response


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The upload is too large."
    default_code = "file_too_large"


class Conflict(exceptions.ValidationError):
    """Valid input that clashes with what is stored (an external_id already taken): a 409,
    with the fields in question."""

    status_code = status.HTTP_409_CONFLICT


def api_exception_handler(exc, context):
    """DRF's handler, with Django's exceptions mapped to API exceptions and the body in the
    common format, always as JSON (the browsable API's HTML is for answers, not errors)."""
    exc = as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is not None:
        response.data = {"error": error_body(exc)}
        request = context.get("request")
        if request is not None:
            request.accepted_renderer, request.accepted_media_type = (
                JSONRenderer(),
                "application/json",
            )
    return response


def as_api_exception(exc):
    """Django's exceptions as DRF's (ValidationError, too large, too many fields, 404,
    403); others as they are."""
    if isinstance(exc, DjangoValidationError):
        return from_django_validation_error(exc)
    if isinstance(exc, exceptions.ValidationError) and only_unique_errors(exc.detail):
        return Conflict(exc.detail)
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return exceptions.ParseError(str(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def only_unique_errors(detail):
    """Whether every error of a DRF ValidationError's detail is a uniqueness one."""
    codes = exceptions.ValidationError(detail).get_codes()
    codes = [code for field in codes.values() for code in field] if isinstance(codes, dict) else []
    return bool(codes) and all(code == "unique" for code in codes)


def from_django_validation_error(error):
    """A ValidationError of a service (an upload check, a model check) as an API exception."""
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    message = " ".join(error.messages)
    code = error.error_list[0].code or "invalid"
    if code == "file_too_large":
        return PayloadTooLarge(message)
    return exceptions.ValidationError(message, code=code)


def error_body(exc):
    """{"code", "message"} of an API exception, and "fields" for a validation error by field."""
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        fields = {name: messages(errors) for name, errors in exc.detail.items()}
        conflict = isinstance(exc, Conflict)
        return {
            "code": "conflict" if conflict else "invalid",
            "message": f"{'Already taken' if conflict else 'Invalid input'}: {', '.join(fields)}.",
            "fields": fields,
        }
    details = exc.detail if isinstance(exc.detail, list) else [exc.detail]
    return {
        "code": getattr(details[0], "code", None) or "invalid",
        "message": " ".join(messages(details)),
    }


def messages(errors):
    """The messages of a DRF error detail (a string, a list, or nested lists and dicts), flat."""
    if isinstance(errors, dict):
        return [message for value in errors.values() for message in messages(value)]
    if isinstance(errors, list):
        return [message for value in errors for message in messages(value)]
    return [str(errors)]


@csrf_exempt  # a 404 whatever the method, never the CSRF failure page
def not_found(request, *args, **kwargs):
    """Any other address under /api/v1/: a 404 in the common format, not the HTML page."""
    return error_response(404, "not_found", "No such API address (addresses end with a slash).")
