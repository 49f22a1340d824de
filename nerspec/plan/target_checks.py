"""Deployment targets checked before planning and applying: malformed settings fail the plan, a missing secret fails
apply, each with the manifest field named."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.plan.actions import Plan


def check_deploy_secrets(projects: list[LoadedProject], plan: Plan) -> None:
    """A deploy or repair the plan makes through a target whose secret this machine lacks (an http target's unset
    token) fails apply with the field named, before anything trains. Planning and reading never need it."""
    from nerspec.deploy.targets import target_for
    from nerspec.errors import ManifestError
    from nerspec.plan.actions import Deploy, Repair

    acting = {(p.name, a.deployment) for p in plan.projects for a in p.actions if isinstance(a, Deploy | Repair)}
    problems = []
    for project in projects:
        for index, deployment in enumerate(project.manifest.spec.deployments):
            if (project.name, deployment.name) in acting:
                for name, message in target_for(deployment.target).secret_problems(deployment.target):
                    where = ("spec", "deployments", index, "target", name)
                    problems.append(project.locate(where, f"{message} (apply deploys to {deployment.name})"))
    if problems:
        count = len(problems)
        raise ManifestError(problems, summary=f"{count} deployment target error{'s' if count != 1 else ''}")


def check_targets(projects: list[LoadedProject]) -> None:
    """Deployment targets the user configured wrongly (a malformed URL) fail the plan with the field named, before
    anything is observed: apply would fail on them after training."""
    from nerspec.deploy.targets import target_for
    from nerspec.errors import ManifestError

    problems = []
    for project in projects:
        for index, deployment in enumerate(project.manifest.spec.deployments):
            for name, message in target_for(deployment.target).config_problems(deployment.target):
                problems.append(project.locate(("spec", "deployments", index, "target", name), message))
    if problems:
        count = len(problems)
        raise ManifestError(problems, summary=f"{count} deployment target error{'s' if count != 1 else ''}")
