from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

# The shop's first vocabulary: words shoppers type for what the catalogue calls otherwise. An
# admin extends it (Catalog > Synonyms).
SYNONYMS = {
    "sneakers": "casual shoes, sports shoes",
    "trainers": "sports shoes, casual shoes",
    "running shoes": "sports shoes",
    "tee": "tshirts",
    "t shirt": "tshirts",
    "tee shirt": "tshirts",
    "jumper": "sweaters, sweatshirts",
    "pullover": "sweaters, sweatshirts",
    "cardigan": "sweaters",
    "hoodie": "sweatshirts",
    "hoody": "sweatshirts",
    "pants": "trousers, track pants, lounge pants",
    "joggers": "track pants",
    "sweatpants": "track pants, lounge pants",
    "shades": "sunglasses",
    "sunnies": "sunglasses",
    "purse": "handbags, clutches, wallets",
    "rucksack": "backpacks, rucksacks",
    "gym bag": "duffel bag",
    "underwear": "briefs, boxers, trunk, innerwear vests, bra",
    "lingerie": "bra, briefs",
    "blouse": "tops, tunics",
    "slides": "flip flops",
    "scarf": "scarves, mufflers, stoles",
    "beanie": "caps",
    "cologne": "perfume, deodorant",
    "gown": "dresses",
    "frock": "dresses",
    "pumps": "heels",
    "stilettos": "heels",
    "ballerinas": "flats",
    "gents": "men",
    "ladies": "women",
    "kids": "boys, girls",
}


def add_synonyms(apps, schema_editor):
    Synonym = apps.get_model("catalog", "Synonym")
    Synonym.objects.bulk_create(Synonym(word=word, means=means) for word, means in SYNONYMS.items())


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_external_id_letters_digits"),
    ]

    operations = [
        # Trigram similarity (pg_trgm) finds the words a misspelling may mean; PostgreSQL only.
        TrigramExtension(),
        migrations.CreateModel(
            name="Synonym",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "word",
                    models.CharField(
                        help_text='What a shopper types: a word or a few ("sneakers", "t shirt"), any case.',
                        max_length=64,
                        unique=True,
                    ),
                ),
                (
                    "means",
                    models.CharField(
                        help_text='What the catalogue calls it, separated by commas: "casual shoes, sports shoes".',
                        max_length=255,
                    ),
                ),
            ],
            options={"ordering": ["word"]},
        ),
        migrations.RunPython(add_synonyms, migrations.RunPython.noop),
    ]
