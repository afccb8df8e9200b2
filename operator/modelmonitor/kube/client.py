"""The one place that speaks HTTP to the Kubernetes API: raw JSON in, raw JSON out.

The official client is used for what it does well (loading in-cluster or kubeconfig credentials,
TLS, auth headers), but not for its typed models: kubernetes 37 validates response bodies against
its pydantic schema, which rejects the odd-but-legal objects this operator must tolerate. Bodies
stay plain dicts, writes are merge patches (dict) or JSON patches (list) with explicit values, and
a 404 is ``None``, never an exception. Calls run in a worker thread so the event loop stays free.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

Body = dict[str, Any]
Patch = Mapping[str, Any] | Sequence[Mapping[str, Any]]

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


class KubeError(RuntimeError):
    """A Kubernetes API call failed with a status other than 404; ``status`` is the HTTP code."""

    def __init__(self, status: int, method: str, path: str, message: str) -> None:
        self.status = status
        super().__init__(f"{method} {path} failed with HTTP {status}: {message}")


def build_api_client(*, api_url: str | None = None, kubeconfig: str | None = None, token: str | None = None) -> Any:
    """An ``ApiClient`` for, in order: an explicit URL, a kubeconfig file, the in-cluster service account.

    With no argument the in-cluster config is tried first, then the default kubeconfig.
    """
    configuration = k8s_client.Configuration()
    if api_url is not None:
        configuration.host = api_url.rstrip("/")
        if token:
            configuration.api_key = {"BearerToken": token}
            configuration.api_key_prefix = {"BearerToken": "Bearer"}
        configuration.verify_ssl = not api_url.startswith("http://")
    elif kubeconfig is not None:
        k8s_config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)  # type: ignore[no-untyped-call]
    else:
        try:
            k8s_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        except k8s_config.ConfigException:
            k8s_config.load_kube_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    return k8s_client.ApiClient(configuration)


class KubeApi:
    """Raw-JSON access to the Kubernetes API through an ``ApiClient``."""

    def __init__(self, api_client: Any, *, timeout: float = 10.0) -> None:
        self._api = api_client
        self._timeout = timeout

    def _call(self, method: str, path: str, body: Any = None, content_type: str | None = None) -> Body | None:
        headers = {"Accept": "application/json"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        _, url, header_params, serialized, _ = self._api.param_serialize(
            method=method, resource_path=path, header_params=headers, body=body, auth_settings=["BearerToken"]
        )
        try:
            response = self._api.call_api(
                method, url, header_params=header_params, body=serialized, _request_timeout=self._timeout
            )
            response.read()
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise KubeError(exc.status or 0, method, path, str(exc.body or exc.reason)) from None
        if response.status == 404:
            return None
        if response.status >= 400:
            raise KubeError(response.status, method, path, response.data.decode(errors="replace")[:500])
        data: Body = json.loads(response.data or b"{}")
        return data

    async def request(self, method: str, path: str, body: Any = None, content_type: str | None = None) -> Body | None:
        return await asyncio.to_thread(self._call, method, path, body, content_type)

    async def get(self, path: str) -> Body | None:
        """The object at ``path``, or ``None`` when it does not exist."""
        return await self.request("GET", path)

    async def list(self, path: str, *, label_selector: str | None = None) -> list[Body]:
        """The items of a collection (an absent resource kind is an empty list)."""
        query = f"?{urlencode({'labelSelector': label_selector})}" if label_selector else ""
        result = await self.request("GET", path + query)
        return list((result or {}).get("items") or [])

    async def patch(self, path: str, patch: Patch) -> Body | None:
        """A merge patch (a mapping) or a JSON patch (a list of ops); ``None`` when the object is gone."""
        if isinstance(patch, Mapping):
            return await self.request("PATCH", path, dict(patch), MERGE_PATCH)
        return await self.request("PATCH", path, [dict(op) for op in patch], JSON_PATCH)

    async def create(self, path: str, body: Mapping[str, Any]) -> Body | None:
        """POST ``body`` to the collection at ``path``; raises :class:`KubeError` (409) when it exists."""
        return await self.request("POST", path, dict(body), "application/json")

    async def delete(self, path: str) -> Body | None:
        """DELETE the object at ``path``; ``None`` when it was already gone."""
        return await self.request("DELETE", path)

    def close(self) -> None:
        self._api.close()


def connection_parameters(api: KubeApi) -> dict[str, Any]:
    """Server, token and TLS files of the API client, as ``kopf.ConnectionInfo`` keyword arguments.

    Kopf logs in with these, so the framework and :class:`KubeApi` always talk to the same server
    as the same identity (a token refresh hook, as in-cluster, is honoured on each login).
    """
    configuration = api._api.configuration
    authorization = configuration.get_api_key_with_prefix("BearerToken") or configuration.get_api_key_with_prefix(
        "authorization"
    )
    token = authorization.split(" ", 1)[1] if authorization and " " in authorization else authorization
    return {
        "server": configuration.host,
        "scheme": "Bearer" if token else None,
        "token": token or None,
        "ca_path": configuration.ssl_ca_cert or None,
        "certificate_path": configuration.cert_file or None,
        "private_key_path": configuration.key_file or None,
        "insecure": not configuration.verify_ssl,
    }
