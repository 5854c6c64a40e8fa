"""Which brain answers guests, and the LLM's settings from the environment (LLM_BASE_URL,
LLM_API_KEY, LLM_MODEL, LLM_TIMEOUT_SECONDS). Apart from agent/llm.py so that pages asking
only this do not load the model client and its libraries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.conf import settings


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    api_key: str
    model: str
    timeout: float

    @property
    def key_ending(self) -> str:
        """The key's last characters, for a page to show it is the right one; only for a key
        long enough that they give nothing away."""
        return self.api_key[-4:] if len(self.api_key) >= 20 else ""


def llm_config() -> LLMConfig | None:
    """The LLM from the environment, or None: the embedded engine answers."""
    if not settings.LLM_BASE_URL or not settings.LLM_MODEL:
        return None
    return LLMConfig(
        base_url=settings.LLM_BASE_URL,
        api_key=settings.LLM_API_KEY,
        model=settings.LLM_MODEL,
        timeout=float(settings.LLM_TIMEOUT_SECONDS),
    )


def brain() -> Literal["llm", "embedded"]:
    """Which brain answers guests: the configured LLM, else the embedded engine."""
    return "llm" if llm_config() is not None else "embedded"
