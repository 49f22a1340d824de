"""The deployment target types: the one place their names are spelled.

The manifest owns them (its schema's ``target.type``, its rules), and ``nerspec.deploy.targets`` keys its table on
them, so the manifest's rules know which targets ``nerspec serve`` serves without importing the deploy layer.
"""

from __future__ import annotations

LOCAL_TARGET = "local"  # the default: this machine's registry pointer
HTTP_TARGET = "http"  # a remote server nerspec deploys to
REGISTRY_TARGET = "registry"  # the state's own record, served by every `nerspec serve` reading the state
UPLOAD_TARGET = "upload"  # a model uploaded through a server's admin API (never a manifest target)

# The types a manifest's `target:` may name, in the order messages list them (the schema's `target.type` literals).
MANIFEST_TARGETS = (LOCAL_TARGET, HTTP_TARGET, REGISTRY_TARGET)

# The targets a `nerspec serve` reading the state serves itself (``Target.served_here``): only there can the server
# run a rollout's candidate beside production.
SERVED_HERE = frozenset({LOCAL_TARGET, REGISTRY_TARGET, UPLOAD_TARGET})
