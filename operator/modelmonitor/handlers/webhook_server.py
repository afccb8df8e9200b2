"""Kopf's webhook server with a working self-signed certificate, clear 400s, and config registration.

Three differences from ``kopf.WebhookServer``: the fallback certificate is built with
``cryptography`` (Kopf's generator needs oscrypto, broken under OpenSSL 3); malformed reviews are
answered 400 with the list of problems instead of a 500; and each client config the server
reports is handed to ``on_client_config`` so the operator can register its own webhook
configurations (fail-open, short timeout) rather than Kopf's.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from typing import Any

import aiohttp.web
import kopf

from modelmonitor.injection.review import review_problems
from modelmonitor.kube.certificates import self_signed_certificate

ClientConfigCallback = Callable[[Mapping[str, Any]], Awaitable[None]]


class ModelMonitorWebhookServer(kopf.WebhookServer):
    """``kopf.WebhookServer`` plus the three changes above."""

    def __init__(self, *, on_client_config: ClientConfigCallback | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_client_config = on_client_config

    @staticmethod
    def build_certificate(hostnames: Collection[str], password: str | None = None) -> tuple[bytes, bytes]:
        return self_signed_certificate(hostnames, password=password)

    @staticmethod
    async def _serve(fn: Any, request: aiohttp.web.Request) -> aiohttp.web.Response:
        try:
            review = json.loads(await request.text())
        except ValueError as error:
            return aiohttp.web.json_response({"error": f"body is not JSON: {error}"}, status=400)
        problems = review_problems(review)
        if problems:
            return aiohttp.web.json_response({"error": "malformed AdmissionReview", "problems": problems}, status=400)
        response: aiohttp.web.Response = await kopf.WebhookServer._serve(fn, request)
        return response

    async def __call__(self, fn: Any) -> AsyncIterator[Any]:
        async for client_config in super().__call__(fn):
            if self.on_client_config is not None:
                await self.on_client_config(client_config)
            yield client_config
