import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Gender, Product, ProductImage
from catalog.services import product_image_add
from tests.images import colour_for, image_bytes


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    external_id = factory.Sequence(lambda n: str(100000 + n))
    name = factory.Sequence(lambda n: f"Test Brand Men Blue Shirt {n}")
    gender = Gender.MEN
    master_category = "Apparel"
    sub_category = "Topwear"
    article_type = "Shirts"
    base_colour = "Blue"
    season = "Summer"
    year = 2012
    usage = "Casual"
    image = factory.RelatedFactory(
        "tests.factories.ProductImageFactory", factory_related_name="product"
    )


class ProductImageFactory(factory.django.DjangoModelFactory):
    """A product photo stored through the same service as an admin upload."""

    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory, image=None)
    file = factory.Sequence(
        lambda n: SimpleUploadedFile(f"photo{n}.jpg", image_bytes(colour_for(n)))
    )

    @classmethod
    def _create(cls, model_class, product, file, **kwargs):
        return product_image_add(product=product, file=file, **kwargs)
