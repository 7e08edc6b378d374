"""The REST API (Django REST framework) for mobile clients and staff, under /api/v1/."""
