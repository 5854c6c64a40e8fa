"""Answers from the hotel's knowledge base, across English and Indonesian, or none at all.

Two retrievers look at the question:
- the lexicon (agent.lexicon): concepts both languages share ("kolam renang" = "pool"), scored
  by how much of the question an entry covers; always there, pure Python, any database;
- embeddings (agent.embeddings, multilingual-e5-small): cosine similarity, where installed.

Neither score alone separates answerable questions from others (agent-facts.md: in-domain and
out-of-domain cosine scores overlap), so the gate answers only when
1. both retrievers pick the same topic and the lexicon covers at least half of the question, or
2. embeddings pick a topic by a clear margin and the question names no known topic that the
   entry lacks ("gym" asked, "spa" found is a veto), or
3. the lexicon is decisive (covers the question, no rival) and the embeddings either rank its
   topic within a hair of their own first or cannot tell topics apart at all, or
4. without embeddings: the lexicon covers most of the question and beats the runner-up clearly.
Anything else is "no answer": the agent invents nothing and hands the question to staff.

Retrieval runs in Python over the hotel's entries (tens to a few hundred), so it works the same
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from agent import embeddings, lexicon
from agent.models import KnowledgeEntry
from tenancy.models import Tenant

# Gate thresholds, tuned on bench/agent_eval.py's questions (docs/agent.md has the figures).
AGREE_MIN_LEXICAL = 0.5
AGREE_MIN_COSINE = 0.78
ALONE_MIN_COSINE = 0.84
ALONE_MIN_MARGIN = 0.05
LEXICON_DECISIVE = 0.85
EMBEDDINGS_UNDECIDED = 0.01
LEXICON_DECISIVE_MARGIN = 0.5
EMBEDDING_TOLERANCE = 0.02
LEXICAL_ONLY_MIN = 0.6
LEXICAL_ONLY_MARGIN = 0.25
QUESTION_WEIGHT, ANSWER_WEIGHT = 1.0, 0.5


@dataclass
class Topic:
    """Entries that answer one question, in one or several languages."""

    key: str
    entries: list[KnowledgeEntry]
    concepts: dict[str, float] = field(default_factory=dict)
    question_concepts: set[str] = field(default_factory=set)

    def entry_for(self, languages: list[str]) -> KnowledgeEntry:
        for language in languages:
            for entry in self.entries:
                if entry.language == language:
                    return entry
        return self.entries[0]


@dataclass(frozen=True)
class Retrieval:
    """What the gate saw and decided; `entry` is None when it would not answer."""

    entry: KnowledgeEntry | None
    rule: str
    lexical_topic: str | None
    lexical_score: float
    lexical_runner_up: float
    embedding_topic: str | None
    cosine: float
    cosine_margin: float

    @property
    def answered(self) -> bool:
        return self.entry is not None


def _topics(entries: list[KnowledgeEntry]) -> list[Topic]:
    grouped: dict[str, list[KnowledgeEntry]] = defaultdict(list)
    for entry in entries:
        grouped[entry.topic.strip().lower() or f"entry:{entry.pk}"].append(entry)
    topics = []
    for key, members in grouped.items():
        topic = Topic(key=key, entries=members)
        for entry in members:
            for concept, weight in lexicon.concepts(entry.question).items():
                topic.question_concepts.add(concept)
                topic.concepts[concept] = max(
                    topic.concepts.get(concept, 0), weight * QUESTION_WEIGHT
                )
            for concept, weight in lexicon.concepts(entry.answer).items():
                topic.concepts[concept] = max(
                    topic.concepts.get(concept, 0), weight * ANSWER_WEIGHT
                )
        topics.append(topic)
    return topics


def _lexical_scores(question: dict[str, float], topics: list[Topic]) -> list[float]:
    """How much of the question each topic covers (idf-weighted, 0..1), nudged towards topics
    whose own question is covered too: "checkout time?" prefers "checkout" to "late checkout"."""
    if not question or not topics:
        return [0.0] * len(topics)
    frequency = {c: sum(1 for t in topics if c in t.concepts) for c in question}
    idf = {c: math.log(1 + len(topics) / (1 + frequency[c])) + 0.1 for c in question}
    mass = sum(idf[c] * w for c, w in question.items())
    scores = []
    for topic in topics:
        covered = sum(idf[c] * w * topic.concepts.get(c, 0) for c, w in question.items())
        own = topic.question_concepts
        own_covered = len(own & question.keys()) / len(own) if own else 0.0
        scores.append((covered / mass) * (0.8 + 0.2 * own_covered) if mass else 0.0)
    return scores


def _entry_vector(entry: KnowledgeEntry, model: embeddings.Embedder) -> np.ndarray | None:
    if entry.embedding_model == model.model_id:
        return embeddings.from_bytes(entry.embedding)
    return None


def passage_text(entry: KnowledgeEntry) -> str:
    return f"{entry.question}\n{entry.answer}"


def embed_entries(entries: list[KnowledgeEntry]) -> None:
    """Fill the entries' embeddings before they are saved (no model installed: left empty)."""
    model = embeddings.embedder()
    if model is None:
        for entry in entries:
            entry.embedding, entry.embedding_model = None, ""
        return
    vectors = model.passages([passage_text(entry) for entry in entries])
    for entry, vector in zip(entries, vectors, strict=True):
        entry.embedding = embeddings.to_bytes(vector)
        entry.embedding_model = model.model_id


def embed_entry(entry: KnowledgeEntry) -> None:
    embed_entries([entry])


def _cosines(question: str, topics: list[Topic]) -> list[float] | None:
    model = embeddings.embedder()
    if model is None or not topics:
        return None
    vectors: list[np.ndarray] = []
    owners: list[int] = []
    missing: list[tuple[int, KnowledgeEntry]] = []
    for index, topic in enumerate(topics):
        for entry in topic.entries:
            vector = _entry_vector(entry, model)
            if vector is None:
                missing.append((index, entry))
            else:
                vectors.append(vector)
                owners.append(index)
    if missing:  # saved before the model was installed: embedded now, not stored
        fresh = model.passages([passage_text(entry) for _, entry in missing])
        for (index, _entry), vector in zip(missing, fresh, strict=True):
            vectors.append(vector)
            owners.append(index)
    similarities = np.vstack(vectors) @ model.query(question)
    best = [-1.0] * len(topics)
    for owner, similarity in zip(owners, similarities.tolist(), strict=True):
        best[owner] = max(best[owner], similarity)
    return best


def _top_two(scores: list[float]) -> tuple[int, float, float]:
    order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
    first = order[0]
    second = scores[order[1]] if len(order) > 1 else 0.0
    return first, scores[first], second


def _vetoed(question: dict[str, float], topic: Topic) -> bool:
    """The question names a known topic the entry never mentions."""
    return any(lexicon.is_topic(c) and c not in topic.concepts for c in question)


def retrieve(tenant: Tenant, question: str, languages: list[str]) -> Retrieval:
    entries = list(KnowledgeEntry.objects.filter(tenant=tenant).order_by("pk"))
    return retrieve_from(entries, question, languages)


def retrieve_from(entries: list[KnowledgeEntry], question: str, languages: list[str]) -> Retrieval:
    topics = _topics(entries)
    asked = lexicon.concepts(question)
    if not topics:
        return Retrieval(None, "empty", None, 0.0, 0.0, None, 0.0, 0.0)
    lexical = _lexical_scores(asked, topics)
    lex_index, lex_score, lex_second = _top_two(lexical)
    cosines = _cosines(question, topics)

    def result(
        chosen: int | None, rule: str, emb: int | None, cos: float, margin: float
    ) -> Retrieval:
        entry = topics[chosen].entry_for(languages) if chosen is not None else None
        return Retrieval(
            entry,
            rule,
            topics[lex_index].key if lex_score > 0 else None,
            round(lex_score, 3),
            round(lex_second, 3),
            topics[emb].key if emb is not None else None,
            round(cos, 3),
            round(margin, 3),
        )

    if cosines is None:
        if lex_score >= LEXICAL_ONLY_MIN and lex_score - lex_second >= LEXICAL_ONLY_MARGIN:
            return result(lex_index, "lexicon", None, 0.0, 0.0)
        return result(None, "lexicon-unsure", None, 0.0, 0.0)

    emb_index, cosine, cosine_second = _top_two(cosines)
    margin = cosine - cosine_second
    if (
        emb_index == lex_index
        and lex_score >= AGREE_MIN_LEXICAL
        and cosine >= AGREE_MIN_COSINE
        and not _vetoed(asked, topics[emb_index])
    ):
        return result(emb_index, "agreement", emb_index, cosine, margin)
    if (
        cosine >= ALONE_MIN_COSINE
        and margin >= ALONE_MIN_MARGIN
        and not _vetoed(asked, topics[emb_index])
        and lexical[emb_index] >= lex_score  # the lexicon prefers no other topic
    ):
        return result(emb_index, "embedding-margin", emb_index, cosine, margin)
    if (
        lex_score >= LEXICON_DECISIVE
        and lex_score - lex_second >= LEXICON_DECISIVE_MARGIN
        # The embeddings rank the lexicon's topic about as high as their own first, or they
        # cannot tell any topic apart (as e5-small with "antar jemput" for "shuttle").
        and (cosine - cosines[lex_index] <= EMBEDDING_TOLERANCE or margin < EMBEDDINGS_UNDECIDED)
        and not _vetoed(asked, topics[lex_index])
    ):
        return result(lex_index, "lexicon-decisive", emb_index, cosine, margin)
    return result(None, "unsure", emb_index, cosine, margin)
