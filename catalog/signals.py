"""The catalogue's own signals (their receivers are in each app's receivers.py)."""

from django.dispatch import Signal

# Sent by catalog.services.products_set_active with product_ids: a bulk update sends no post_save.
products_activation_changed = Signal()

# Sent by catalog.services.product_images_add with image_ids, inside its transaction (receivers
# queue their work on commit), and bulk=True for an import: every new photo is announced here.
photos_added = Signal()
