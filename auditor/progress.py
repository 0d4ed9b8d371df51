"""A small progress protocol, so the engine reports progress without importing rich (the CLI adapts it)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, total: int, description: str) -> None: ...

    def advance(self, label: str = "", failed: bool = False) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    """The default: report nothing."""

    def start(self, total: int, description: str) -> None:
        pass

    def advance(self, label: str = "", failed: bool = False) -> None:
        pass

    def finish(self) -> None:
        pass
