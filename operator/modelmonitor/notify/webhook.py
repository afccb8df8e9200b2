"""POSTing a JSON payload to a webhook: bounded time, bounded retries, and never an exception for the caller.

A notifier that raises would take the analysis loop down with it, and a receiver that is down for a
minute must not stop the operator from judging the model. So :meth:`WebhookNotifier.send` returns a
:class:`DeliveryResult`; the caller records successful deliveries in the alert state and the
dispatcher re-plans failed ones at the next evaluation.

Retried: connection errors, timeouts, 429 and 5xx answers, with exponential backoff. Not retried:
other 4xx answers (the payload or URL is wrong; repeating it will not help).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from modelmonitor import __version__

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """How one delivery went."""

    delivered: bool
    attempts: int
    status: int | None = None
    """HTTP status of the last answer, if any came."""
    error: str | None = None
    """Why the last attempt failed, when it did."""


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


class WebhookNotifier:
    """Sends payloads with a shared ``aiohttp.ClientSession`` (owned by the caller)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout_s: float = 10.0,
        attempts: int = 3,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {attempts}")
        if timeout_s <= 0 or backoff_s < 0 or max_backoff_s < 0:
            raise ValueError("timeout must be positive and backoffs non-negative")
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._sleep = sleep

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based): doubling, capped."""
        return float(min(self._max_backoff_s, self._backoff_s * 2 ** (attempt - 1)))

    async def send(self, url: str, payload: Mapping[str, Any]) -> DeliveryResult:
        """POST ``payload`` as JSON; retry transient failures; return how it went (never raises)."""
        try:
            body = json.dumps(payload, separators=(",", ":")).encode()
        except (TypeError, ValueError) as error:
            return DeliveryResult(delivered=False, attempts=0, error=f"payload is not JSON: {error}")
        headers = {"Content-Type": "application/json", "User-Agent": f"modelmonitor/{__version__}"}
        status: int | None = None
        error_text: str | None = None
        for attempt in range(1, self._attempts + 1):
            try:
                async with self._session.post(url, data=body, headers=headers, timeout=self._timeout) as response:
                    status = response.status
                    await response.read()
                if 200 <= status < 300:
                    return DeliveryResult(delivered=True, attempts=attempt, status=status)
                error_text = f"HTTP {status}"
                if not _retryable(status):
                    break
            except TimeoutError:
                status, error_text = None, "timed out"
            except (aiohttp.ClientError, ValueError, OSError) as error:
                # ValueError: aiohttp rejects malformed URLs with it (InvalidURL derives from it too).
                status, error_text = None, f"{type(error).__name__}: {error}"
            if attempt < self._attempts:
                await self._sleep(self.backoff(attempt))
        logger.warning("webhook %s: delivery failed after %d attempt(s): %s", url, attempt, error_text)
        return DeliveryResult(delivered=False, attempts=attempt, status=status, error=error_text)
