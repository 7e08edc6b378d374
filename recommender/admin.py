"""The recommender's admin: every photo's embedding state, and its actions on products.

The product admin is catalog's, registered again with the recommender's action added
(a subclass: no other app's class is changed)."""

from collections import Counter

from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html, format_html_join

from catalog import admin as catalog_admin
from catalog.models import Product
from catalog.selectors import image_ids_of_products
from fashionsite.celery import queue_on_commit, tasks_run_in_process

from . import tasks
from .embedding import fingerprint
from .models import PhotoEmbedding
from .selectors import photo_states, pipeline_status
from .services import embeddings_forget


def reembed(modeladmin, request, image_ids):
    """Forget the photos' vectors and queue their embedding (after the commit)."""
    with transaction.atomic():
        embeddings_forget(image_ids=image_ids)
        queue_on_commit(tasks.embed_images, image_ids)
    modeladmin.message_user(
        request,
        outcome(
            done=f"{len(image_ids)} photo(s) embedded again and brought up to date in the index.",
            queued=f"{len(image_ids)} photo(s) queued for embedding by the workers.",
        ),
    )


def outcome(*, done, queued):
    """What an action says it did: `done` where tasks run in this process (they have run by
    the time it says so), `queued` where workers will run them."""
    return done if tasks_run_in_process() else queued


STATES = ["done", "pending", "failed"]


class StateFilter(admin.SimpleListFilter):
    title = parameter_name = "state"

    def lookups(self, request, model_admin):
        """The states to filter by: done, failed, pending."""
        return [("done", "done"), ("failed", "failed"), ("pending", "pending")]

    def queryset(self, request, queryset):
        """The photos in the chosen state (pending: no row of the current model)."""
        if self.value() == "pending":
            return queryset.filter(current_status=None)
        if self.value():
            return queryset.filter(current_status=self.value())
        return queryset


@admin.register(PhotoEmbedding)
class PhotoEmbeddingAdmin(admin.ModelAdmin):
    """Every photo's embedding state under the current model; above the
    list, the model and the index."""

    list_display = ["preview", "product", "state", "attempts", "error"]
    list_filter = [StateFilter]
    search_fields = ["=id", "product__name", "=product__external_id"]
    list_select_related = ["product"]
    actions = ["reembed_selected", "drop_vectors", "rebuild_index"]
    change_list_template = "admin/recommender/photoembedding/change_list.html"

    class Media:
        css = catalog_admin.ADMIN_CSS

    def get_queryset(self, request):
        """Every photo with its state under the current model (PhotoQuerySet.with_state)."""
        return super().get_queryset(request).with_state(fingerprint())

    def has_add_permission(self, request):
        """None: photos are added to products."""
        return False

    def has_change_permission(self, request, obj=None):
        """None: the states are the pipeline's to change (by the actions)."""
        return False

    def has_delete_permission(self, request, obj=None):
        """None: a row here is a catalogue photo (a proxy of ProductImage); photos are deleted
        with their product's page. drop_vectors drops only their vectors."""
        return False

    @admin.display(description="photo")
    def preview(self, photo):
        """A 60 px preview of the photo."""
        return catalog_admin.image_preview(photo, 60)

    @admin.display(description="state", ordering="current_status")
    def state(self, photo):
        """done, failed or pending."""
        return photo.current_status or "pending"

    @admin.display(description="attempts")
    def attempts(self, photo):
        """How many times embedding its current file failed."""
        return photo.current_attempts or 0

    @admin.display(description="error")
    def error(self, photo):
        """The last error of a failed photo, else empty."""
        return photo.current_error or ""

    def changelist_view(self, request, extra_context=None):
        """The list, with the pipeline's status above it (selectors.pipeline_status)."""
        return super().changelist_view(
            request, extra_context={"pipeline": pipeline_status(), **(extra_context or {})}
        )

    @admin.action(description="Re-embed the selected photos", permissions=["view"])
    def reembed_selected(self, request, queryset):
        """Forget the selected photos' vectors and queue their embedding."""
        reembed(self, request, list(queryset.values_list("id", flat=True)))

    @admin.action(
        description="Drop the selected photos' vectors (the photos stay)", permissions=["view"]
    )
    def drop_vectors(self, request, queryset):
        """Drop the selected photos' vectors of the current model and take them out of the index
        (after the commit); the photos and their products stay."""
        image_ids = list(queryset.values_list("id", flat=True))
        with transaction.atomic():
            dropped = embeddings_forget(image_ids=image_ids)
            queue_on_commit(tasks.refresh_index, image_ids)
        self.message_user(
            request,
            f"Vectors of {dropped} photo(s) dropped; "
            + outcome(done="taken out of the index", queued="their removal from the index queued")
            + "; the photos and their products stay (they are embedded again by the next "
            "catch-up, or by “Re-embed”).",
            messages.SUCCESS,
        )

    @admin.action(description="Rebuild the index (from stored vectors)", permissions=["view"])
    def rebuild_index(self, request, queryset):
        """Queue a rebuild of the index from the stored vectors (the selection does not matter)."""
        queue_on_commit(tasks.rebuild_index)
        self.message_user(
            request,
            outcome(
                done="The index was rebuilt from the stored vectors.",
                queued="The index rebuild is queued for the workers.",
            ),
            messages.SUCCESS,
        )


admin.site.unregister(Product)


@admin.register(Product)
class ProductAdmin(catalog_admin.ProductAdmin):
    """The catalogue's product admin with the recommender's action, and its photos' vectors on
    the list and the product's page."""

    actions = [*catalog_admin.ProductAdmin.actions, "reembed_products"]
    list_display = [*catalog_admin.ProductAdmin.list_display, "vectors"]
    readonly_fields = [*catalog_admin.ProductAdmin.readonly_fields, "vectors_of_photos"]
    fieldsets = [
        *catalog_admin.ProductAdmin.fieldsets,
        ("Search", {"fields": ["vectors_of_photos"]}),
    ]

    @admin.display(description="vectors")
    def vectors(self, product):
        """Its photos' states in short: "1 done, in the index", "1 failed", ..."""
        states = photo_states([image.pk for image in product.images.all()]).values()
        if not states:
            return "no photo"
        counts = Counter(state.state for state in states)
        summary = ", ".join(f"{counts[name]} {name}" for name in STATES if counts[name])
        indexed = sum(state.indexed for state in states)
        return f"{summary}; {indexed} of {len(states)} in the index"

    @admin.display(description="photos' vectors")
    def vectors_of_photos(self, product):
        """Each photo's state, its error when it failed, and whether it is in the index."""
        images = list(product.images.all()) if product.pk else []
        if not images:
            return "no photo"
        states = photo_states([image.pk for image in images])
        rows = (
            (
                number,
                "primary" if image.is_primary else f"position {image.position}",
                state.state,
                f": {state.error}" if state.error else "",
                "in the index" if state.indexed else "not in the index",
            )
            for number, (image, state) in enumerate(zip(images, states.values()), start=1)
        )
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>Photo {} ({}): {}{} · {}</li>", rows)
        )

    @admin.action(description="Re-embed the photos of the selected products")
    def reembed_products(self, request, queryset):
        """Forget the vectors of the selected products' photos and queue their embedding."""
        reembed(self, request, image_ids_of_products(queryset.values_list("id", flat=True)))
