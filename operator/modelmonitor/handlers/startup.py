"""Every Kopf setting in one startup hook, plus login with the same credentials as the API client."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import kopf

from modelmonitor.handlers.context import OperatorContext
from modelmonitor.handlers.webhook_server import ModelMonitorWebhookServer
from modelmonitor.kube import webhooks as kube_webhooks
from modelmonitor.kube.client import connection_parameters
from modelmonitor.wiring import keys, webhooks


def register(registry: kopf.OperatorRegistry, ctx: OperatorContext) -> None:
    config = ctx.config

    @kopf.on.login(id="login", registry=registry)
    def login(**_: Any) -> kopf.ConnectionInfo:
        return kopf.ConnectionInfo(**connection_parameters(ctx.api))

    async def register_webhooks(client_config: Mapping[str, Any]) -> None:
        if config.webhook_configuration is None:
            return  # the chart ships them
        timeout = config.webhook_timeout_seconds
        name = config.webhook_configuration
        mutating = webhooks.mutating_configuration(
            name, client_config, timeout_seconds=timeout, operator_namespace=config.operator_namespace
        )
        await kube_webhooks.upsert(ctx.api, mutating)
        await kube_webhooks.upsert(
            ctx.api, webhooks.validating_configuration(name, client_config, timeout_seconds=timeout)
        )

    @kopf.on.startup(id="configure", registry=registry)
    def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        settings.persistence.finalizer = keys.FINALIZER
        settings.persistence.progress_storage = kopf.StatusProgressStorage(field="status.kopf.progress")
        settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
            prefix=keys.DOMAIN, key="last-handled-configuration"
        )
        settings.peering.standalone = config.standalone
        settings.peering.mandatory = config.peering is not None
        settings.peering.name = config.peering or "modelmonitor"
        settings.posting.level = logging.WARNING
        settings.posting.reporting_component = "modelmonitor-operator"
        settings.watching.server_timeout = 300
        if config.webhooks_enabled:
            settings.admission.managed = None
            settings.admission.server = ModelMonitorWebhookServer(
                addr=config.webhook_addr,
                port=config.webhook_port or None,
                host=config.webhook_host,
                certfile=config.webhook_certfile,
                pkeyfile=config.webhook_pkeyfile,
                cadump=config.webhook_cadump,
                on_client_config=register_webhooks,
            )
