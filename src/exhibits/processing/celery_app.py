"""Scale-out: the same jobs, dispatched through Celery to workers on any number of machines.

The broker (RabbitMQ ``amqp://`` or Redis ``redis://``, from ``processing.broker_url``)
carries only job ids; the database stays the source of truth. Messages are acknowledged
late (after the job is recorded) and re-queued if a worker is lost; each processor's
queue (``exhibits.media`` for video, ``exhibits.default`` for quick jobs) can be served
by its own workers, so long transcodes never starve quick jobs. A task claims its job
with a lease exactly as an embedded worker does, so a duplicate message is harmless.

Workers run ``exhibits worker --mode celery``, which starts ``celery worker`` with this
app and a relay that re-sends jobs stranded by a crash between commit and publish.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, signals
from sqlalchemy.exc import DBAPIError, OperationalError

from exhibits.processing.settings import ProcessingSettings

log = logging.getLogger(__name__)
VAULT_ENV = "EXHIBITS_VAULT"


class TransientError(Exception):
    """Infrastructure trouble (database, storage) worth retrying with back-off."""


def make_app(settings: ProcessingSettings) -> Celery:
    app = Celery("exhibits", broker=settings.require_broker(), set_as_current=False)
    longest = max([*settings.time_limits.values(), 1800]) + 120
    app.conf.update(
        task_acks_late=True,  # acknowledged only once the job is recorded
        task_reject_on_worker_lost=True,  # a killed worker's message goes back on the queue
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,  # one job in hand per process: fair across machines
        task_default_queue=f"{settings.queue_prefix}.default",
        task_create_missing_queues=True,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # state lives in the database
        result_backend=None,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        broker_transport_options={"visibility_timeout": longest},  # Redis: redeliver after this
        worker_hijack_root_logger=False,
        worker_max_tasks_per_child=500,
        enable_utc=True,
    )

    @app.task(
        name="exhibits.process",
        bind=True,
        acks_late=True,
        autoretry_for=(TransientError,),
        retry_backoff=settings.retry_backoff_seconds,
        retry_backoff_max=settings.retry_backoff_max_seconds,
        retry_jitter=True,
        max_retries=8,
    )
    def process(self: Any, job_id: str) -> str:
        return run_task(self, job_id)

    return app


# --- inside a Celery worker process --------------------------------------------------------

_state: dict[str, Any] = {}


def _worker_state() -> dict[str, Any]:
    """This worker process's vault and runner, opened on first use (after the fork)."""
    if "executor" not in _state:
        from exhibits.config import resolve_vault_path
        from exhibits.processing.execute import JobExecutor, worker_name
        from exhibits.processing.runner import Runner
        from exhibits.vault import Vault

        vault = Vault.open(resolve_vault_path(os.environ.get(VAULT_ENV)))
        runner = Runner()
        _state.update(
            vault=vault, runner=runner, executor=JobExecutor(vault.processing, runner, worker_name("celery"))
        )
    return _state


@signals.worker_process_shutdown.connect
def _close_state(**_kwargs: Any) -> None:
    runner = _state.pop("runner", None)
    if runner is not None:
        runner.close()
    vault = _state.pop("vault", None)
    _state.clear()
    if vault is not None:
        vault.close()


def run_task(task: Any, job_id: str) -> str:
    try:
        state = _worker_state()
        executor = state["executor"]
        claimed = executor.claim(job_id=job_id)
        if claimed is None:  # done, taken by another worker, or waiting: nothing to do here
            return "not claimable"
        status = executor.run(claimed)
    except (OperationalError, DBAPIError, OSError) as exc:
        log.warning("job %s hit a transient error (%s); retrying with back-off", job_id, exc)
        raise TransientError(str(exc)) from exc
    return status


def app_for_worker() -> Celery:
    """The Celery app of the vault named by EXHIBITS_VAULT (``celery -A`` entry point)."""
    from exhibits.config import load_settings, resolve_vault_path

    settings = load_settings(resolve_vault_path(os.environ.get(VAULT_ENV))).section(
        "processing", ProcessingSettings
    )
    return make_app(settings)


def __getattr__(name: str) -> Any:  # `celery -A exhibits.processing.celery_app` finds `app`
    if name == "app":
        app = app_for_worker()
        globals()["app"] = app
        return app
    raise AttributeError(name)
