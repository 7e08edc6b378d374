from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsStaffOrReadOnly(BasePermission):
    """Anyone may read; only staff may write (anonymous: 401, signed in but not staff: 403)."""

    def has_permission(self, request, view):
        """Reads for anyone; writes for staff only."""
        return request.method in SAFE_METHODS or bool(request.user and request.user.is_staff)

    def has_object_permission(self, request, view, obj):
        """As has_permission, whatever the object."""
        return self.has_permission(request, view)
