"""Text search of the catalogue: a shopper's words read against the shop's vocabulary, matched
field by field and ranked so that the kind of product named comes first.

A query is read (read_query) into terms. Its words are lowercased and split at anything not a
letter or digit; the first MAX_WORDS count, and STOP_WORDS are left out. Words that form a
synonym ("t shirt", "sneakers": catalog.Synonym, which the admin extends) make one term that
also matches what the synonym means. A term that matches no product is respelled to the
closest word of the catalogue (closest_spellings).

A term matches a product when one of its phrases is a word (or words) of one of
SEARCHED_FIELDS, singular or plural ("shirt" matches "Shirts", not "Tshirts"). Products match
when they match every term, or, where none does, some of them. They are ranked by relevance:
for each term, the weight of the best field it matches (FIELD_WEIGHTS: the articleType, then
the colour), summed.
"""

import functools
import operator
import re
import unicodedata
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
MAX_RESPELLED = 3  # words of a query respelled at most (each is compared with the catalogue's)


def plain_text(text):
    """`text` in its compatibility form (NFKC: full-width letters made plain, a no-break space
    a space) without invisible format characters (a soft hyphen, a zero-width space)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(char for char in text if unicodedata.category(char) != "Cf")


def plain_words(text):
    """The words of `text` (plain_text): its runs of letters and digits, lowercased, as a
    list."""
    return re.findall(r"[^\W_]+", plain_text(text).lower())


def words_of(text):
    """The words of `text` that a search reads (plain_words): without STOP_WORDS (unless there
    is nothing else), the first MAX_WORDS."""
    words = plain_words(text)
    return ([word for word in words if word not in STOP_WORDS] or words)[:MAX_WORDS]


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
            (plural + r"\W*").join(map(re.escape, words.split())) + plural for words in self.phrases
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
    """The ReadQuery of a shopper's text (an empty one for text with no words). Of the words
    that match no product, the first MAX_RESPELLED are respelled (closest_spellings)."""
    synonyms = synonym_table()
    terms = synonym_terms(words_of(text or ""), synonyms)
    respelled = {
        word: spelling
        for word, spelling in closest_spellings(unknown_words(terms), synonyms).items()
        if spelling
    }
    terms = [
        synonym_term(respelled[term.words], synonyms) if term.words in respelled else term
        for term in terms
    ]
    return ReadQuery(text=text or "", terms=tuple(terms), respelled=respelled)


def synonym_term(word, synonyms):
    """The Term of one word: its stem and, when it is a synonym, its meanings."""
    return Term(word, (stem(word), *synonyms.get(stem(word), ())))


def unknown_words(terms):
    """The first MAX_RESPELLED words of the terms that match nothing (matches_nothing)."""
    return [term.words for term in terms if matches_nothing(term)][:MAX_RESPELLED]


def matches_nothing(term):
    """Whether no active product matches this one-word term, which is not a stop word (a
    synonym's words and stop words are known)."""
    return (
        " " not in term.words
        and term.words not in STOP_WORDS
        and not active_products().filter(term.matches_any_field()).exists()
    )


def suggested_query(reading):
    """The words of a ReadQuery (None: none) with each of the first MAX_RESPELLED that match
    no active product replaced by the closest word of the catalogue, up to half the word's
    letters away (what a search that found nothing offers); None when no word is replaced."""
    if reading is None:
        return None
    spellings = closest_spellings(
        unknown_words(reading.terms), synonym_table(), lambda word: max(1, len(word) // 2)
    )
    suggestion = " ".join(spellings.get(term.words) or term.words for term in reading.terms)
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
    """{phrase of a synonym: (phrases it stands for, ...)} from catalog.Synonym: what it means
    and, where a meaning is itself a synonym ("kicks" -> "sneakers"), that one's meanings too."""
    direct = {
        phrase(words_of(synonym.word)): [
            phrase(words_of(meaning)) for meaning in synonym.meanings()
        ]
        for synonym in Synonym.objects.all()
    }
    return {
        key: tuple(
            dict.fromkeys(
                further for meaning in meanings for further in (meaning, *direct.get(meaning, ()))
            )
        )
        for key, meanings in direct.items()
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


def closest_spellings(words, synonyms, max_edits=None):
    """{word: the word of the catalogue (or synonym) closest to it, or None} for `words`:
    the fewest edits (Damerau-Levenshtein: a letter added, dropped, changed, or two swapped),
    the most frequent among equals, of SHORTEST_SPELLING letters or more and written as a
    plain word; None when that is more than max_edits(word) edits (default max_edits_of)."""
    max_edits = max_edits or max_edits_of
    candidates = catalogue_words(words)
    spellings = {}
    for word in words:
        counts = Counter(candidates[word])
        counts.update(key for key in synonyms if " " not in key)
        ranked = sorted(
            (DamerauLevenshtein.distance(word, candidate), -count, candidate)
            for candidate, count in counts.items()
            if candidate != word
            and len(candidate) >= SHORTEST_SPELLING
            and plain_words(candidate) == [candidate]
        )
        close = ranked and ranked[0][0] <= max_edits(word)
        spellings[word] = ranked[0][2] if close else None
    return spellings


def max_edits_of(word):
    """Edits a respelling may make: 1 in a word of up to 5 letters, else 2."""
    return 1 if len(word) <= 5 else 2


def catalogue_words(words):
    """{word: {catalogue word: number of active products it appears in}} for `words`: the
    whole catalogue's words for each (read once), or on PostgreSQL the TRIGRAM_CANDIDATES
    closest to it (trigram_candidates)."""
    if not words:
        return {}
    if connection.vendor == "postgresql":
        return trigram_candidates(words)
    counts = Counter()
    for values in active_products().values_list(*SEARCHED_FIELDS):
        counts.update(set(plain_words(" ".join(values))))
    return dict.fromkeys(words, counts)


def trigram_candidates(words):
    """{word: {catalogue word: number of active products it appears in}} of the
    TRIGRAM_CANDIDATES words of the catalogue closest to each of `words` by pg_trgm's
    similarity (PostgreSQL only), in one query: ts_stat lists the words of the searched
    fields once, as the PostgreSQL manual suggests for spelling (pg_trgm, "Text Search
    Integration")."""
    documents = (
        "SELECT to_tsvector('simple', concat_ws(' ', {fields})) FROM {table} WHERE is_active"
    ).format(fields=", ".join(SEARCHED_FIELDS), table=Product._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH vocabulary AS MATERIALIZED (SELECT word, ndoc FROM ts_stat(%s)) "
            "SELECT query, candidate.word, candidate.ndoc FROM unnest(%s::text[]) AS query, "
            "LATERAL (SELECT word, ndoc FROM vocabulary "
            "ORDER BY similarity(word, query) DESC, ndoc DESC LIMIT %s) AS candidate",
            [documents, list(words), TRIGRAM_CANDIDATES],
        )
        candidates = {word: {} for word in words}
        for query, word, count in cursor.fetchall():
            candidates[query][word] = count
        return candidates
