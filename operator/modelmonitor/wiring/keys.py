"""Label, annotation and finalizer keys the operator owns on other people's objects.

One module, so that the wiring patches, their undo and the injection webhook agree on every key.
"""

from __future__ import annotations

DOMAIN = "modelmonitor.io"

FINALIZER = f"{DOMAIN}/finalizer"
"""Held on each ModelMonitor until its Service and Deployment are restored."""

INJECT_LABEL = f"{DOMAIN}/inject"
"""Pod-template label selecting pods for the mutating webhook (its objectSelector)."""

COHORT_LABEL = f"{DOMAIN}/cohort"
"""Pod label naming the cohort (stable or canary) a pod's sidecar reports; absent means stable."""

INJECT_VALUE = "true"

MONITOR = f"{DOMAIN}/monitor"
"""Pod-template annotation: the ModelMonitor that wired this Deployment."""

CONFIG_HASH = f"{DOMAIN}/config-hash"
"""Pod-template annotation: digest of the sidecar config; a change rolls the pods."""

CONFIG_MAP = f"{DOMAIN}/config-map"
"""Pod-template annotation: name of the ConfigMap mounted into the sidecar."""

SIDECAR_PORT = f"{DOMAIN}/sidecar-port"
"""Pod-template annotation: port the proxy listens on."""

UPSTREAM_PORT = f"{DOMAIN}/upstream-port"
"""Pod-template annotation: port of the model container the proxy forwards to."""

PATH_PREFIX = f"{DOMAIN}/path-prefix"
"""Pod-template annotation: prefix of the proxy's own endpoints (probes)."""

VERSION_LABEL = f"{DOMAIN}/version-label"
"""Pod-template annotation: which pod label carries the model version."""

TEMPLATE_ANNOTATIONS = (MONITOR, CONFIG_HASH, CONFIG_MAP, SIDECAR_PORT, UPSTREAM_PORT, PATH_PREFIX, VERSION_LABEL)
"""Every annotation the operator adds to a pod template (and removes on delete)."""

INJECTED = f"{DOMAIN}/injected"
"""Pod annotation set by the webhook; its presence makes a second injection a no-op."""

ORIGINAL_TARGET_PORTS = f"{DOMAIN}/original-target-ports"
"""Service annotation: JSON map of service port -> original targetPort, restored on delete."""

SIDECAR_CONTAINER = "modelmonitor-proxy"
CONFIG_VOLUME = "modelmonitor-config"
CONFIG_MOUNT_PATH = "/etc/modelmonitor"
