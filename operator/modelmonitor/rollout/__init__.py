"""Canary rollouts and the single-Deployment guard, as pure decisions.

Nothing here talks to Kubernetes: :mod:`~modelmonitor.rollout.gates` judges a canary against the
stable version from counts the analysis loop already merged, :mod:`~modelmonitor.rollout.decision`
and :mod:`~modelmonitor.rollout.guard` turn a state kept in ``status.canary`` plus observations
into a next state and typed actions, and :mod:`~modelmonitor.rollout.plan` turns those actions
into Deployment patch bodies. The I/O layer applies the patches, then writes the status.
"""
