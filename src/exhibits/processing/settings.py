"""The ``[processing]`` section of exhibits.toml (``EXHIBITS_PROCESSING__FIELD`` overrides)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from exhibits.errors import ConfigurationError


class ProcessingSettings(BaseModel):
    # embedded: workers claim jobs straight from the database. celery: jobs are published
    # to a RabbitMQ (amqp://) or Redis (redis://) broker for workers on any machine.
    mode: Literal["embedded", "celery"] = "embedded"
    broker_url: str = ""
    queue_prefix: str = Field(
        default="exhibits", pattern=r"^[A-Za-z0-9_.-]{1,64}$"
    )  # vaults sharing a broker
    workers: int = Field(default=1, ge=1, le=64)  # jobs one `exhibits worker` runs at once
    lease_seconds: int = Field(default=120, ge=5)  # a silent worker's job is re-run after this
    poll_seconds: float = Field(default=1.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)  # runs cut short by a crash or a lost worker
    retry_backoff_seconds: int = Field(default=10, ge=1)
    retry_backoff_max_seconds: int = Field(default=600, ge=1)
    relay_seconds: float = Field(default=10.0, gt=0)  # Celery: how often stranded jobs are re-sent
    dispatch_grace_seconds: int = Field(default=30, ge=1)  # Celery: unclaimed this long = stranded
    memory_limit_mb: int = Field(default=4096, ge=64)  # per run: address space on top of the runner's own
    time_limits: dict[str, int] = Field(default_factory=dict)  # processor name -> seconds
    queues: dict[str, str] = Field(default_factory=dict)  # processor name -> queue
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)  # processor name -> parameters
    disabled: list[str] = Field(default_factory=list)  # processors not to run
    serve_worker: bool = True  # `exhibits serve` starts one embedded worker process

    @field_validator("disabled", mode="before")
    @classmethod
    def _names(cls, value: object) -> object:
        return [n.strip() for n in value.split(",") if n.strip()] if isinstance(value, str) else value

    @field_validator("broker_url")
    @classmethod
    def _broker(cls, value: str) -> str:
        if value and not value.startswith(("amqp://", "amqps://", "pyamqp://", "redis://", "rediss://")):
            raise ValueError("broker_url must be amqp://... (RabbitMQ) or redis://... (Redis)")
        return value

    def require_broker(self) -> str:
        if not self.broker_url:
            raise ConfigurationError(
                "processing.mode is celery but no processing.broker_url is set "
                "(e.g. amqp://guest:guest@127.0.0.1:5672// or redis://127.0.0.1:6379/0)"
            )
        return self.broker_url


def processing_settings(vault: Any) -> ProcessingSettings:
    return vault.settings.section("processing", ProcessingSettings)
