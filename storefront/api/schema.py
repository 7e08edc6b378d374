"""The OpenAPI schema: drf-spectacular's, plus the error responses each operation can give."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import is_serializer
from rest_framework.permissions import SAFE_METHODS

from .serializers import ErrorSerializer

WITH_BODY = {"POST", "PUT", "PATCH"}


class ApiSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in sorted(self.error_codes()):
            responses.setdefault(
                str(code),
                self._get_response_for_code(ErrorSerializer, str(code), direction=direction),
            )
        return responses

    def get_auth(self):
        """drf-spectacular's security requirements, with no authentication allowed for reads."""
        auths = super().get_auth()
        if self.method in SAFE_METHODS and {} not in auths:
            auths.append({})  # anyone may read (IsStaffOrReadOnly)
        return auths

    def error_codes(self):
        """The 4xx this operation can answer (all of them in the common error format)."""
        codes = {401}  # a wrong token, even where none is needed
        if self.method not in SAFE_METHODS:
            codes.add(403)  # signed in but not staff, or a session without its CSRF token
        if self.method in WITH_BODY:
            codes |= {400, 409, 415}  # 409: a unique value already taken
            if "multipart/form-data" in self.map_parsers():
                codes.add(413)
        if self.get_filter_backends() or any(
            is_serializer(parameter) for parameter in self.get_override_parameters()
        ):
            codes.add(400)  # malformed query parameters
        if "{" in self.path or self.get_filter_backends():
            codes.add(404)  # no such object, or no such page
        if getattr(self.view, "throttle_classes", None):
            codes.add(429)
        codes |= getattr(self.view, "extra_error_codes", set())
        return codes


# Django refuses a NUL character in any text field or parameter: the schema says so.
NO_NUL = "^[^\\x00]*$"
# DRF trims text with str.strip(), so a text that may not be blank needs one character that is
# neither NUL nor one of Python's whitespace characters (all of them below U+3001).
PYTHON_WHITESPACE = "".join(f"\\u{code:04x}" for code in range(0x3001) if chr(code).isspace())
NOT_BLANK = f"^[^\\x00]*[^\\x00{PYTHON_WHITESPACE}][^\\x00]*$"


def accepted_input(result, generator, request, public):
    """drf-spectacular postprocessing hook: what the API accepts, exactly. Request bodies take
    no other fields (KnownFieldsOnly: additionalProperties false); no request string (body or
    parameter) without a format, enumeration or pattern of its own may hold a NUL, nor be
    whitespace only where it may not be blank (mark_text)."""
    requests = [
        schema
        for name, schema in result["components"]["schemas"].items()
        if name.endswith("Request")
    ]
    for component in requests:
        component["additionalProperties"] = False
        for field in component.get("properties", {}).values():
            mark_text(field)
    for item in result["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                mark_text(parameter["schema"])
    return result


def mark_text(schema):
    """Add a pattern to a string schema without format, enum or pattern: NOT_BLANK when it
    has a minLength (DRF refuses a blank or whitespace-only text there), else NO_NUL."""
    if schema.get("type") == "string" and not ({"format", "enum", "pattern"} & set(schema)):
        schema["pattern"] = NOT_BLANK if schema.get("minLength", 0) >= 1 else NO_NUL
