"""The catalogue's own signals (their receivers are in each app's receivers.py)."""

from django.dispatch import Signal

# Sent by catalog.services.products_set_active with product_ids: a bulk update sends no post_save.
products_activation_changed = Signal()
