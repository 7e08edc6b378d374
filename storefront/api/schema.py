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
            codes |= {400, 415}
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
