"""Reads of the catalogue."""
from .models import Product


def product_list():
    """Active products, newest first, with their images loaded."""
    return Product.objects.filter(is_active=True).prefetch_related("images")
