"""The admin's forms: a product, a product photo upload, the set of a product's photos, a
synonym."""

from django import forms
from django.core.exceptions import ValidationError

from .images import check_image_upload
from .models import Product, ProductImage, Synonym
from .search import LONGEST_SYNONYM, phrase, plain_words, words_of
from .selectors import LISTED_FIELDS, listed_spellings, listed_values


class ListedTextInput(forms.TextInput):
    """A text box that offers the catalogue's values of its field as one types (a <datalist>)."""

    template_name = "catalog/widgets/listed_text.html"

    def __init__(self, field):
        super().__init__(attrs={"class": "vTextField"})
        self.field = field

    def get_context(self, name, value, attrs):
        """The input's context, with `listed` (the values) and the datalist's id as `list`."""
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["attrs"]["list"] = f"{widget['attrs'].get('id', name)}_listed"
        widget["listed"] = listed_values(self.field)
        return context


class ProductForm(forms.ModelForm):
    """A product in the admin: its category, type and colour are the catalogue's values (offered
    as one types, any case accepted); a value no product has is a form error unless "Add new
    values" is ticked, so that a typo cannot make a facet value of its own."""

    add_new_values = forms.BooleanField(
        required=False,
        label="Add new values",
        help_text="Tick to give this product a category, type or colour that no product has yet.",
    )

    class Meta:
        model = Product
        fields = "__all__"
        widgets = {field: ListedTextInput(field) for field in LISTED_FIELDS}

    def clean(self):
        """The fields, the listed ones spelt as the catalogue spells them; an error on each
        value the catalogue does not hold, unless add_new_values."""
        data = super().clean()
        spelled, unlisted = listed_spellings(
            {field: data[field] for field in LISTED_FIELDS if data.get(field)}
        )
        data.update(spelled)
        if not data.get("add_new_values"):
            for value in unlisted:
                self.add_error(
                    value.field,
                    value.message("Pick one of the list, or tick “Add new values” to add it."),
                )
        return data


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
        """The word(s), lowercased, single-spaced; a ValidationError without a word, with more
        than the search reads as one synonym, or when the search reads it as another synonym
        (a plural of it: "sneaker" and "sneakers")."""
        words = " ".join(plain_words(self.cleaned_data["word"]))
        if not words:
            raise ValidationError("Type the word (letters or digits) shoppers search for.")
        if len(words.split()) > LONGEST_SYNONYM:
            raise ValidationError(f"A synonym is at most {LONGEST_SYNONYM} words long.")
        same = [
            synonym.word
            for synonym in Synonym.objects.exclude(pk=self.instance.pk)
            if phrase(words_of(synonym.word)) == phrase(words_of(words))
        ]
        if same:
            raise ValidationError(
                f"The search reads this as “{same[0]}”, which is a synonym already: change "
                "that one."
            )
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
