"""Text search of the catalogue: a shopper's words read against the shop's vocabulary, matched
field by field and ranked so that the kind of product named comes first.

A query is read (read_query) into terms. Its words are lowercased and split at anything not a
letter or digit; the first MAX_WORDS count, and STOP_WORDS are left out. Words that form a
synonym ("t shirt", "sneakers": catalog.Synonym, which the admin extends) make one term that
also matches what the synonym means. A term that matches no product is respelled to the
closest word of the catalogue (closest_spelling).

A term matches a product when one of its phrases is a word (or words) of one of
SEARCHED_FIELDS, singular or plural ("shirt" matches "Shirts", not "Tshirts"). Products match
when they match every term, or, where none does, some of them. They are ranked by relevance:
for each term, the weight of the best field it matches (FIELD_WEIGHTS: the articleType, then
the colour), summed.
"""

import functools
import operator
import re
from collections import Counter
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When
from rapidfuzz.distance import DamerauLevenshtein

from .models import Product, Synonym

# Weights of the searched fields: a term that names the articleType outweighs the colour,
# which outweighs any word of the name.
FIELD_WEIGHTS = {
    "article_type": 8,
    "base_colour": 4,
    "sub_category": 3,
    "gender": 2,
    "master_category": 2,
    "name": 1,
}
SEARCHED_FIELDS = list(FIELD_WEIGHTS)
MAX_WORDS = 10  # of a text query: the rest are left out, so that any query stays cheap
STOP_WORDS = frozenset({"a", "an", "and", "for", "in", "of", "on", "or", "the", "to", "with"})
LONGEST_SYNONYM = 3  # words
SHORTEST_SPELLING = 3  # letters of a respelling: not "t" (of "T-shirt") for "xqzt"
TRIGRAM_CANDIDATES = 50  # words of the catalogue, closest by trigram similarity, respelled from


def plain_words(text):
    """The words of `text`: its runs of letters and digits, lowercased, as a list."""
    return re.findall(r"[^\W_]+", text.lower())


def words_of(text):
    """The words of `text` that a search reads (plain_words): the first MAX_WORDS, without
    STOP_WORDS (unless there is nothing else)."""
    words = plain_words(text)[:MAX_WORDS]
    return [word for word in words if word not in STOP_WORDS] or words


def stem(word):
    """The word without a plural's final "s" ("shirts" -> "shirt", "dress" stays): a term
    matches its stem in the singular or plural (Term.matches), so both forms find the same."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def phrase(words):
    """The stems of `words`, space-separated: how phrases are compared."""
    return " ".join(stem(word) for word in words)


@dataclass(frozen=True)
class Term:
    """Word(s) of a query as read ("t shirt"), and the phrases that match them (its own stems
    and those of its synonym's meanings, e.g. ("t shirt", "tshirt"))."""

    words: str
    phrases: tuple

    def matches(self, field):
        """Q: this field holds one of the phrases as whole words, each singular or plural
        ("sport shoe" matches "Sports Shoes", "shirt" not "Tshirts"), written apart or
        together ("t shirt" matches "T-shirt" and "Tshirts"), in any case."""
        start, end = (r"\m", r"\M") if connection.vendor == "postgresql" else (r"\b", r"\b")
        plural = "(?:e?s)?"
        alternatives = "|".join(
            (plural + r"\W*").join(words.split()) + plural for words in self.phrases
        )
        return Q(**{f"{field}__iregex": rf"{start}(?:{alternatives}){end}"})

    def matches_any_field(self):
        """Q: one of SEARCHED_FIELDS matches (Term.matches)."""
        return Q.create([self.matches(field) for field in SEARCHED_FIELDS], connector=Q.OR)

    def relevance(self):
        """The weight of the best field this term matches (0 for none), as an expression."""
        return Case(
            *[
                When(self.matches(field), then=Value(weight))
                for field, weight in FIELD_WEIGHTS.items()
            ],
            default=Value(0),
            output_field=IntegerField(),
        )


@dataclass(frozen=True)
class ReadQuery:
    """A query as the search reads it: the text typed, its terms, and the words respelled
    ({typed: used}, empty when none was)."""

    text: str
    terms: tuple
    respelled: dict

    @property
    def searched(self):
        """The words searched for, respelled ones as used (e.g. "blue shirt" for "blue shrit")."""
        return " ".join(term.words for term in self.terms)


def read_query(text):
    """The ReadQuery of a shopper's text (an empty one for text with no words)."""
    synonyms = synonym_table()
    terms, respelled = [], {}
    for term in synonym_terms(words_of(text or ""), synonyms):
        if (
            " " not in term.words
            and not active_products().filter(term.matches_any_field()).exists()
        ):
            spelling = closest_spelling(term.words, synonyms)
            if spelling:
                respelled[term.words] = spelling
                term = Term(spelling, (stem(spelling), *synonyms.get(stem(spelling), ())))
        terms.append(term)
    return ReadQuery(text=text or "", terms=tuple(terms), respelled=respelled)


def matches_nothing(term):
    """Whether no active product matches this one-word term (a synonym's words are known)."""
    return " " not in term.words and not active_products().filter(term.matches_any_field()).exists()


def suggested_query(reading):
    """The words of a ReadQuery with each one that matches no active product replaced by the
    closest word of the catalogue, however many edits away (what a search that found nothing
    offers); None when no word is replaced."""
    synonyms = synonym_table()
    words = [
        (matches_nothing(term) and closest_spelling(term.words, synonyms, len(term.words)))
        or term.words
        for term in reading.terms
    ]
    suggestion = " ".join(words)
    return None if suggestion == reading.searched else suggestion


def synonym_terms(words, synonyms):
    """The Terms of `words`: the longest runs (up to LONGEST_SYNONYM words) that are a synonym
    make one term, with its meanings; every other word is a term of its own."""
    terms, start = [], 0
    while start < len(words):
        size = next(
            (
                size
                for size in range(min(LONGEST_SYNONYM, len(words) - start), 1, -1)
                if phrase(words[start : start + size]) in synonyms
            ),
            1,
        )
        key = phrase(words[start : start + size])
        terms.append(Term(" ".join(words[start : start + size]), (key, *synonyms.get(key, ()))))
        start += size
    return terms


def synonym_table():
    """{phrase of a synonym: (phrases of what it means, ...)} from catalog.Synonym."""
    return {
        phrase(words_of(synonym.word)): tuple(
            phrase(words_of(meaning)) for meaning in synonym.meanings()
        )
        for synonym in Synonym.objects.all()
    }


def active_products():
    """The active products, whose words a query is read against."""
    return Product.objects.filter(is_active=True)


def matching_products(products, terms):
    """(the `products` matching every term, or some of them when none matches every one,
    ranked by relevance then newest first; whether they match every term)."""
    relevance = functools.reduce(operator.add, [term.relevance() for term in terms])
    ranked = products.annotate(relevance=relevance).order_by("-relevance", "-created_at", "-id")
    every_term = ranked.filter(*[term.matches_any_field() for term in terms])
    if every_term.exists() or len(terms) == 1:
        return every_term, True
    return ranked.filter(relevance__gt=0), False


def closest_spelling(word, synonyms, max_edits=None):
    """The word of the catalogue (or synonym) closest to `word`, of SHORTEST_SPELLING letters
    or more: the fewest edits (Damerau-
    Levenshtein: a letter added, dropped, changed, or two swapped), the most frequent among
    equals; None when that is more than `max_edits` (default MAX_EDITS by the word's length).
    On PostgreSQL the catalogue's words come from ts_stat, and only the TRIGRAM_CANDIDATES
    closest to `word` by trigram similarity (pg_trgm) are compared."""
    candidates = Counter(catalogue_words(word))
    candidates.update(key for key in synonyms if " " not in key)
    ranked = sorted(
        (DamerauLevenshtein.distance(word, candidate), -count, candidate)
        for candidate, count in candidates.items()
        if candidate != word and len(candidate) >= SHORTEST_SPELLING
    )
    if max_edits is None:
        max_edits = max_edits_of(word)
    return ranked[0][2] if ranked and ranked[0][0] <= max_edits else None


def max_edits_of(word):
    """Edits a respelling may make: 1 in a word of up to 5 letters, else 2."""
    return 1 if len(word) <= 5 else 2


def catalogue_words(word):
    """{word: number of active products it appears in}: of the whole catalogue, or on
    PostgreSQL its TRIGRAM_CANDIDATES words closest to `word` (pg_trgm's similarity)."""
    if connection.vendor == "postgresql":
        return trigram_candidates(word)
    counts = Counter()
    for values in active_products().values_list(*SEARCHED_FIELDS):
        counts.update(set(plain_words(" ".join(values))))
    return counts


def trigram_candidates(word):
    """{word: number of active products it appears in} of the TRIGRAM_CANDIDATES words of the
    catalogue closest to `word` by pg_trgm's similarity (PostgreSQL only): ts_stat lists the
    words of the searched fields, as the PostgreSQL manual suggests for spelling (F.35.5)."""
    documents = (
        "SELECT to_tsvector('simple', concat_ws(' ', {fields})) FROM {table} WHERE is_active"
    ).format(fields=", ".join(SEARCHED_FIELDS), table=Product._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word, ndoc FROM ts_stat(%s) ORDER BY similarity(word, %s) DESC, ndoc DESC "
            "LIMIT %s",
            [documents, word, TRIGRAM_CANDIDATES],
        )
        return dict(cursor.fetchall())
