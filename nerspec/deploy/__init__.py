"""Deployment targets: ``local`` (registry pointer files) and ``http`` (a remote ``nerspec serve``)."""
