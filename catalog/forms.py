"""The admin's forms: a product photo upload and the set of a product's photos."""

from django import forms
from django.core.exceptions import ValidationError

from .images import check_image_upload
from .models import ProductImage


class ProductImageForm(forms.ModelForm):
    """An admin upload: refused with a form error unless it is a usable image. A stored photo's
    file cannot be swapped: a new photo is a new row (catalog.services.product_images_add)."""

    class Meta:
        model = ProductImage
        fields = ["image", "is_primary", "position"]
        # A plain file field: Django's ImageField would open the upload with every Pillow
        # format before clean_image (check_image_upload) opens it with the shop's only.
        field_classes = {"image": forms.FileField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.checked = None  # the upload's CheckedImage, once clean_image has checked it
        if self.instance.pk:
            self.fields["image"].disabled = True

    def clean_image(self):
        """The upload, checked (catalog.images.check_image_upload: a ValidationError becomes the
        field's error) and kept as `checked`; its hash is set on the image for the formset."""
        upload = self.cleaned_data["image"]
        if upload and "image" in self.changed_data:
            self.checked = check_image_upload(upload)
            self.instance.sha256 = self.checked.sha256
        return upload


class ProductImageFormSet(forms.BaseInlineFormSet):
    """Across a product's images: no photo twice, at most one primary."""

    def clean(self):
        """Refuse a product left without photos, more than one primary, or one photo twice."""
        super().clean()
        kept = [
            form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not kept:
            raise ValidationError("A product needs at least one photo.")
        if sum(1 for form in kept if form.cleaned_data.get("is_primary")) > 1:
            raise ValidationError("Mark only one image as primary.")
        seen = set()
        for form in kept:
            sha256 = form.instance.sha256
            if sha256 in seen:
                form.add_error("image", "This product already has this exact image.")
            seen.add(sha256)
