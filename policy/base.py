"""Shared pieces for defining the pack's policies.

A check is a generator that yields `Violation` for a broken rule and `Skip`
for a rule it could not decide because a value is unknown during preview.
`resource_policy` and `stack_policy` wrap a check into the pulumi-policy
objects the policy host runs: violations go to `report_violation`, and
skips are raised together at the end as `UnknownDuringPreviewError`, which the
host shows as an advisory diagnostic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.resources import (
    Resource,
    ResourceIndex,
    UnknownDuringPreviewError,
    from_policy_resources,
    from_validation_args,
)

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

FSBP = PolicyComplianceFramework(
    name="AWS Foundational Security Best Practices",
    version="1.0.0",
    reference="https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html",
)


@dataclasses.dataclass(frozen=True)
class Violation:
    """A rule the resource breaks; `urn` is empty for the checked resource."""

    message: str
    urn: str = ""


@dataclasses.dataclass(frozen=True)
class Skip:
    """A rule left undecided because a value is unknown during preview."""

    reason: str
    urn: str = ""


Outcome = Violation | Skip


@dataclasses.dataclass(frozen=True)
class PolicyInfo:
    """The metadata the pack, the report and docs/policies.md share."""

    name: str
    """The policy id, unique in the pack."""
    controls: tuple[str, ...]
    """AWS Foundational Security Best Practices control ids, or () if none."""
    severity: str
    """critical, high, medium or low; the FSBP control's severity if any."""
    enforcement: EnforcementLevel
    description: str
    remediation: str


ResourceCheck = Callable[[Resource], Iterable[Outcome]]
StackCheck = Callable[[ResourceIndex, Mapping[str, Any]], Iterable[Outcome]]


def resource_policy(
    info: PolicyInfo,
    types: Iterable[str],
    check: ResourceCheck,
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    """Wrap a per-resource check for resources of `types`."""
    type_set = frozenset(types)

    def validate(
        args: ResourceValidationArgs, report_violation: ReportViolation
    ) -> None:
        if args.resource_type not in type_set:
            return
        resource = from_validation_args(args)
        _report(check(resource), resource.urn, report_violation)

    return ResourceValidationPolicy(
        name=info.name,
        description=info.description,
        validate=validate,
        enforcement_level=info.enforcement,
        config_schema=config_schema,
        severity=Severity(info.severity),
        framework=FSBP if info.controls else None,
        tags=list(info.controls),
        remediation_steps=info.remediation,
    )


def stack_policy(
    info: PolicyInfo,
    check: StackCheck,
    config_schema: PolicyConfigSchema | None = None,
) -> StackValidationPolicy:
    """Wrap a check that needs the whole stack."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        index = ResourceIndex(from_policy_resources(args.resources))
        _report(check(index, args.get_config()), "", report_violation)

    return StackValidationPolicy(
        name=info.name,
        description=info.description,
        validate=validate,
        enforcement_level=info.enforcement,
        config_schema=config_schema,
        severity=Severity(info.severity),
        framework=FSBP if info.controls else None,
        tags=list(info.controls),
        remediation_steps=info.remediation,
    )


def _report(
    outcomes: Iterable[Outcome], default_urn: str, report_violation: ReportViolation
) -> None:
    skipped: list[tuple[str, str]] = []
    for outcome in outcomes:
        if isinstance(outcome, Violation):
            report_violation(outcome.message, outcome.urn or default_urn or None)
        else:
            skipped.append((outcome.urn or default_urn, outcome.reason))
    if skipped:
        raise UnknownDuringPreviewError(skipped)


def network_schema(properties: Mapping[str, dict[str, Any]]) -> PolicyConfigSchema:
    """Return a config schema whose properties are all optional."""
    return PolicyConfigSchema(properties=dict(properties))
