"""The I/O layer: every call to the Kubernetes API goes through :class:`modelmonitor.kube.client.KubeApi`."""
