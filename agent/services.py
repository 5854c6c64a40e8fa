"""What the menu and knowledge pages do, apart from the HTTP."""

from __future__ import annotations

from agent import retrieval
from agent.models import KnowledgeEntry
from tenancy.models import Tenant


def save_knowledge_entry(entry: KnowledgeEntry) -> KnowledgeEntry:
    """Save an entry with its embedding, computed from the text being saved (an edit
    re-embeds it, so retrieval never compares against stale text)."""
    retrieval.embed_entry(entry)
    entry.save()
    return entry


def try_question(tenant: Tenant, question: str, language: str) -> retrieval.Retrieval:
    """What the concierge would answer a guest who asks this (the knowledge page's test box)."""
    return retrieval.retrieve(tenant, question, [language, tenant.default_language, "en"])
