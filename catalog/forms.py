"""The admin's forms: a product photo upload, the set of a product's photos, a synonym."""

from django import forms
from django.core.exceptions import ValidationError

from .images import check_image_upload
from .models import ProductImage, Synonym
from .search import plain_words


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


class SynonymForm(forms.ModelForm):
    """A synonym as the search reads it: its word(s) lowercased, with single spaces, and at
    least one meaning with a word."""

    class Meta:
        model = Synonym
        fields = ["word", "means"]

    def clean_word(self):
        """The word(s), lowercased, single-spaced; a ValidationError without a word."""
        words = " ".join(plain_words(self.cleaned_data["word"]))
        if not words:
            raise ValidationError("Type the word (letters or digits) shoppers search for.")
        return words

    def clean_means(self):
        """The meanings, each lowercased and single-spaced, comma-separated; a ValidationError
        without one."""
        meanings = [
            " ".join(plain_words(meaning)) for meaning in self.cleaned_data["means"].split(",")
        ]
        if not any(meanings):
            raise ValidationError('Name what the catalogue calls it, e.g. "casual shoes".')
        return ", ".join(meaning for meaning in meanings if meaning)
