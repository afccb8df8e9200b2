"""TLS helpers for tests: the operator's own self-signed certificate builder, and a client context trusting it."""

from __future__ import annotations

import base64
import ssl

from modelmonitor.kube.certificates import self_signed_certificate

__all__ = ["client_context", "self_signed_certificate"]


def client_context(ca_bundle_b64: str) -> ssl.SSLContext:
    """An SSL context trusting exactly the CA bundle from a webhook ``clientConfig.caBundle``."""
    return ssl.create_default_context(cadata=base64.b64decode(ca_bundle_b64).decode("ascii"))
