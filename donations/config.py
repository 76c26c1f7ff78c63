"""Settings, read once from the environment (prefix ``DONATIONS_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me-in-production"  # noqa: S105 (a placeholder, refused in production)


class Settings(BaseSettings):
    """Every setting of the app. See README.md, "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="DONATIONS_", env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = Field(
        "development", description="`production` refuses the placeholder secret key."
    )
    database_url: str = Field(
        "sqlite:///./donations.db",
        description="SQLAlchemy URL: a SQLite file or postgresql+psycopg://user:pw@host/db.",
    )
    secret_key: str = Field(
        PLACEHOLDER_SECRET, description="Signs session cookies and CSRF tokens."
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public address of the app, encoded in the QR codes on labels.",
    )
    token_ttl_hours: int = Field(
        24 * 30, ge=1, description="Lifetime of API bearer tokens, in hours."
    )
    session_ttl_hours: int = Field(
        24 * 14, ge=1, description="How long a browser stays signed in, in hours."
    )
    auto_migrate: bool = Field(
        True, description="Create or upgrade the database schema when the app starts."
    )
    db_pool_size: int = Field(10, ge=1, description="Connections kept open per process.")
    db_max_overflow: int = Field(20, ge=0, description="Extra connections under load.")
    sqlite_busy_timeout_ms: int = Field(
        10_000, ge=0, description="How long a SQLite writer waits for the lock."
    )
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL"] = Field(
        "NORMAL", description="SQLite `synchronous` pragma (WAL makes NORMAL durable)."
    )
    max_upload_bytes: int = Field(
        5 * 1024 * 1024, ge=1024, description="Largest item file (CSV or XLSX) accepted."
    )
    default_language: Literal["en", "fr"] = "en"

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError(
                "DONATIONS_SECRET_KEY must be set to a long random value in production"
            )
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("DONATIONS_SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        """Cookies are marked Secure when the app is served over https."""
        return self.base_url.startswith("https://")

    @property
    def public_base_url(self) -> str:
        return self.base_url.rstrip("/")


@lru_cache
def get_settings() -> Settings:
    return Settings()
