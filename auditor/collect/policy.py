"""The rules Graph and ARM reads share: when to retry and how long to wait, and when a list counts as read.

A list is read whole or not at all. Only the answer to a list's first request may say something about the
list itself (403: no permission, 404: not there, a licence error, ARM's "provider not registered"); once a
page has been read, any later failure makes the whole list an error with the page and the reason, never a
shorter list that looks complete. Paging stops with an error on a nextLink seen before (a loop) or after
`CollectOptions.max_pages` pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from auditor.collect.answers import retry_after
from auditor.collect.options import CollectOptions

_NO_HEADER = -1.0


@dataclass(frozen=True)
class Delay:
    """Either seconds to wait before the next attempt, or why there is no next attempt."""

    seconds: float = 0.0
    give_up: str = ""


def retry_delay(options: CollectOptions, attempt: int, headers: Mapping[str, Any] | None = None) -> Delay:
    """The wait before retry number `attempt` (1-based) of one request or $batch item.

    Retry-After (seconds or an HTTP date) is honoured up to `options.max_retry_wait_s`; a longer demand gives
    up at once with a reason that names it. Without the header: bounded exponential backoff,
    `backoff_s * 2**(attempt-1)`, never above the same ceiling. Microsoft's guidance for both services is to
    wait what Retry-After says (learn.microsoft.com/graph/throttling;
    learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling).
    """
    if attempt > options.max_retries:
        return Delay(give_up=f"gave up after {options.max_retries} retries")
    demanded = retry_after(headers, _NO_HEADER)
    if demanded == _NO_HEADER:
        return Delay(min(options.backoff_s * 2 ** (attempt - 1), options.max_retry_wait_s))
    if demanded > options.max_retry_wait_s:
        return Delay(
            give_up=f"the service asked to wait {demanded:g} s (Retry-After), longer than the "
            f"{options.max_retry_wait_s:g} s this tool waits; gave up"
        )
    return Delay(demanded)


@dataclass
class Paging:
    """Where one list's paging stands: the page being read (1-based) and the links already followed."""

    max_pages: int
    page: int = 1
    seen: set[str] = field(default_factory=set)

    def start(self, url: str) -> None:
        self.seen.add(url)

    def advance(self, next_url: str) -> str | None:
        """Move on to `next_url`; the reason to stop instead (a loop, or too many pages), else None."""
        if next_url in self.seen:
            return (f"the nextLink of page {self.page} points back to a page already read (a paging loop); "
                    "stopped, the list was not read whole")
        if self.page >= self.max_pages:
            return f"the list did not end after {self.max_pages} pages; stopped, it was not read whole"
        self.seen.add(next_url)
        self.page += 1
        return None

    @property
    def later(self) -> bool:
        """True once the first page has been read: a failure now is never a statement about the list."""
        return self.page > 1

    def failed(self, reason: str) -> str:
        """A failure's reason, naming the page when it was not the first."""
        return f"page {self.page} failed: {reason}; the list was not read whole" if self.later else reason
