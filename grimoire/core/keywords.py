"""The keyword index: BM25F-style similarity between an error's words and each spell's words.

Each spell is a document with weighted fields (``FIELD_WEIGHTS``). A term's weight in a spell is
its BM25F saturated term frequency (``K1``, ``B``, with fixed nominal field lengths instead of
corpus averages, so it depends on that spell alone), divided by the sum over the spell's terms:
the term's *share* of the spell, quantised to an integer out of ``SHARE_SCALE``.

For a query (the error's terms, each with a weight ``qw`` in (0, 1]) the similarity of spell d is

    K(d) = sum over query terms t in d of  qw(t) * g(t) * share(t, d)

where ``g(t) = idf(t) / idf(1)`` is the BM25 idf, ``ln(1 + (N - df + 0.5) / (df + 0.5))``, scaled so
a term found in one spell weighs 1 and a term found in every spell weighs almost 0. K is in [0, 1]:
the part of the spell's keyword mass that the error evidences, common words discounted.

Bounded cost at any size: each posting list is kept sorted by (share descending, id), and a query
reads at most ``DEPTH`` entries of each of its ``MAX_QUERY_TERMS`` most specific terms (precomputed
impacts, top-k); terms with ``g`` below ``MIN_SPECIFICITY`` are skipped (idf pruning). Both cuts
are part of the definition of K, so K is still a pure function of the query and the set of spells.

``KeywordIndex`` is immutable: ``with_document`` / ``without`` copy the term table (a dict copy)
and only the posting lists the changed spell touches.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Iterable, Mapping

FIELD_WEIGHTS: Mapping[str, float] = {
    "error_type": 1.0,
    "title": 2.5,
    "pattern": 3.0,
    "tags": 1.0,
    "description": 1.0,
}
NOMINAL_LENGTHS: Mapping[str, float] = {
    "error_type": 1.0,
    "title": 8.0,
    "pattern": 8.0,
    "tags": 3.0,
    "description": 40.0,
}
K1 = 1.2
B = 0.75
SHARE_SCALE = 1 << 20
DEPTH = 128
MAX_QUERY_TERMS = 32
MIN_SPECIFICITY = 0.25
_ID_BITS = 32
_ID_MASK = (1 << _ID_BITS) - 1

Fields = Mapping[str, Iterable[str]]
"""A document: field name → its tokens."""


def term_shares(fields: Fields) -> dict[str, int]:
    """Return each term's quantised share of a document (BM25 per field, fields weighted).

    Each non-empty field holds a fixed part of the document's mass, ``FIELD_WEIGHTS`` normalised
    over the fields present, split among its terms by their BM25 saturated frequency: a long
    description cannot drown the error type and the pattern in many weak words.
    """
    present = {name: Counter(tokens) for name, tokens in fields.items()}
    present = {name: counts for name, counts in present.items() if counts}
    total_weight = sum(FIELD_WEIGHTS[name] for name in present)
    shares: dict[str, float] = {}
    for name, counts in present.items():
        norm = 1 - B + B * sum(counts.values()) / NOMINAL_LENGTHS[name]
        saturated = {t: c * (K1 + 1) / (c + K1 * norm) for t, c in sorted(counts.items())}
        mass = FIELD_WEIGHTS[name] / total_weight / sum(saturated.values())
        for term, value in saturated.items():
            shares[term] = shares.get(term, 0.0) + value * mass
    return {term: max(1, round(value * SHARE_SCALE)) for term, value in shares.items()}


def _key(doc_id: int, share: int) -> int:
    return ((SHARE_SCALE - share) << _ID_BITS) | doc_id


class KeywordIndex:
    """An inverted index of documents (spells), each posting a precomputed impact."""

    __slots__ = ("_postings", "size")

    def __init__(self, postings: dict[str, array[int]], size: int) -> None:
        self._postings = postings
        self.size = size

    @classmethod
    def build(cls, documents: Mapping[int, Fields]) -> KeywordIndex:
        """Index ``{doc_id: fields}``."""
        lists: dict[str, list[int]] = {}
        for doc_id, fields in documents.items():
            for term, share in term_shares(fields).items():
                lists.setdefault(term, []).append(_key(doc_id, share))
        postings = {term: array("q", sorted(keys)) for term, keys in lists.items()}
        return cls(postings, len(documents))

    def with_document(self, doc_id: int, fields: Fields) -> KeywordIndex:
        """Return this index plus a document that is not in it yet."""
        postings = dict(self._postings)
        for term, share in term_shares(fields).items():
            keys = array("q", postings.get(term, ()))
            insort(keys, _key(doc_id, share))
            postings[term] = keys
        return KeywordIndex(postings, self.size + 1)

    def without(self, doc_id: int, fields: Fields) -> KeywordIndex:
        """Return this index less a document it holds, given the fields it was indexed with."""
        postings = dict(self._postings)
        for term, share in term_shares(fields).items():
            keys = array("q", postings[term])
            del keys[bisect_left(keys, _key(doc_id, share))]
            if keys:
                postings[term] = keys
            else:
                del postings[term]
        return KeywordIndex(postings, self.size - 1)

    def specificity(self, term: str) -> float:
        """Return ``g(term)``: its idf relative to a term found in one document (0 if unknown)."""
        keys = self._postings.get(term)
        if not keys:
            return 0.0
        return _idf(self.size, len(keys)) / _idf(self.size, 1)

    def query_terms(self, weights: Mapping[str, float]) -> list[tuple[str, float]]:
        """Return the query terms that count, each with ``qw * g``, most specific first."""
        scored = [(term, self.specificity(term), qw) for term, qw in weights.items()]
        kept = sorted(
            ((term, g, qw) for term, g, qw in scored if g >= MIN_SPECIFICITY),
            key=lambda item: (-item[1], item[0]),
        )
        return [(term, g * qw) for term, g, qw in kept[:MAX_QUERY_TERMS]]

    def similarities(self, terms: list[tuple[str, float]]) -> dict[int, float]:
        """Return K(d) for every document some query term reaches (term-at-a-time)."""
        scores: dict[int, float] = {}
        get = scores.get
        for term, weight in terms:
            factor = weight / SHARE_SCALE
            for key in self._postings[term][:DEPTH]:
                doc_id = key & _ID_MASK
                scores[doc_id] = get(doc_id, 0.0) + (SHARE_SCALE - (key >> _ID_BITS)) * factor
        return scores

    def contributions(
        self, doc_id: int, fields: Fields, terms: list[tuple[str, float]]
    ) -> list[tuple[str, float]]:
        """Return the query terms that count for ``doc_id``, each with its part of K(d)."""
        shares = term_shares(fields)
        out: list[tuple[str, float]] = []
        for term, weight in terms:
            share = shares.get(term)
            if share is None:
                continue
            if bisect_left(self._postings[term], _key(doc_id, share)) < DEPTH:
                out.append((term, weight * share / SHARE_SCALE))
        return out


def _idf(size: int, df: int) -> float:
    return math.log(1 + (size - df + 0.5) / (df + 0.5))
