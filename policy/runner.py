"""Run the whole policy pack over an offline `StackRun` and report the result.

`evaluate` feeds each policy the same argument objects the Pulumi policy
host builds (`ResourceValidationArgs` per resource, `StackValidationArgs`
for the stack), so the offline preview and `pulumi preview --policy-pack
policy` run the same code. It differs from the host in two ways: each
resource's properties are its inputs overlaid with the mock outputs (so
auto-names and ARNs are present), and its physical id is added as `id`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from policy.network import NetworkFacts
from policy.pack import POLICY_INFO, build_policies
from policy.resources import UnknownDuringPreviewError, registration_props


@dataclasses.dataclass(frozen=True)
class Finding:
    """One policy's verdict on one resource, or on the stack when `urn` is ""."""

    policy: str
    level: str
    """passed, advisory or mandatory."""
    severity: str
    message: str
    urn: str = ""
    resource_name: str = ""
    resource_type: str = ""


@dataclasses.dataclass
class Report:
    """Findings of one evaluation, by class."""

    passed: list[Finding] = dataclasses.field(default_factory=list)
    """One entry per policy that found nothing to report."""
    advisory: list[Finding] = dataclasses.field(default_factory=list)
    """Advisory violations, and checks skipped because a value was unknown."""
    mandatory: list[Finding] = dataclasses.field(default_factory=list)
    """Violations of mandatory policies; any one should fail the preview."""

    @property
    def ok(self) -> bool:
        """Whether no mandatory policy was violated."""
        return not self.mandatory

    def findings(self, policy: str) -> list[Finding]:
        """Return the advisory and mandatory findings of one policy."""
        return [f for f in self.advisory + self.mandatory if f.policy == policy]


def evaluate(
    stack_run: Any,
    *,
    subnet_zones: Mapping[str, str] | None = None,
    network: NetworkFacts | None = None,
    policies: list[Policy] | None = None,
    enforcement: Mapping[str, str] | None = None,
) -> Report:
    """Run every policy of the pack over `stack_run` and classify the findings.

    `network` describes subnets and VPCs that exist outside the stack (for
    example `NetworkFacts.from_existing_network(mocks.vpcs.values(),
    mocks.subnets.values())`); `subnet_zones` adds or overrides subnet
    Availability Zones on top of it. Policies that take network facts get
    them as their policy config, as a real preview would with
    `--policy-pack-config`. `enforcement` maps policy names to "advisory",
    "mandatory" or "disabled", overriding their own level as a policy pack
    config file does.
    """
    facts = network or NetworkFacts()
    if subnet_zones:
        facts = dataclasses.replace(
            facts, subnet_zones={**facts.subnet_zones, **subnet_zones}
        )
    config = facts.to_config()
    registrations = list(stack_run.registrations)
    report = Report()
    selected = policies if policies is not None else build_policies()
    overrides = _enforcement_overrides(enforcement or {}, {p.name for p in selected})
    for policy in selected:
        level = overrides.get(policy.name, _level(policy))
        if level == EnforcementLevel.DISABLED:
            continue
        collector = _Collector(policy, level, registrations)
        policy_config = config if policy.config_schema is not None else {}
        if isinstance(policy, ResourceValidationPolicy):
            for registration in registrations:
                args = _resource_args(registration, policy_config)
                collector.run(policy, args, registration)
        elif isinstance(policy, StackValidationPolicy):
            collector.run(policy, _stack_args(registrations, policy_config), None)
        collector.finish(report)
    return report


def _enforcement_overrides(
    enforcement: Mapping[str, str], names: set[str]
) -> dict[str, EnforcementLevel]:
    overrides = {}
    for name, level in enforcement.items():
        if name not in names:
            raise ValueError(
                f"unknown policy {name!r} in enforcement; known policies: "
                f"{', '.join(sorted(names))}"
            )
        try:
            overrides[name] = EnforcementLevel(level)
        except ValueError:
            raise ValueError(
                f"enforcement level {level!r} for {name} is invalid; use advisory, "
                "mandatory or disabled"
            ) from None
    return overrides


def _level(policy: Policy) -> EnforcementLevel:
    return policy.enforcement_level or EnforcementLevel.ADVISORY


class _Collector:
    """Turns one policy's violations and skips into findings."""

    def __init__(
        self, policy: Policy, level: EnforcementLevel, registrations: list[Any]
    ) -> None:
        self.policy = policy
        self.level = "mandatory" if level == EnforcementLevel.MANDATORY else "advisory"
        self.severity = policy.severity.value if policy.severity else ""
        self.by_urn = {r.urn: r for r in registrations}
        self.findings: list[Finding] = []

    def _finding(self, level: str, message: str, urn: str) -> Finding:
        registration = self.by_urn.get(urn)
        return Finding(
            policy=self.policy.name,
            level=level,
            severity=self.severity,
            message=message,
            urn=urn,
            resource_name=registration.name if registration else "",
            resource_type=registration.type if registration else "",
        )

    def report_for(self, registration: Any):  # noqa: ANN201 (pulumi-policy's ReportViolation)
        def report_violation(message: str, urn: str | None = None) -> None:
            target = registration.urn if registration is not None else (urn or "")
            self.findings.append(self._finding(self.level, message, target))

        return report_violation

    def run(
        self,
        policy: ResourceValidationPolicy | StackValidationPolicy,
        args: Any,
        registration: Any,
    ) -> None:
        """Call the policy's validate, turning skips into advisory findings."""
        default_urn = registration.urn if registration is not None else ""
        try:
            policy.validate(args, self.report_for(registration))
        except UnknownDuringPreviewError as skipped:
            for urn, reason in skipped.skipped:
                self.findings.append(
                    self._finding("advisory", f"skipped: {reason}", urn or default_urn)
                )
        except UnknownValueError as unknown:
            self.findings.append(
                self._finding("advisory", f"skipped: {unknown.message}", default_urn)
            )

    def finish(self, report: Report) -> None:
        if not self.findings:
            report.passed.append(
                Finding(self.policy.name, "passed", self.severity, "no violations")
            )
        for finding in self.findings:
            target = (
                report.mandatory if finding.level == "mandatory" else report.advisory
            )
            target.append(finding)


def _options(registration: Any) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=registration.protect,
        ignore_changes=list(registration.ignore_changes),
        delete_before_replace=registration.delete_before_replace,
        aliases=list(registration.aliases),
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=registration.parent or None,
    )


def _resource_args(
    registration: Any, config: Mapping[str, Any]
) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        registration.type,
        unknown_checking_proxy(registration_props(registration)),
        registration.urn,
        registration.name,
        _options(registration),
        None,
        dict(config),
    )


def _stack_args(
    registrations: list[Any], config: Mapping[str, Any]
) -> StackValidationArgs:
    resources = {
        r.urn: PolicyResource(
            r.type,
            unknown_checking_proxy(registration_props(r)),
            r.urn,
            r.name,
            _options(r),
            None,
            None,
            [],
            {},
        )
        for r in registrations
    }
    for registration in registrations:
        resource = resources[registration.urn]
        resource.parent = resources.get(registration.parent)
        resource.dependencies = [
            resources[u] for u in registration.dependencies if u in resources
        ]
        resource.property_dependencies = {
            key: [resources[u] for u in urns if u in resources]
            for key, urns in registration.property_dependencies.items()
        }
    return StackValidationArgs(list(resources.values()), dict(config))


def format_report(report: Report) -> str:
    """Render a report as text: mandatory findings, advisory ones, then a summary."""
    lines: list[str] = []
    for title, findings in (
        ("MANDATORY", report.mandatory),
        ("ADVISORY", report.advisory),
    ):
        if not findings:
            continue
        lines.append(f"{title} ({len(findings)})")
        for finding in findings:
            where = finding.resource_name or "stack"
            severity = f"{finding.severity}, " if finding.severity else ""
            lines.append(f"  [{finding.policy}] ({severity}{where})")
            lines.append(f"    {finding.message}")
            if finding.urn:
                lines.append(f"    urn: {finding.urn}")
        lines.append("")
    names = ", ".join(f.policy for f in report.passed)
    lines.append(f"PASSED ({len(report.passed)}): {names}")
    verdict = "FAILED" if report.mandatory else "OK"
    lines.append(
        f"{verdict}: {len(report.mandatory)} mandatory, "
        f"{len(report.advisory)} advisory, "
        f"{len(report.passed)} of {len(POLICY_INFO)} policies passed"
    )
    return "\n".join(lines)
