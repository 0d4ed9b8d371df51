"""Every configured channel gets its share of the digest; a channel that fails is a result, not an exception,
so a notification can never fail or lose the audit it reports on."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Callable, Iterable, Mapping

from auditor.notify.digest import Digest, for_channel
from auditor.notify.settings import NotifyChannel


class Delivery(StrEnum):
    SENT = "sent"
    UNCHANGED = "unchanged"  # nothing new for this channel, and it did not ask for `always`
    FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    channel: NotifyChannel
    delivery: Delivery
    detail: str = ""  # why it failed, one line without secrets


def share(channel: NotifyChannel, digest: Digest) -> Digest:
    """The part of ``digest`` this channel receives (its tenants, tags, severity floor and expiry window)."""
    return for_channel(digest, channel.tenants, channel.tags, channel.min_severity, channel.expiry_days)


def dispatch(
    channels: Iterable[NotifyChannel],
    digest: Digest,
    always: bool = False,
    environ: Mapping[str, str] | None = None,
    deliver: Callable[..., None] | None = None,
) -> list[Outcome]:
    """Send each channel its share; nothing when the share holds no news, unless the channel (or the
    caller, ``always``) asks for a digest anyway. Returns one Outcome per channel, in order."""
    if deliver is None:
        from auditor.notify.send import deliver
    from auditor.notify.send import NotifyError

    outcomes = []
    for channel in channels:
        part = share(channel, digest)
        if not part.has_news and not (always or channel.always):
            outcomes.append(Outcome(channel, Delivery.UNCHANGED))
            continue
        try:
            deliver(channel, part, environ)
        except NotifyError as exc:
            outcomes.append(Outcome(channel, Delivery.FAILED, str(exc)))
        except Exception as exc:  # noqa: BLE001 - a notifier bug must not cost the audit; the type is enough
            outcomes.append(Outcome(channel, Delivery.FAILED, f"unexpected {type(exc).__name__}"))
        else:
            outcomes.append(Outcome(channel, Delivery.SENT))
    return outcomes
