"""Tests for the FSBP policies, the pack wiring and the offline runner."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

from policy.aws_controls import secret_in_environment
from policy.network import NetworkFacts
from policy.pack import POLICY_INFO, build_policies
from policy.resources import UnknownDuringPreviewError
from policy.runner import evaluate, format_report

ROOT = Path(__file__).resolve().parent.parent
POLICIES = {p.name: p for p in build_policies()}
OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:test::retail-assets::{type_token}::{name}"


def validate_resource(
    policy: str, type_token: str, props: dict[str, Any], name: str = "subject"
) -> list[str]:
    """Run one resource policy's validate and return the violation messages."""
    found: list[str] = []
    target = POLICIES[policy]
    assert isinstance(target, ResourceValidationPolicy)
    args = ResourceValidationArgs(
        type_token, props, urn(type_token, name), name, OPTIONS, None
    )
    target.validate(args, lambda message, _urn=None: found.append(message))
    return found


def validate_stack(
    policy: str,
    resources: list[tuple[str, str, dict[str, Any]]],
    config: dict[str, Any] | None = None,
) -> list[tuple[str, str | None]]:
    """Run one stack policy's validate; return (message, urn) per violation."""
    found: list[tuple[str, str | None]] = []
    target = POLICIES[policy]
    assert isinstance(target, StackValidationPolicy)
    stack = [
        PolicyResource(t, props, urn(t, name), name, OPTIONS, None, None, [], {})
        for t, name, props in resources
    ]
    target.validate(
        StackValidationArgs(stack, config), lambda m, u=None: found.append((m, u))
    )
    return found


def containers(**overrides: Any) -> str:
    container = {
        "name": "application",
        "image": "public.ecr.aws/aws-containers/retail-store-sample-assets:0.7.0",
        "readonlyRootFilesystem": True,
        "privileged": False,
        "environment": [{"name": "PORT", "value": "8080"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {}},
    }
    container.update(overrides)
    return json.dumps([{k: v for k, v in container.items() if v is not None}])


def identity_policy(action: Any, effect: str = "Allow", key: str = "Action") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": effect, key: action, "Resource": "*"}],
        }
    )


TASK = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

# (policy, type token, properties, expected message pattern or None if compliant)
RESOURCE_CASES: list[tuple[str, str, str, dict[str, Any], str | None]] = [
    (
        "efs1-encrypted",
        "efs-encrypted-at-rest",
        "aws:efs/fileSystem:FileSystem",
        {"encrypted": True},
        None,
    ),
    (
        "efs1-unencrypted",
        "efs-encrypted-at-rest",
        "aws:efs/fileSystem:FileSystem",
        {"encrypted": False},
        r"FileSystem 'subject': encrypted is False\. Fix: Set encrypted=True",
    ),
    (
        "efs1-unset",
        "efs-encrypted-at-rest",
        "aws:efs/fileSystem:FileSystem",
        {},
        r"encrypted is None",
    ),
    (
        "efs3-subdirectory",
        "efs-access-point-root-directory",
        "aws:efs/accessPoint:AccessPoint",
        {"rootDirectory": {"path": "/images"}},
        None,
    ),
    (
        "efs3-root",
        "efs-access-point-root-directory",
        "aws:efs/accessPoint:AccessPoint",
        {"rootDirectory": {"path": "/"}},
        r"rootDirectory.path is '/', which exposes the whole file system",
    ),
    (
        "efs3-unset",
        "efs-access-point-root-directory",
        "aws:efs/accessPoint:AccessPoint",
        {},
        r"rootDirectory.path is unset",
    ),
    (
        "efs4-posix-user",
        "efs-access-point-user-identity",
        "aws:efs/accessPoint:AccessPoint",
        {"posixUser": {"uid": 1000, "gid": 1000}},
        None,
    ),
    (
        "efs4-no-user",
        "efs-access-point-user-identity",
        "aws:efs/accessPoint:AccessPoint",
        {},
        r"posixUser is None; clients keep their own identity",
    ),
    (
        "ecs2-private",
        "ecs-service-no-public-ip",
        SERVICE,
        {"networkConfiguration": {"assignPublicIp": False}},
        None,
    ),
    (
        "ecs2-public",
        "ecs-service-no-public-ip",
        SERVICE,
        {"networkConfiguration": {"assignPublicIp": True}},
        r"assignPublicIp is true\. Fix: Set network_configuration.assign_public_ip=False",
    ),
    (
        "ecs4-unprivileged",
        "ecs-container-not-privileged",
        TASK,
        {"containerDefinitions": containers()},
        None,
    ),
    (
        "ecs4-privileged",
        "ecs-container-not-privileged",
        TASK,
        {"containerDefinitions": containers(privileged=True)},
        r"container 'application' sets privileged true",
    ),
    (
        "ecs5-read-only",
        "ecs-container-read-only-root",
        TASK,
        {"containerDefinitions": containers()},
        None,
    ),
    (
        "ecs5-writable",
        "ecs-container-read-only-root",
        TASK,
        {"containerDefinitions": containers(readonlyRootFilesystem=False)},
        r"container 'application' has readonlyRootFilesystem False",
    ),
    (
        "ecs5-unset",
        "ecs-container-read-only-root",
        TASK,
        {"containerDefinitions": containers(readonlyRootFilesystem=None)},
        r"readonlyRootFilesystem unset",
    ),
    (
        "ecs8-clean",
        "ecs-no-secrets-in-environment",
        TASK,
        {"containerDefinitions": containers()},
        None,
    ),
    (
        "ecs8-secret-arn",
        "ecs-no-secrets-in-environment",
        TASK,
        {
            "containerDefinitions": containers(
                environment=[
                    {
                        "name": "DB_SECRET_ARN",
                        "value": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
                    }
                ]
            )
        },
        None,
    ),
    (
        "ecs8-access-key-name",
        "ecs-no-secrets-in-environment",
        TASK,
        {
            "containerDefinitions": containers(
                environment=[{"name": "AWS_ACCESS_KEY_ID", "value": "x"}]
            )
        },
        r"AWS_ACCESS_KEY_ID is a credential variable \(the value is not shown\)",
    ),
    (
        "ecs8-auth-data-name",
        "ecs-no-secrets-in-environment",
        TASK,
        {
            "containerDefinitions": containers(
                environment=[{"name": "ECS_ENGINE_AUTH_DATA", "value": "{}"}]
            )
        },
        r"ECS_ENGINE_AUTH_DATA is a credential variable",
    ),
    (
        "ecs8-password-literal",
        "ecs-no-secrets-in-environment",
        TASK,
        {
            "containerDefinitions": containers(
                environment=[{"name": "DB_PASSWORD", "value": "hunter2"}]
            )
        },
        r"DB_PASSWORD names a secret and has a literal value",
    ),
    (
        "ecs8-key-in-value",
        "ecs-no-secrets-in-environment",
        TASK,
        {
            "containerDefinitions": containers(
                environment=[{"name": "CONFIG", "value": "id=AKIAIOSFODNN7EXAMPLE"}]
            )
        },
        r"the value of CONFIG looks like an AWS access key id",
    ),
    (
        "ecs9-logging",
        "ecs-container-logging",
        TASK,
        {"containerDefinitions": containers()},
        None,
    ),
    (
        "ecs9-no-logging",
        "ecs-container-logging",
        TASK,
        {"containerDefinitions": containers(logConfiguration=None)},
        r"container 'application' has no logConfiguration",
    ),
    (
        "ecs10-latest",
        "ecs-fargate-latest-platform",
        SERVICE,
        {"launchType": "FARGATE", "platformVersion": "LATEST"},
        None,
    ),
    (
        "ecs10-unset",
        "ecs-fargate-latest-platform",
        SERVICE,
        {"launchType": "FARGATE"},
        None,
    ),
    (
        "ecs10-old",
        "ecs-fargate-latest-platform",
        SERVICE,
        {"launchType": "FARGATE", "platformVersion": "1.3.0"},
        r"platformVersion is '1.3.0', not LATEST",
    ),
    (
        "ecs10-capacity-provider",
        "ecs-fargate-latest-platform",
        SERVICE,
        {
            "capacityProviderStrategies": [{"capacityProvider": "FARGATE_SPOT"}],
            "platformVersion": "1.3.0",
        },
        r"platformVersion is '1.3.0'",
    ),
    (
        "ecs10-ec2-launch",
        "ecs-fargate-latest-platform",
        SERVICE,
        {"launchType": "EC2", "platformVersion": "1.3.0"},
        None,
    ),
    (
        "ecs12-enabled",
        "ecs-cluster-container-insights",
        "aws:ecs/cluster:Cluster",
        {"settings": [{"name": "containerInsights", "value": "enabled"}]},
        None,
    ),
    (
        "ecs12-enhanced",
        "ecs-cluster-container-insights",
        "aws:ecs/cluster:Cluster",
        {"settings": [{"name": "containerInsights", "value": "enhanced"}]},
        None,
    ),
    (
        "ecs12-disabled",
        "ecs-cluster-container-insights",
        "aws:ecs/cluster:Cluster",
        {"settings": [{"name": "containerInsights", "value": "disabled"}]},
        r"containerInsights is 'disabled'",
    ),
    (
        "ecs12-unset",
        "ecs-cluster-container-insights",
        "aws:ecs/cluster:Cluster",
        {},
        r"containerInsights is unset",
    ),
    (
        "elb4-drops",
        "alb-drop-invalid-headers",
        "aws:lb/loadBalancer:LoadBalancer",
        {"dropInvalidHeaderFields": True},
        None,
    ),
    (
        "elb4-keeps",
        "alb-drop-invalid-headers",
        "aws:lb/loadBalancer:LoadBalancer",
        {},
        r"dropInvalidHeaderFields is unset",
    ),
    (
        "elb4-network-lb",
        "alb-drop-invalid-headers",
        "aws:lb/loadBalancer:LoadBalancer",
        {"loadBalancerType": "network"},
        None,
    ),
    (
        "elb5-logs",
        "alb-access-logs",
        "aws:lb/loadBalancer:LoadBalancer",
        {"accessLogs": {"bucket": "logs", "enabled": True}},
        None,
    ),
    (
        "elb5-no-logs",
        "alb-access-logs",
        "aws:lb/loadBalancer:LoadBalancer",
        {},
        r"accessLogs is not enabled",
    ),
    (
        "ec2-18-https-world",
        "sg-world-ingress-authorized-ports",
        INGRESS,
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
        None,
    ),
    (
        "ec2-18-nfs-world",
        "sg-world-ingress-authorized-ports",
        INGRESS,
        {
            "cidrIpv4": "0.0.0.0/0",
            "ipProtocol": "tcp",
            "fromPort": 2049,
            "toPort": 2049,
        },
        r"ingress from 0.0.0.0/0 to port 2049 goes beyond ports 80 and 443",
    ),
    (
        "ec2-18-range-world",
        "sg-world-ingress-authorized-ports",
        INGRESS,
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 80, "toPort": 443},
        r"ports 80-443 goes beyond",
    ),
    (
        "ec2-18-all-ipv6",
        "sg-world-ingress-authorized-ports",
        INGRESS,
        {"cidrIpv6": "::/0", "ipProtocol": "-1"},
        r"ingress from ::/0 to ports 0-65535",
    ),
    (
        "ec2-18-private-cidr",
        "sg-world-ingress-authorized-ports",
        INGRESS,
        {
            "cidrIpv4": "10.0.0.0/16",
            "ipProtocol": "tcp",
            "fromPort": 8080,
            "toPort": 8080,
        },
        None,
    ),
    (
        "ec2-18-inline",
        "sg-world-ingress-authorized-ports",
        SG,
        {
            "ingress": [
                {
                    "cidrBlocks": ["0.0.0.0/0"],
                    "protocol": "tcp",
                    "fromPort": 8080,
                    "toPort": 8080,
                }
            ]
        },
        r"ingress from 0.0.0.0/0 to port 8080",
    ),
    (
        "ec2-18-sg-rule",
        "sg-world-ingress-authorized-ports",
        SG_RULE,
        {
            "type": "ingress",
            "cidrBlocks": ["0.0.0.0/0"],
            "protocol": "tcp",
            "fromPort": 3000,
            "toPort": 3000,
        },
        r"port 3000",
    ),
    (
        "ec2-18-sg-rule-egress",
        "sg-world-ingress-authorized-ports",
        SG_RULE,
        {
            "type": "egress",
            "cidrBlocks": ["0.0.0.0/0"],
            "protocol": "-1",
            "fromPort": 0,
            "toPort": 0,
        },
        None,
    ),
    (
        "ec2-18-icmp",
        "sg-world-ingress-authorized-ports",
        INGRESS,
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "icmp", "fromPort": -1, "toPort": -1},
        None,
    ),
    (
        "ec2-19-ssh",
        "sg-world-ingress-high-risk-ports",
        INGRESS,
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22},
        r"ingress from 0.0.0.0/0 reaches high-risk ports 22",
    ),
    (
        "ec2-19-app-port",
        "sg-world-ingress-high-risk-ports",
        SG,
        {
            "ingress": [
                {
                    "ipv6CidrBlocks": ["::/0"],
                    "protocol": "tcp",
                    "fromPort": 8080,
                    "toPort": 8080,
                }
            ]
        },
        r"reaches high-risk ports 8080",
    ),
    (
        "ec2-19-http",
        "sg-world-ingress-high-risk-ports",
        INGRESS,
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 80, "toPort": 80},
        None,
    ),
    (
        "ec2-19-all",
        "sg-world-ingress-high-risk-ports",
        INGRESS,
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1"},
        r"20, 21, 22, 23, 25, 110 and 18 more",
    ),
    (
        "iam1-scoped",
        "iam-no-full-admin",
        ROLE_POLICY,
        {"policy": identity_policy(["s3:GetObject"])},
        None,
    ),
    (
        "iam1-star",
        "iam-no-full-admin",
        ROLE_POLICY,
        {"policy": identity_policy("*")},
        r"policy statement 1 allows Action \"\*\"",
    ),
    (
        "iam1-deny-star",
        "iam-no-full-admin",
        ROLE_POLICY,
        {"policy": identity_policy("*", effect="Deny")},
        None,
    ),
    (
        "iam1-role-inline",
        "iam-no-full-admin",
        "aws:iam/role:Role",
        {"inlinePolicies": [{"name": "admin", "policy": identity_policy("*")}]},
        r"inline policy 'admin' statement 1 allows Action",
    ),
    (
        "iam1-managed-policy",
        "iam-no-full-admin",
        "aws:iam/policy:Policy",
        {"policy": identity_policy(["*"])},
        r"allows Action \"\*\"",
    ),
    (
        "iam21-scoped",
        "iam-no-service-wildcard",
        ROLE_POLICY,
        {"policy": identity_policy(["s3:Get*"])},
        None,
    ),
    (
        "iam21-service-star",
        "iam-no-service-wildcard",
        ROLE_POLICY,
        {"policy": identity_policy(["s3:*", "logs:PutLogEvents"])},
        r"statement 1 allows s3:\*\. Fix",
    ),
    (
        "iam21-not-action",
        "iam-no-service-wildcard",
        ROLE_POLICY,
        {"policy": identity_policy(["iam:*"], key="NotAction")},
        r"allows every action except iam:\* \(NotAction\)",
    ),
    (
        "s3-2-private",
        "s3-no-public-grants",
        "aws:s3/bucket:Bucket",
        {"bucket": "images"},
        None,
    ),
    (
        "s3-2-public-acl",
        "s3-no-public-grants",
        "aws:s3/bucket:Bucket",
        {"acl": "public-read"},
        r"acl is 'public-read'",
    ),
    (
        "s3-2-grant",
        "s3-no-public-grants",
        "aws:s3/bucketAcl:BucketAcl",
        {
            "accessControlPolicy": {
                "grants": [
                    {
                        "grantee": {
                            "uri": "http://acs.amazonaws.com/groups/global/AllUsers",
                            "type": "Group",
                        },
                        "permission": "READ",
                    }
                ]
            }
        },
        r"grants access to http://acs.amazonaws.com/groups/global/AllUsers",
    ),
    (
        "s3-3-public-policy",
        "s3-no-public-grants",
        "aws:s3/bucketPolicy:BucketPolicy",
        {
            "policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "s3:PutObject",
                            "Resource": "arn:aws:s3:::b/*",
                        }
                    ],
                }
            )
        },
        r"policy statement 1 allows s3:PutObject to Principal \* with no Condition",
    ),
    (
        "s3-3-conditioned-policy",
        "s3-no-public-grants",
        "aws:s3/bucketPolicy:BucketPolicy",
        {
            "policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::b/*",
                            "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}},
                        }
                    ],
                }
            )
        },
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "policy", "type_token", "props", "expected"),
    RESOURCE_CASES,
    ids=[c[0] for c in RESOURCE_CASES],
)
def test_resource_policy_case(
    case: str, policy: str, type_token: str, props: dict[str, Any], expected: str | None
) -> None:
    found = validate_resource(policy, type_token, props)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1, found
        assert re.search(expected, found[0]), found[0]


def test_resource_cases_cover_every_resource_policy() -> None:
    resource_policies = {
        n for n, p in POLICIES.items() if isinstance(p, ResourceValidationPolicy)
    }
    covered = {c[1] for c in RESOURCE_CASES}
    contract_policies = {
        "ecs-container-definitions-contract",
        "iam-policy-grammar",
        "aws-name-rules",
    }
    assert resource_policies - contract_policies <= covered


def test_violation_names_resource_and_fix() -> None:
    for _, policy, type_token, props, expected in RESOURCE_CASES:
        if expected is None:
            continue
        for message in validate_resource(policy, type_token, props, name="named-one"):
            assert "'named-one'" in message
            assert ". Fix: " in message


def test_other_types_are_ignored() -> None:
    assert (
        validate_resource(
            "efs-encrypted-at-rest", "aws:s3/bucket:Bucket", {"encrypted": False}
        )
        == []
    )


@pytest.mark.parametrize(
    ("policy", "type_token", "props"),
    [
        (
            "efs-encrypted-at-rest",
            "aws:efs/fileSystem:FileSystem",
            {"encrypted": UNKNOWN_BOOLEAN_VALUE},
        ),
        (
            "ecs-service-no-public-ip",
            SERVICE,
            {"networkConfiguration": {"assignPublicIp": UNKNOWN_BOOLEAN_VALUE}},
        ),
        (
            "ecs-container-read-only-root",
            TASK,
            {"containerDefinitions": UNKNOWN_STRING_VALUE},
        ),
        ("iam-no-full-admin", ROLE_POLICY, {"policy": UNKNOWN_STRING_VALUE}),
        (
            "sg-world-ingress-authorized-ports",
            INGRESS,
            {
                "cidrIpv4": UNKNOWN_STRING_VALUE,
                "ipProtocol": "tcp",
                "fromPort": 22,
                "toPort": 22,
            },
        ),
    ],
)
def test_unknown_value_raises_advisory_skip(
    policy: str, type_token: str, props: dict[str, Any]
) -> None:
    with pytest.raises(UnknownDuringPreviewError, match="is not known during preview"):
        validate_resource(policy, type_token, props)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("PORT", "8080", ""),
        (
            "aws_secret_access_key",
            "x",
            "aws_secret_access_key is a credential variable",
        ),
        ("API_TOKEN", "${TOKEN}", ""),
        ("API_TOKEN", "abc123", "API_TOKEN names a secret and has a literal value"),
        (
            "TLS_KEY",
            "-----BEGIN RSA PRIVATE KEY-----\nMII",
            "the value of TLS_KEY looks like a PEM private key",
        ),
        ("NOTES", "ghp_" + "a" * 36, "the value of NOTES looks like a GitHub token"),
    ],
)
def test_secret_in_environment(name: str, value: str, expected: str) -> None:
    assert secret_in_environment(name, value) == expected


# Stack policies

FS = "aws:efs/fileSystem:FileSystem"
FS_ARN = (
    "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0"
)


def _backup(status: str) -> tuple[str, str, dict[str, Any]]:
    return (
        "aws:efs/backupPolicy:BackupPolicy",
        "backup",
        {"fileSystemId": "fs-0123456789abcdef0", "backupPolicy": {"status": status}},
    )


def test_backups_enabled_passes() -> None:
    found = validate_stack(
        "efs-backups-enabled", [(FS, "images", {"arn": FS_ARN}), _backup("ENABLED")]
    )
    assert found == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            [],
            r"FileSystem 'images': automatic backups are off \(no BackupPolicy\)\. Fix: Add an aws.efs.BackupPolicy",
        ),
        ([_backup("DISABLED")], r"automatic backups are off \(status 'DISABLED'\)"),
    ],
)
def test_backups_missing_is_violation(extra: list[Any], expected: str) -> None:
    found = validate_stack(
        "efs-backups-enabled", [(FS, "images", {"arn": FS_ARN}), *extra]
    )
    assert len(found) == 1
    assert re.search(expected, found[0][0])
    assert found[0][1] == urn(FS, "images")


def _mount_target(subnet: str) -> tuple[str, str, dict[str, Any]]:
    return (
        "aws:efs/mountTarget:MountTarget",
        "mount",
        {"fileSystemId": "fs-0123456789abcdef0", "subnetId": subnet},
    )


AWSX_VPC = (
    "awsx:ec2:Vpc",
    "vpc",
    {
        "vpcId": "vpc-01",
        "publicSubnetIds": ["subnet-0pub"],
        "privateSubnetIds": ["subnet-0priv"],
    },
)


@pytest.mark.parametrize(
    ("resources", "config", "expected"),
    [
        ([AWSX_VPC, _mount_target("subnet-0priv")], None, None),
        (
            [AWSX_VPC, _mount_target("subnet-0pub")],
            None,
            r"MountTarget 'mount': subnet subnet-0pub is public \(Vpc 'vpc' lists it in publicSubnetIds\)",
        ),
        (
            [
                (
                    "aws:ec2/subnet:Subnet",
                    "pub",
                    {
                        "arn": "arn:aws:ec2:us-east-1:1:subnet/subnet-0x",
                        "mapPublicIpOnLaunch": True,
                    },
                ),
                _mount_target("subnet-0x"),
            ],
            None,
            r"subnet subnet-0x is public \(Subnet 'pub' sets mapPublicIpOnLaunch\)",
        ),
        (
            [_mount_target("subnet-0ext")],
            NetworkFacts(public_subnets=frozenset({"subnet-0ext"})).to_config(),
            r"subnet subnet-0ext is public \(the public subnet list passed in\)",
        ),
        ([_mount_target("subnet-0ext")], None, None),
    ],
    ids=[
        "awsx-private",
        "awsx-public",
        "map-public-ip",
        "config-public",
        "unknown-subnet",
    ],
)
def test_mount_target_subnet(
    resources: list[Any], config: dict[str, Any] | None, expected: str | None
) -> None:
    found = validate_stack("efs-mount-target-private-subnet", resources, config)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1
        assert re.search(expected, found[0][0]), found[0][0]


LB_ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/assets/0123"
)
LB = ("aws:lb/loadBalancer:LoadBalancer", "lb", {"arn": LB_ARN})


def _listener(
    name: str, protocol: str, port: int, action: dict[str, Any]
) -> tuple[str, str, dict[str, Any]]:
    return (
        "aws:lb/listener:Listener",
        name,
        {
            "loadBalancerArn": LB_ARN,
            "protocol": protocol,
            "port": port,
            "defaultActions": [action],
        },
    )


FORWARD = {"type": "forward", "targetGroupArn": "arn:tg"}
REDIRECT = {
    "type": "redirect",
    "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
}


@pytest.mark.parametrize(
    ("listeners", "expected"),
    [
        ([_listener("http", "HTTP", 80, FORWARD)], None),
        (
            [
                _listener("https", "HTTPS", 443, FORWARD),
                _listener("http", "HTTP", 80, REDIRECT),
            ],
            None,
        ),
        (
            [
                _listener("https", "HTTPS", 443, FORWARD),
                _listener("http", "HTTP", 80, FORWARD),
            ],
            r"Listener 'http': HTTP listener on port 80 serves traffic although the load balancer has an HTTPS listener",
        ),
    ],
    ids=["http-only", "redirects", "serves-http"],
)
def test_http_redirect(listeners: list[Any], expected: str | None) -> None:
    found = validate_stack("alb-http-redirects-to-https", [LB, *listeners])
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1
        assert re.search(expected, found[0][0])


BUCKET = (
    "aws:s3/bucket:Bucket",
    "staging",
    {"bucket": "retail-staging-123", "arn": "arn:aws:s3:::retail-staging-123"},
)
ALL_BLOCKED = dict.fromkeys(
    (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ),
    True,
)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            [
                (
                    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                    "pab",
                    {"bucket": "retail-staging-123", **ALL_BLOCKED},
                )
            ],
            None,
        ),
        ([], r"Bucket 'staging': has no BucketPublicAccessBlock"),
        (
            [
                (
                    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                    "pab",
                    {
                        "bucket": "retail-staging-123",
                        **ALL_BLOCKED,
                        "ignorePublicAcls": False,
                    },
                )
            ],
            r"BucketPublicAccessBlock 'pab': for bucket retail-staging-123 ignorePublicAcls not true",
        ),
    ],
    ids=["all-true", "missing", "one-false"],
)
def test_bucket_public_access_block(extra: list[Any], expected: str | None) -> None:
    found = validate_stack("s3-block-public-access", [BUCKET, *extra])
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1
        assert re.search(expected, found[0][0]), found[0][0]


def _tls_policy(
    condition: dict[str, Any], action: Any = "s3:*"
) -> tuple[str, str, dict[str, Any]]:
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": action,
        "Resource": [
            "arn:aws:s3:::retail-staging-123",
            "arn:aws:s3:::retail-staging-123/*",
        ],
        "Condition": condition,
    }
    return (
        "aws:s3/bucketPolicy:BucketPolicy",
        "tls",
        {
            "bucket": "retail-staging-123",
            "policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
        },
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ([_tls_policy({"Bool": {"aws:SecureTransport": "false"}})], None),
        (
            [],
            r"Bucket 'staging': requests without TLS are not denied \(it has no bucket policy\)",
        ),
        (
            [
                _tls_policy(
                    {"Bool": {"aws:SecureTransport": "false"}}, action="s3:GetObject"
                )
            ],
            r"its bucket policy has no such Deny",
        ),
        (
            [_tls_policy({"Bool": {"aws:SecureTransport": "true"}})],
            r"its bucket policy has no such Deny",
        ),
    ],
    ids=["denies", "no-policy", "one-action", "wrong-condition"],
)
def test_bucket_require_tls(extra: list[Any], expected: str | None) -> None:
    found = validate_stack("s3-require-tls", [BUCKET, *extra])
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1
        assert re.search(expected, found[0][0]), found[0][0]


# Pack wiring


def test_every_policy_has_metadata() -> None:
    assert set(POLICIES) == set(POLICY_INFO)
    for name, policy in POLICIES.items():
        info = POLICY_INFO[name]
        assert policy.enforcement_level == info.enforcement
        assert policy.severity is not None
        assert policy.severity.value == info.severity
        assert policy.remediation_steps == info.remediation


def test_access_logs_is_advisory() -> None:
    assert POLICIES["alb-access-logs"].enforcement_level == EnforcementLevel.ADVISORY


def test_docs_list_every_policy() -> None:
    docs = (ROOT / "docs" / "policies.md").read_text()
    for name, info in POLICY_INFO.items():
        row = next(
            (line for line in docs.splitlines() if line.startswith(f"| `{name}`")), ""
        )
        assert row, name
        assert f"| {info.severity} |" in row, name
        assert f"| {info.enforcement.value} |" in row, name


def test_pack_serves_from_policy_directory() -> None:
    """The policy host runs __main__.py with policy/ as cwd; it must start."""
    process = subprocess.Popen(
        [sys.executable, "__main__.py"],
        cwd=ROOT / "policy",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), (
            process.stderr.read() if process.poll() is not None else port
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


# Runner


def _registration(
    type_token: str,
    name: str,
    props: dict[str, Any],
    outputs: dict[str, Any] | None = None,
) -> SimpleNamespace:
    return SimpleNamespace(
        urn=urn(type_token, name),
        type=type_token,
        name=name,
        parent="",
        id="",
        inputs=props,
        outputs=outputs or {},
        protect=False,
        ignore_changes=[],
        delete_before_replace=False,
        aliases=[],
        dependencies=[],
        property_dependencies={},
    )


def test_runner_classifies_findings() -> None:
    run = SimpleNamespace(
        registrations=[
            _registration(FS, "images", {"encrypted": False}),
            _registration(
                "aws:lb/loadBalancer:LoadBalancer",
                "lb",
                {"dropInvalidHeaderFields": True},
            ),
        ]
    )
    report = evaluate(run)
    mandatory = {(f.policy, f.resource_name) for f in report.mandatory}
    advisory = {(f.policy, f.resource_name) for f in report.advisory}
    passed = {f.policy for f in report.passed}
    assert mandatory == {
        ("efs-encrypted-at-rest", "images"),
        ("efs-backups-enabled", "images"),
    }
    assert advisory == {("alb-access-logs", "lb")}
    assert "alb-drop-invalid-headers" in passed
    assert not report.ok


def test_runner_reports_unknown_as_advisory() -> None:
    run = SimpleNamespace(
        registrations=[
            _registration(FS, "images", {"encrypted": UNKNOWN_BOOLEAN_VALUE})
        ]
    )
    report = evaluate(run, policies=[POLICIES["efs-encrypted-at-rest"]])
    assert report.mandatory == []
    assert len(report.advisory) == 1
    assert (
        report.advisory[0].message
        == "skipped: FileSystem 'images': encrypted is not known during preview"
    )


def test_runner_enforcement_override() -> None:
    run = SimpleNamespace(
        registrations=[_registration(FS, "images", {"encrypted": False})]
    )
    report = evaluate(
        run,
        policies=[POLICIES["efs-encrypted-at-rest"]],
        enforcement={"efs-encrypted-at-rest": "advisory"},
    )
    assert report.ok
    assert [f.policy for f in report.advisory] == ["efs-encrypted-at-rest"]


def test_runner_rejects_unknown_override() -> None:
    run = SimpleNamespace(registrations=[])
    with pytest.raises(
        ValueError, match="unknown policy 'efs-encrypted' in enforcement"
    ):
        evaluate(run, enforcement={"efs-encrypted": "advisory"})


def test_runner_checks_auto_names_from_outputs() -> None:
    long_name = "assets-load-balancer-with-a-long-name"
    run = SimpleNamespace(
        registrations=[
            _registration(
                "aws:lb/loadBalancer:LoadBalancer", "lb", {}, {"name": long_name}
            )
        ]
    )
    report = evaluate(run, policies=[POLICIES["aws-name-rules"]])
    assert len(report.mandatory) == 1
    assert f"name '{long_name}' is 37 characters" in report.mandatory[0].message


def test_format_report_lists_each_class() -> None:
    run = SimpleNamespace(
        registrations=[
            _registration(FS, "images", {"encrypted": False}),
            _registration(
                "aws:lb/loadBalancer:LoadBalancer",
                "lb",
                {"dropInvalidHeaderFields": True},
            ),
        ]
    )
    text = format_report(evaluate(run))
    assert text.startswith("MANDATORY (2)")
    assert "ADVISORY (1)" in text
    assert "[efs-encrypted-at-rest] (medium, images)" in text
    assert f"urn: {urn(FS, 'images')}" in text
    assert text.splitlines()[-1].startswith("FAILED: 2 mandatory, 1 advisory,")


# The real program's dev stack

DEV_STACK_KNOWN_FAILURES: dict[str, str] = {}
MANDATORY_POLICIES = sorted(
    n for n, i in POLICY_INFO.items() if i.enforcement == EnforcementLevel.MANDATORY
)


@pytest.fixture(scope="module")
def dev_report(dev_run: Any) -> Any:
    return evaluate(dev_run)


@pytest.mark.parametrize(
    "policy",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(reason=DEV_STACK_KNOWN_FAILURES[name], strict=True),
        )
        if name in DEV_STACK_KNOWN_FAILURES
        else name
        for name in MANDATORY_POLICIES
    ],
)
def test_dev_stack_meets_mandatory_policy(dev_report: Any, policy: str) -> None:
    assert [f.message for f in dev_report.mandatory if f.policy == policy] == []
