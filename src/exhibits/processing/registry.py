"""The processors this process knows, and which of them apply to content, in order.

Processors come from every plugin's ``exhibits_processors()`` hook. The plan for a
content type is every enabled processor that accepts it, ordered so that dependencies
come first. A dependency that does not apply to the content (OCR on a video) is simply
absent: the processor runs without it, as it does when a dependency is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from exhibits.errors import ConfigurationError
from exhibits.processing.processor import Processor
from exhibits.processing.settings import ProcessingSettings


@dataclass(frozen=True)
class Planned:
    """A processor to run on some content, with the parameters and queue it runs under."""

    processor: Processor
    params: dict[str, Any]
    params_hash: str
    queue: str
    time_limit: int

    @property
    def name(self) -> str:
        return self.processor.name


class Registry:
    def __init__(
        self, classes: Iterable[type[Processor]], settings: ProcessingSettings, vault_settings: Any = None
    ) -> None:
        self.settings = settings
        self.vault_settings = vault_settings
        self.processors: dict[str, Processor] = {}
        for cls in classes:
            processor = cls()
            if processor.name in self.processors:
                other = type(self.processors[processor.name])
                raise ConfigurationError(
                    f"two processors are named {processor.name!r}: {other.__module__} and {cls.__module__}"
                )
            self.processors[processor.name] = processor
        self.order = self._topological()

    @classmethod
    def from_plugins(cls, plugins: Any, settings: ProcessingSettings, vault_settings: Any = None) -> Registry:
        classes: list[type[Processor]] = []
        for batch in plugins.hook.exhibits_processors():
            classes.extend(batch or [])
        return cls(classes, settings, vault_settings)

    def _topological(self) -> list[str]:
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(name: str, trail: tuple[str, ...]) -> None:
            if state.get(name) == "done":
                return
            if state.get(name) == "visiting":
                raise ConfigurationError("processors depend on each other in a cycle: " + " -> ".join(trail))
            state[name] = "visiting"
            for dependency in self.processors[name].depends_on:
                if dependency in self.processors:
                    visit(dependency, (*trail, dependency))
            state[name] = "done"
            order.append(name)

        for name in sorted(self.processors):
            visit(name, (name,))
        return order

    def get(self, name: str) -> Processor | None:
        return self.processors.get(name)

    def enabled(self, name: str) -> bool:
        return name in self.processors and name not in self.settings.disabled

    def planned(self, name: str) -> Planned:
        processor = self.processors[name]
        configured = processor.params_from_vault(self.vault_settings) if self.vault_settings else {}
        params = processor.params({**configured, **(self.settings.params.get(name) or {})})
        return Planned(
            processor=processor,
            params=params,
            params_hash=processor.params_hash(params),
            queue=self.settings.queues.get(name, processor.queue),
            time_limit=int(self.settings.time_limits.get(name, processor.timeout_seconds)),
        )

    def plan(self, mime_type: str, only: Iterable[str] | None = None) -> list[Planned]:
        """What runs on content of this type, dependencies first. ``only`` limits the plan
        to those processors and what they need."""
        applies: dict[str, bool] = {}

        def usable(name: str) -> bool:
            if name not in applies:
                processor = self.processors.get(name)
                applies[name] = bool(
                    processor is not None and self.enabled(name) and processor.applies_to(mime_type)
                )
            return applies[name]

        wanted: set[str] = set()

        def want(name: str) -> None:
            if name in wanted or not usable(name):
                return
            wanted.add(name)
            for dependency in self.processors[name].depends_on:
                want(dependency)

        for name in only if only is not None else self.order:
            want(name)
        return [self.planned(name) for name in self.order if name in wanted]

    def known(self) -> list[tuple[str, str]]:
        """(name, version) of every processor this process can run."""
        return [(p.name, p.version) for p in self.processors.values()]
