"""Error responses that no view of the shop writes: Django's handlers of 400, 403, 404 and 500,
and those of the middleware (413, 503). Under /api/ each is a JSON body in the API's shape
({"error": {"code", "message"}}); elsewhere an HTML page."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults

from catalog.images import readable_size

RETRY_AFTER_SECONDS = 30  # what a client is told to wait when the database cannot be reached


def error_response(status_code, code, message):
    """A JsonResponse of an error in the API's common format (storefront.api.errors), for
    errors outside DRF's views."""
    return JsonResponse({"error": {"code": code, "message": message}}, status=status_code)


def under_api(request):
    """Whether the request is for the REST API (its errors are JSON)."""
    return request.path.startswith("/api/")


def bad_request(request, exception):
    """400: a request Django refused before any view (e.g. a suspicious file name)."""
    if under_api(request):
        return error_response(400, "bad_request", "The request cannot be read.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    """403 outside a view's own answer."""
    if under_api(request):
        return error_response(403, "permission_denied", "You may not do this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    """404 for an address nothing answers."""
    if under_api(request):
        return error_response(404, "not_found", "No such API address.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500: the shop failed; the error is logged with its traceback."""
    if under_api(request):
        return error_response(500, "server_error", "The shop failed to answer; it is logged.")
    return defaults.server_error(request)


def body_too_large(request, size):
    """413 for a request body over DATA_UPLOAD_MAX_MEMORY_SIZE (`size`: its Content-Length,
    0 when it was sent without one)."""
    limit = readable_size(settings.CATALOG_MAX_UPLOAD_BYTES)
    sent = f"is {readable_size(size)}" if size else "is over the limit"
    message = f"The upload {sent}; the limit is {limit}."
    return refusal(request, 413, "file_too_large", message)


def sign_in_locked_out(request, original_response=None, credentials=None):
    """429 with Retry-After for a sign-in (admin or API token) after too many failures of this
    account from this address (django-axes' AXES_LOCKOUT_CALLABLE)."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    message = (
        "Too many failed sign-ins to this account from your address: "
        f"try again in {seconds // 60} minutes."
    )
    return refusal(request, 429, "throttled", message, retry_after=seconds)


def service_unavailable(request):
    """503 with Retry-After when the database cannot be reached."""
    message = "The shop cannot answer just now: try again in a minute."
    return refusal(request, 503, "service_unavailable", message, retry_after=RETRY_AFTER_SECONDS)


def refusal(request, status, code, message, retry_after=None):
    """The error `status` saying `message`: JSON with `code` under /api/, the page
    templates/<status>.html elsewhere; with Retry-After (seconds) when given."""
    if under_api(request):
        response = error_response(status, code, message)
    else:
        response = render(request, f"{status}.html", {"message": message}, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
