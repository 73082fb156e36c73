"""The composition root's service bundle: settings, database and the seams, built once per process.

>>> from api.settings import Settings
>>> svc = Services.create(Settings(icp_home="/tmp/icp-doc", DATABASE_URL="sqlite:///:memory:"))
>>> svc.workspace
'default'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from api.settings import Settings
from store.db import Database, utcnow

if TYPE_CHECKING:
    from agent.llm import LLM
    from ingest.embeddings import Embedder
    from store.vectors import VectorStore


@dataclass
class Services:
    """Everything an entry point needs, with the expensive seams built lazily on first use."""

    settings: Settings
    db: Database
    workspace: str = "default"
    clock: Callable[[], datetime] = utcnow
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def create(cls, settings: Settings, *, workspace: str | None = None, db: Database | None = None) -> Services:
        """Builds services from settings: creates the data directory, migrates the database."""
        settings.icp_home.mkdir(parents=True, exist_ok=True)
        database = db or Database.connect(settings.database_url)
        ws = workspace or settings.workspace
        database.ensure_workspace(ws)
        return cls(settings=settings, db=database, workspace=ws)

    def for_workspace(self, workspace: str) -> Services:
        """Returns the same services working in another workspace (shares the seams)."""
        self.db.ensure_workspace(workspace)
        return Services(settings=self.settings, db=self.db, workspace=workspace, clock=self.clock, _cache=self._cache)

    def today(self) -> date:
        """Returns today's date in UTC, from the injectable clock."""
        return self.clock().date()

    def provide(self, name: str, factory: Callable[[], Any]) -> Any:
        """Returns a cached seam, building it on first use.

        Threads racing on a first use may each build one, but all of them get the one kept
        (`dict.setdefault` is atomic), so a shared counter such as a token budget is never split.
        """
        if name in self._cache:
            return self._cache[name]
        return self._cache.setdefault(name, factory())

    def provided(self, prefix: str) -> dict[str, Any]:
        """Returns the cached seams whose names start with `prefix`, by name."""
        return {name: value for name, value in list(self._cache.items()) if name.startswith(prefix)}

    def discard(self, name: str) -> None:
        """Forgets a cached seam (the next `provide` builds a new one)."""
        self._cache.pop(name, None)

    def override(self, name: str, value: Any) -> None:
        """Injects a seam (tests and the demo use fakes this way)."""
        self._cache[name] = value

    @property
    def embedder(self) -> Embedder:
        """Returns the embedder the settings choose (local MiniLM by default)."""
        from ingest.embeddings import build_embedder

        s = self.settings

        def build() -> Embedder:
            if s.embeddings == "openai":
                key = s.openai_api_key.get_secret_value() if s.openai_api_key else None
                return build_embedder(s.embeddings, base_url=s.openai_base_url, api_key=key, model=s.embedding_model)
            return build_embedder(s.embeddings)

        return self.provide("embedder", build)  # type: ignore[no-any-return]

    @property
    def vectors(self) -> VectorStore:
        """Returns the vector store: chromadb in the data directory, or a server via CHROMA_URL."""
        from store.vectors import ChromaVectorStore

        s = self.settings
        return self.provide(  # type: ignore[no-any-return]
            "vectors",
            lambda: ChromaVectorStore(
                path=None if s.chroma_url else s.chroma_path, url=s.chroma_url, embedder=self.embedder
            ),
        )

    @property
    def llm(self) -> LLM | None:
        """Returns the configured LLM, or None when the product runs offline."""
        if "llm" in self._cache:
            return self._cache["llm"]  # type: ignore[no-any-return]
        s = self.settings
        if not s.llm_configured:
            return None
        from agent.llm import OpenAICompatibleLLM

        return self.provide(  # type: ignore[no-any-return]
            "llm",
            lambda: OpenAICompatibleLLM(
                model=s.llm_model,
                api_key=s.openai_api_key.get_secret_value() if s.openai_api_key else "not-needed",
                base_url=s.openai_base_url,
                timeout_s=s.llm_timeout_s,
                max_tokens=s.llm_max_tokens,
                max_attempts=s.llm_max_attempts,
            ),
        )
