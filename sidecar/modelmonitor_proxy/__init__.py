"""modelmonitor-proxy: the sidecar that forwards every request to the model and records it."""

__all__: list[str] = []
