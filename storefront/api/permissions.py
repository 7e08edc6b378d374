from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle


class IsStaffOrReadOnly(BasePermission):
    """Anyone may read; only staff may write (anonymous: 401, signed in but not staff: 403)."""

    def has_permission(self, request, view):
        """Reads for anyone; writes for staff only."""
        return request.method in SAFE_METHODS or bool(request.user and request.user.is_staff)

    def has_object_permission(self, request, view, obj):
        """As has_permission, whatever the object."""
        return self.has_permission(request, view)


class ImageSearchAnonThrottle(AnonRateThrottle):
    """Anonymous searches by photo, at
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["image_search"] (read per request)."""

    scope = "image_search"

    def get_rate(self):
        """The rate ("20/minute") from the settings, read on each request (tests change it)."""
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
