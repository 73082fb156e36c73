"""Settings: the only module that reads the environment, built once at an entry point.

>>> s = Settings(icp_home="/tmp/icp-example")
>>> s.database_url.startswith("sqlite:///")
True
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable, from environment variables (or a `.env` file in the working folder)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    icp_home: Path = Field(default=Path(".icp"), validation_alias=AliasChoices("ICP_HOME", "icp_home"))
    database_url_override: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    chroma_url: str | None = Field(default=None, validation_alias=AliasChoices("CHROMA_URL", "chroma_url"))
    workspace: str = Field(default="default", validation_alias=AliasChoices("ICP_WORKSPACE", "workspace"))

    # LLM (optional): any OpenAI-compatible endpoint
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url")
    )
    llm_model: str = Field(default="gpt-4o-mini", validation_alias=AliasChoices("ICP_LLM_MODEL", "llm_model"))
    llm_timeout_s: float = Field(default=30.0, gt=0, validation_alias=AliasChoices("ICP_LLM_TIMEOUT", "llm_timeout_s"))
    llm_max_tokens: int = Field(
        default=1500, gt=0, validation_alias=AliasChoices("ICP_LLM_MAX_TOKENS", "llm_max_tokens")
    )
    llm_max_attempts: int = Field(
        default=3, ge=1, le=3, validation_alias=AliasChoices("ICP_LLM_MAX_ATTEMPTS", "llm_max_attempts")
    )
    llm_budget_tokens_per_run: int = Field(
        default=2_000_000,
        ge=0,
        validation_alias=AliasChoices("ICP_LLM_BUDGET_RUN", "llm_budget_tokens_per_run"),
    )
    llm_budget_tokens_per_account: int = Field(
        default=200_000,
        ge=0,
        validation_alias=AliasChoices("ICP_LLM_BUDGET_ACCOUNT", "llm_budget_tokens_per_account"),
    )
    llm_budget_tokens_per_workspace_day: int = Field(
        default=5_000_000,
        ge=0,
        validation_alias=AliasChoices("ICP_LLM_BUDGET_DAY", "llm_budget_tokens_per_workspace_day"),
    )

    # embeddings: local MiniLM (default), an OpenAI-compatible endpoint, or the hashing fake
    embeddings: str = Field(default="local", validation_alias=AliasChoices("ICP_EMBEDDINGS", "embeddings"))
    embedding_model: str = Field(
        default="text-embedding-3-small",
        validation_alias=AliasChoices("ICP_EMBEDDING_MODEL", "embedding_model"),
    )

    # fetching
    allow_loopback: bool = Field(
        default=False,
        validation_alias=AliasChoices("ICP_ALLOW_LOOPBACK", "allow_loopback"),
        description="Lets fetches reach 127.0.0.1 and ::1. Only for tests and demos; off by default.",
    )
    fetch_host_delay_s: float = Field(
        default=1.0,
        ge=0,
        validation_alias=AliasChoices("ICP_FETCH_HOST_DELAY", "fetch_host_delay_s"),
        description="Seconds between request starts to one host (politeness).",
    )
    fetch_respect_robots: bool = Field(
        default=True, validation_alias=AliasChoices("ICP_FETCH_ROBOTS", "fetch_respect_robots")
    )
    user_agent: str = Field(
        default="icp-agent/0.1 (+https://github.com/icp-agent/icp-agent)",
        validation_alias=AliasChoices("ICP_USER_AGENT", "user_agent"),
    )

    # Slack
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "slack_signing_secret")
    )
    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "slack_bot_token")
    )
    slack_webhook_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_WEBHOOK_URL", "slack_webhook_url")
    )
    slack_digest_channel: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_DIGEST_CHANNEL", "slack_digest_channel")
    )
    slack_team_workspaces: dict[str, str] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("ICP_SLACK_TEAMS", "slack_team_workspaces"),
        description="Slack team id to workspace, e.g. T012=sales-emea,T034=sales-us.",
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/", validation_alias=AliasChoices("SLACK_API_URL", "slack_api_url")
    )

    # jobs
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "redis_url"))
    digest_tiers: list[str] = Field(
        default_factory=lambda: ["Tier 1"], validation_alias=AliasChoices("ICP_DIGEST_TIERS", "digest_tiers")
    )
    ingest_every_minutes: int = Field(
        default=0, ge=0, validation_alias=AliasChoices("ICP_INGEST_EVERY_MINUTES", "ingest_every_minutes")
    )
    digest_hour_utc: int = Field(
        default=7, ge=0, le=23, validation_alias=AliasChoices("ICP_DIGEST_HOUR", "digest_hour_utc")
    )

    # API limits
    max_body_bytes: int = Field(default=1_000_000, validation_alias=AliasChoices("ICP_MAX_BODY", "max_body_bytes"))
    max_csv_bytes: int = Field(default=20_000_000, validation_alias=AliasChoices("ICP_MAX_CSV", "max_csv_bytes"))
    max_message_chars: int = Field(default=2_000, validation_alias=AliasChoices("ICP_MAX_MESSAGE", "max_message_chars"))
    rate_limit_per_minute: int = Field(
        default=600, validation_alias=AliasChoices("ICP_RATE_LIMIT", "rate_limit_per_minute")
    )

    @field_validator("slack_team_workspaces", mode="before")
    @classmethod
    def _pairs(cls, v: object) -> object:
        if isinstance(v, str) and not v.strip().startswith("{"):
            return dict(p.split("=", 1) for p in v.split(",") if "=" in p)
        return v

    @field_validator("digest_tiers", mode="before")
    @classmethod
    def _split(cls, v: object) -> object:
        if isinstance(v, str) and not v.strip().startswith("["):
            return [t.strip() for t in v.split(",") if t.strip()]
        return v

    @property
    def database_url(self) -> str:
        """Returns DATABASE_URL, or the SQLite file in the data directory."""
        if self.database_url_override:
            return self.database_url_override
        return f"sqlite:///{(self.icp_home / 'icp.db').resolve()}"

    @property
    def chroma_path(self) -> Path:
        """Returns the folder of the embedded chromadb store."""
        return self.icp_home / "chroma"

    @property
    def llm_configured(self) -> bool:
        """Returns True when an LLM endpoint is configured (a key, or a base URL for local servers)."""
        return self.openai_api_key is not None or self.openai_base_url is not None
