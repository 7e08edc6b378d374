from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from .forms import ProductForm, ProductImageForm, ProductImageFormSet, SynonymForm
from .models import Product, ProductImage, Synonym
from .services import (
    NewPhoto,
    files_deleted_on_failure,
    product_ensure_primary_image,
    product_image_delete,
    product_image_save,
    product_images_add,
    products_set_active,
)

# The admin's own stylesheet (static/css/admin.css): no inline style (Content-Security-Policy).
ADMIN_CSS = {"all": ["css/admin.css"]}


def image_preview(image, size):
    """An <img> of the image's thumbnail fitted in size x size pixels (60 or 120: the classes
    of static/css/admin.css), or a dash without an image."""
    if image is None or not image.image:
        return "—"
    return format_html('<img src="{}" alt="" class="photo-preview-{}">', image.thumbnail_url, size)


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    form = ProductImageForm
    formset = ProductImageFormSet
    extra = 1
    min_num = 1
    fields = ["preview", "image", "is_primary", "position", "width", "height", "content_hash"]
    readonly_fields = ["preview", "width", "height", "content_hash"]

    @admin.display(description="preview")
    def preview(self, image):
        """A 120 px preview of a stored photo (a dash in the empty form)."""
        return image_preview(image if image.pk else None, 120)

    @admin.display(description="content hash")
    def content_hash(self, image):
        """The first 12 hex digits of the photo's SHA-256, the whole of it on hover (the 64
        digits in full would make the page wider than a laptop's screen)."""
        if not image.sha256:
            return "—"
        return format_html('<span title="{}">{}…</span>', image.sha256, image.sha256[:12])


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    list_display = [
        "thumbnail",
        "name",
        "external_id",
        "gender",
        "master_category",
        "article_type",
        "base_colour",
        "price",
        "is_active",
        "updated_at",
    ]
    list_display_links = ["thumbnail", "name"]
    list_filter = ["is_active", "gender", "master_category", "article_type", "base_colour"]
    search_fields = ["name", "=external_id", "=id"]
    list_per_page = 50
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ProductImageInline]

    class Media:
        css = ADMIN_CSS

    actions = ["activate", "deactivate"]
    fieldsets = [
        (None, {"fields": ["name", "external_id", "price", "is_active"]}),
        (
            "Attributes",
            {
                "fields": [
                    "gender",
                    "master_category",
                    "sub_category",
                    "article_type",
                    "base_colour",
                    "add_new_values",
                    "season",
                    "year",
                    "usage",
                ]
            },
        ),
        ("History", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        """Products with their images prefetched (for the list's thumbnails)."""
        return super().get_queryset(request).prefetch_related("images")

    @admin.display(description="photo")
    def thumbnail(self, product):
        """A 60 px preview of the product's primary photo."""
        return image_preview(product.primary_image, 60)

    def changeform_view(self, *args, **kwargs):
        """The add and change pages, whose photo files go when their transaction fails."""
        with files_deleted_on_failure():
            return super().changeform_view(*args, **kwargs)

    def save_formset(self, request, form, formset, change):
        """Save the photos' edits and deletions; new photos go in through
        catalog.services.product_images_add, the one way in for a photo."""
        if formset.model is not ProductImage:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        for image in formset.deleted_objects:
            product_image_delete(image=image)
        # A photo stops being primary before another one becomes it (one primary at a time).
        for image, _ in sorted(formset.changed_objects, key=lambda change: change[0].is_primary):
            product_image_save(image=image)
        photos = [
            NewPhoto(
                form.instance,
                image_form.checked,
                make_primary=image_form.cleaned_data["is_primary"],
                position=image_form.cleaned_data["position"],
            )
            for image_form in formset.forms
            if image_form.instance in formset.new_objects
        ]
        try:
            product_images_add(photos=photos)
        except ValidationError as error:  # another admin added the same photo a moment ago
            self.message_user(
                request, f"New photos not added: {' '.join(error.messages)}", messages.WARNING
            )

    def save_related(self, request, form, formsets, change):
        """Save the images, then make the first one primary when none is."""
        super().save_related(request, form, formsets, change)
        product_ensure_primary_image(product=form.instance)

    @admin.action(description="Activate selected products")
    def activate(self, request, queryset):
        """Activate the selected products (catalog.services.products_set_active)."""
        count = products_set_active(queryset=queryset, is_active=True)
        self.message_user(request, f"{count} product(s) activated.")

    @admin.action(description="Deactivate selected products")
    def deactivate(self, request, queryset):
        """Deactivate the selected products (catalog.services.products_set_active)."""
        count = products_set_active(queryset=queryset, is_active=False)
        self.message_user(request, f"{count} product(s) deactivated.")


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    """The shop's search vocabulary: words shoppers type for what the catalogue calls
    otherwise (catalog.search reads them on every search)."""

    form = SynonymForm
    list_display = ["word", "means"]
    search_fields = ["word", "means"]
