"""Pure builders of what the operator writes: the config ConfigMap, pod-template and Service patches.

Each function takes the current object (or ``None``) and returns the body or patch to send, or
``None`` when the object already is as wanted, so a restarted operator writes nothing twice.
"""
