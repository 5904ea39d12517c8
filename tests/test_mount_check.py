"""Tests for the EFS mount check: a valid stack passes and each break is caught."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from pulumi_policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policy import mount_check
from policy.base import Skip, Violation
from policy.network import NetworkFacts, VpcDns
from policy.resources import Resource, UnknownDuringPreviewError
from policy.runner import evaluate

ACCOUNT = "123456789012"
REGION = "us-east-1"
FS_ID = "fs-0123456789abcdef0"
FS_ARN = f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{FS_ID}"
AP_ID = "fsap-0123456789abcdef0"
AP_ARN = f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:access-point/{AP_ID}"
TASK_SG = "sg-0aaaaaaaaaaaaaaa1"
MOUNT_SG = "sg-0bbbbbbbbbbbbbbb2"
TASK_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/assets-task-role"
EXECUTION_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/assets-execution-role"
VPC_ID = "vpc-0ccccccccccccccc3"
SUBNETS = {
    "subnet-0aaaaaaaaaaaaaaaa": ("us-east-1a", "10.0.128.0/20"),
    "subnet-0bbbbbbbbbbbbbbbb": ("us-east-1b", "10.0.144.0/20"),
}
SUBNET_A, SUBNET_B = SUBNETS


def urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:test::retail-assets::{type_token}::{name}"


def mount_policy(
    actions: list[str], access_point_arn: str = AP_ARN, effect: str = "Allow"
) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "MountImages",
                    "Effect": effect,
                    "Action": actions,
                    "Resource": FS_ARN,
                    "Condition": {
                        "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"},
                        "StringEquals": {
                            "elasticfilesystem:AccessPointArn": access_point_arn
                        },
                    },
                }
            ],
        }
    )


def file_system_policy(allow_principal: str = TASK_ROLE_ARN) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "*",
                    "Resource": FS_ARN,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "AllowTaskMount",
                    "Effect": "Allow",
                    "Principal": {"AWS": allow_principal},
                    "Action": "elasticfilesystem:ClientMount",
                    "Resource": FS_ARN,
                    "Condition": {
                        "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}
                    },
                },
            ],
        }
    )


def container_definitions(read_only: bool = True) -> str:
    return json.dumps(
        [
            {
                "name": "application",
                "image": "public.ecr.aws/aws-containers/retail-store-sample-assets:0.7.0",
                "essential": True,
                "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
                "mountPoints": [
                    {
                        "sourceVolume": "images",
                        "containerPath": "/usr/share/nginx/html/assets",
                        "readOnly": read_only,
                    }
                ],
            }
        ]
    )


class StackBuilder:
    """Build a consistent, mountable stack as the policy host would see it.

    Properties are what a stack policy receives: inputs plus outputs, with
    no `id` (the host does not send one), so references resolve through
    ARNs and names as they would in a real `pulumi preview`.
    """

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}

        self.add(
            "aws:ec2/vpc:Vpc",
            "vpc",
            {
                "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{VPC_ID}",
                "cidrBlock": "10.0.0.0/16",
                "enableDnsSupport": True,
                "enableDnsHostnames": True,
            },
        )

        for index, (subnet_id, (zone, cidr)) in enumerate(SUBNETS.items()):
            self.add(
                "aws:ec2/subnet:Subnet",
                f"private-{index}",
                {
                    "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{subnet_id}",
                    "vpcId": VPC_ID,
                    "availabilityZone": zone,
                    "cidrBlock": cidr,
                    "mapPublicIpOnLaunch": False,
                },
            )

        self.add(
            "aws:efs/fileSystem:FileSystem",
            "images",
            {
                "arn": FS_ARN,
                "encrypted": True,
            },
        )

        for subnet_id, (zone, _) in SUBNETS.items():
            self.add(
                "aws:efs/mountTarget:MountTarget",
                f"images-mount-{zone}",
                {
                    "fileSystemId": FS_ID,
                    "subnetId": subnet_id,
                    "securityGroups": [MOUNT_SG],
                    "availabilityZoneName": zone,
                },
            )

        self.add(
            "aws:efs/accessPoint:AccessPoint",
            "images-ap",
            {
                "arn": AP_ARN,
                "fileSystemId": FS_ID,
                "posixUser": {"uid": 1000, "gid": 1000},
                "rootDirectory": {"path": "/images"},
            },
        )

        self.add(
            "aws:efs/fileSystemPolicy:FileSystemPolicy",
            "images-policy",
            {
                "fileSystemId": FS_ID,
                "policy": file_system_policy(),
            },
        )

        for name, group_id in (("tasks", TASK_SG), ("mounts", MOUNT_SG)):
            self.add(
                "aws:ec2/securityGroup:SecurityGroup",
                name,
                {
                    "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{group_id}",
                    "vpcId": VPC_ID,
                },
            )

        self.add(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "nfs-in",
            {
                "securityGroupId": MOUNT_SG,
                "referencedSecurityGroupId": TASK_SG,
                "ipProtocol": "tcp",
                "fromPort": 2049,
                "toPort": 2049,
            },
        )

        self.add(
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            "nfs-out",
            {
                "securityGroupId": TASK_SG,
                "referencedSecurityGroupId": MOUNT_SG,
                "ipProtocol": "tcp",
                "fromPort": 2049,
                "toPort": 2049,
            },
        )

        for name, arn in (
            ("task-role", TASK_ROLE_ARN),
            ("execution-role", EXECUTION_ROLE_ARN),
        ):
            self.add(
                "aws:iam/role:Role",
                name,
                {
                    "arn": arn,
                    "name": arn.rsplit("/", 1)[-1],
                },
            )

        self.add(
            "aws:iam/rolePolicy:RolePolicy",
            "task-mount",
            {
                "role": "assets-task-role",
                "policy": mount_policy(["elasticfilesystem:ClientMount"]),
            },
        )

        self.add(
            "aws:ecs/taskDefinition:TaskDefinition",
            "assets-task",
            {
                "arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/assets:1",
                "family": "assets",
                "taskRoleArn": TASK_ROLE_ARN,
                "executionRoleArn": EXECUTION_ROLE_ARN,
                "containerDefinitions": container_definitions(),
                "volumes": [
                    {
                        "name": "images",
                        "efsVolumeConfiguration": {
                            "fileSystemId": FS_ID,
                            "transitEncryption": "ENABLED",
                            "authorizationConfig": {
                                "iam": "ENABLED",
                                "accessPointId": AP_ID,
                            },
                        },
                    }
                ],
            },
        )

        self.add(
            "aws:ecs/service:Service",
            "assets-service",
            {
                "taskDefinition": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/assets:1",
                "launchType": "FARGATE",
                "platformVersion": "LATEST",
                "networkConfiguration": {
                    "subnets": [SUBNET_A, SUBNET_B],
                    "securityGroups": [TASK_SG],
                    "assignPublicIp": False,
                },
            },
            dependencies=[
                urn("aws:efs/mountTarget:MountTarget", "images-mount-us-east-1a"),
                urn("aws:efs/mountTarget:MountTarget", "images-mount-us-east-1b"),
            ],
        )

    def add(
        self,
        type_token: str,
        name: str,
        props: dict[str, Any],
        dependencies: list[str] | None = None,
        parent: str = "",
    ) -> Resource:
        resource = Resource(
            type=type_token,
            name=name,
            urn=urn(type_token, name),
            props=props,
            parent=parent,
            dependencies=tuple(dependencies or ()),
        )
        self.resources[name] = resource
        return resource

    def remove(self, name: str) -> None:
        del self.resources[name]

    def props(self, name: str) -> dict[str, Any]:
        return self.resources[name].props

    def volume(self) -> dict[str, Any]:
        return self.props("assets-task")["volumes"][0]["efsVolumeConfiguration"]

    def service_network(self) -> dict[str, Any]:
        return self.props("assets-service")["networkConfiguration"]

    def build(self) -> list[Resource]:
        return [copy.deepcopy(r) for r in self.resources.values()]


def violations(
    resources: list[Resource], facts: NetworkFacts | None = None
) -> list[str]:
    return [
        o.message
        for o in mount_check.check_resources(resources, facts)
        if isinstance(o, Violation)
    ]


def skips(resources: list[Resource], facts: NetworkFacts | None = None) -> list[str]:
    return [
        o.reason
        for o in mount_check.check_resources(resources, facts)
        if isinstance(o, Skip)
    ]


def test_valid_stack_has_no_findings() -> None:
    outcomes = mount_check.check_resources(StackBuilder().build())
    assert outcomes == []


# Breaks: each mutates the valid stack in one way.


def _zone_without_mount_target(stack: StackBuilder) -> None:
    stack.add(
        "aws:ec2/subnet:Subnet",
        "private-2",
        {
            "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/subnet-0cccccccccccccccc",
            "vpcId": VPC_ID,
            "availabilityZone": "us-east-1c",
            "cidrBlock": "10.0.160.0/20",
        },
    )
    stack.service_network()["subnets"].append("subnet-0cccccccccccccccc")


def _missing_dependency(stack: StackBuilder) -> None:
    service = stack.resources["assets-service"]
    service.dependencies = service.dependencies[:1]


def _no_ingress(stack: StackBuilder) -> None:
    stack.remove("nfs-in")


def _ingress_wrong_port(stack: StackBuilder) -> None:
    stack.props("nfs-in").update(fromPort=2048, toPort=2048)


def _no_egress(stack: StackBuilder) -> None:
    stack.remove("nfs-out")


def _transit_off(stack: StackBuilder) -> None:
    stack.volume()["transitEncryption"] = "DISABLED"


def _root_directory_with_access_point(stack: StackBuilder) -> None:
    stack.volume()["rootDirectory"] = "/images"


def _access_point_of_other_file_system(stack: StackBuilder) -> None:
    stack.props("images-ap")["fileSystemId"] = "fs-0ffffffffffffffff"


def _no_task_role(stack: StackBuilder) -> None:
    del stack.props("assets-task")["taskRoleArn"]


def _execution_role_as_task_role_lacks_grant(stack: StackBuilder) -> None:
    stack.props("assets-task")["taskRoleArn"] = EXECUTION_ROLE_ARN
    stack.props("images-policy")["policy"] = file_system_policy(EXECUTION_ROLE_ARN)


def _role_without_client_mount(stack: StackBuilder) -> None:
    stack.props("task-mount")["policy"] = mount_policy(
        ["elasticfilesystem:DescribeMountTargets"]
    )


def _writable_mount_without_client_write(stack: StackBuilder) -> None:
    stack.props("assets-task")["containerDefinitions"] = container_definitions(
        read_only=False
    )
    policy = json.loads(file_system_policy())
    policy["Statement"][1]["Action"] = [
        "elasticfilesystem:ClientMount",
        "elasticfilesystem:ClientWrite",
    ]
    stack.props("images-policy")["policy"] = json.dumps(policy)


def _condition_names_other_access_point(stack: StackBuilder) -> None:
    other = AP_ARN.replace(AP_ID, "fsap-0fffffffffffffff0")
    stack.props("task-mount")["policy"] = mount_policy(
        ["elasticfilesystem:ClientMount"], other
    )


def _identity_policy_denies(stack: StackBuilder) -> None:
    stack.add(
        "aws:iam/rolePolicy:RolePolicy",
        "deny-mount",
        {
            "role": "assets-task-role",
            "policy": mount_policy(["elasticfilesystem:ClientMount"], effect="Deny"),
        },
    )


def _file_system_policy_denies_role(stack: StackBuilder) -> None:
    policy = json.loads(file_system_policy())
    policy["Statement"].append(
        {
            "Sid": "DenyTasks",
            "Effect": "Deny",
            "Principal": {"AWS": TASK_ROLE_ARN},
            "Action": "elasticfilesystem:ClientMount",
            "Resource": FS_ARN,
        }
    )
    stack.props("images-policy")["policy"] = json.dumps(policy)


def _file_system_policy_allows_someone_else(stack: StackBuilder) -> None:
    stack.props("images-policy")["policy"] = file_system_policy(
        f"arn:aws:iam::{ACCOUNT}:role/someone-else"
    )


def _old_platform_version(stack: StackBuilder) -> None:
    stack.props("assets-service")["platformVersion"] = "1.3.0"


def _dns_support_off(stack: StackBuilder) -> None:
    stack.props("vpc")["enableDnsSupport"] = False


def _dns_hostnames_off(stack: StackBuilder) -> None:
    stack.props("vpc")["enableDnsHostnames"] = False


def _no_mount_targets(stack: StackBuilder) -> None:
    stack.remove("images-mount-us-east-1a")
    stack.remove("images-mount-us-east-1b")


BREAKS: list[tuple[str, Callable[[StackBuilder], None], str]] = [
    (
        "zone-without-mount-target",
        _zone_without_mount_target,
        r"subnet subnet-0c+ is in us-east-1c, where file system fs-\w+ has no mount target",
    ),
    (
        "missing-dependency",
        _missing_dependency,
        r"does not depend on mount target 'images-mount-us-east-1b'",
    ),
    (
        "no-ingress",
        _no_ingress,
        r"no ingress rule on mount target security groups sg-0b+2 allows TCP 2049 from task security groups sg-0a+1",
    ),
    (
        "ingress-wrong-port",
        _ingress_wrong_port,
        r"no ingress rule on mount target security groups .* allows TCP 2049",
    ),
    (
        "no-egress",
        _no_egress,
        r"no egress rule on task security groups sg-0a+1 allows TCP 2049 to mount target security groups sg-0b+2",
    ),
    (
        "transit-off",
        _transit_off,
        r"uses IAM authorization but transitEncryption is DISABLED",
    ),
    (
        "root-directory-with-access-point",
        _root_directory_with_access_point,
        r"sets rootDirectory '/images' together with an access point",
    ),
    (
        "access-point-of-other-file-system",
        _access_point_of_other_file_system,
        r"AccessPoint 'images-ap': belongs to file system fs-0f+, but task definition 'assets-task'",
    ),
    (
        "no-task-role",
        _no_task_role,
        r"uses IAM authorization but the task definition has no taskRoleArn",
    ),
    (
        "execution-role-lacks-grant",
        _execution_role_as_task_role_lacks_grant,
        r"Role 'execution-role': is the task role of 'assets-task' but no policy allows elasticfilesystem:ClientMount",
    ),
    (
        "role-without-client-mount",
        _role_without_client_mount,
        r"Role 'task-role': is the task role of 'assets-task' but no policy allows elasticfilesystem:ClientMount",
    ),
    (
        "writable-without-client-write",
        _writable_mount_without_client_write,
        r"no policy allows elasticfilesystem:ClientWrite .* cannot be mounted writable",
    ),
    (
        "condition-names-other-access-point",
        _condition_names_other_access_point,
        r"the Condition of RolePolicy 'task-mount' statement 1 \(\"MountImages\"\) does not hold",
    ),
    (
        "identity-policy-denies",
        _identity_policy_denies,
        r"RolePolicy 'deny-mount' statement 1 \(\"MountImages\"\) denies elasticfilesystem:ClientMount on",
    ),
    (
        "file-system-policy-denies-role",
        _file_system_policy_denies_role,
        r"FileSystemPolicy 'images-policy': statement 3 \(\"DenyTasks\"\) denies elasticfilesystem:ClientMount to Role 'task-role'",
    ),
    (
        "file-system-policy-allows-someone-else",
        _file_system_policy_allows_someone_else,
        r"FileSystemPolicy 'images-policy': has Allow statements but none allows elasticfilesystem:ClientMount to Role 'task-role'",
    ),
    (
        "old-platform-version",
        _old_platform_version,
        r"platformVersion '1.3.0' cannot mount EFS volumes",
    ),
    ("dns-support-off", _dns_support_off, r"DNS support \(enableDnsSupport\) off"),
    (
        "dns-hostnames-off",
        _dns_hostnames_off,
        r"DNS hostnames \(enableDnsHostnames\) off",
    ),
    (
        "no-mount-targets",
        _no_mount_targets,
        r"FileSystem 'images': has no mount targets",
    ),
]


@pytest.mark.parametrize(
    ("case", "mutate", "expected"), BREAKS, ids=[b[0] for b in BREAKS]
)
def test_break_is_caught_with_own_message(
    case: str, mutate: Callable[[StackBuilder], None], expected: str
) -> None:
    stack = StackBuilder()
    mutate(stack)
    found = violations(stack.build())
    assert len(found) == 1, found
    assert re.search(expected, found[0]), found[0]


def test_break_messages_name_a_fix() -> None:
    for _, mutate, _ in BREAKS:
        stack = StackBuilder()
        mutate(stack)
        for message in violations(stack.build()):
            assert ". Fix: " in message, message


def test_break_patterns_are_distinct() -> None:
    messages = {}
    for case, mutate, _ in BREAKS:
        stack = StackBuilder()
        mutate(stack)
        messages[case] = violations(stack.build())[0]
    distinct_pairs = [("no-ingress", "ingress-wrong-port")]
    for case, _, pattern in BREAKS:
        matching = {c for c, m in messages.items() if re.search(pattern, m)}
        allowed = (
            {case}
            | {b for a, b in distinct_pairs if a == case}
            | {a for a, b in distinct_pairs if b == case}
        )
        assert matching <= allowed, (case, matching)


# Variants that must still pass.


def _egress_all_traffic(stack: StackBuilder) -> None:
    stack.remove("nfs-out")
    stack.add(
        "aws:ec2/securityGroup:SecurityGroup",
        "tasks",
        {
            "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{TASK_SG}",
            "egress": [
                {
                    "protocol": "-1",
                    "fromPort": 0,
                    "toPort": 0,
                    "cidrBlocks": ["0.0.0.0/0"],
                }
            ],
        },
    )


def _ingress_from_vpc_cidr(stack: StackBuilder) -> None:
    stack.props("nfs-in").pop("referencedSecurityGroupId")
    stack.props("nfs-in")["cidrIpv4"] = "10.0.0.0/16"


def _ingress_as_security_group_rule(stack: StackBuilder) -> None:
    stack.remove("nfs-in")
    stack.add(
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "nfs-in-rule",
        {
            "type": "ingress",
            "securityGroupId": MOUNT_SG,
            "sourceSecurityGroupId": TASK_SG,
            "protocol": "tcp",
            "fromPort": 2049,
            "toPort": 2049,
        },
    )


def _dependency_through_component(stack: StackBuilder) -> None:
    store = stack.add("retailassets:index:SharedImageStore", "store", {})
    for zone in ("us-east-1a", "us-east-1b"):
        stack.resources[f"images-mount-{zone}"].parent = store.urn
    stack.resources["assets-service"].dependencies = (store.urn,)


def _dependency_through_other_resource(stack: StackBuilder) -> None:
    grant = stack.resources["task-mount"]
    grant.dependencies = (
        urn("aws:efs/mountTarget:MountTarget", "images-mount-us-east-1a"),
        urn("aws:efs/mountTarget:MountTarget", "images-mount-us-east-1b"),
    )
    stack.resources["assets-service"].dependencies = (grant.urn,)


def _managed_policy_grant(stack: StackBuilder) -> None:
    stack.remove("task-mount")
    stack.add(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "task-efs",
        {
            "role": "assets-task-role",
            "policyArn": "arn:aws:iam::aws:policy/AmazonElasticFileSystemClientReadOnlyAccess",
        },
    )


def _no_file_system_policy(stack: StackBuilder) -> None:
    stack.remove("images-policy")


def _account_root_in_file_system_policy(stack: StackBuilder) -> None:
    stack.props("images-policy")["policy"] = file_system_policy(
        f"arn:aws:iam::{ACCOUNT}:root"
    )


def _pinned_platform_1_4_0(stack: StackBuilder) -> None:
    stack.props("assets-service")["platformVersion"] = "1.4.0"


PASSING_VARIANTS = [
    ("egress-all-traffic", _egress_all_traffic),
    ("ingress-from-vpc-cidr", _ingress_from_vpc_cidr),
    ("ingress-as-security-group-rule", _ingress_as_security_group_rule),
    ("dependency-through-component", _dependency_through_component),
    ("dependency-through-other-resource", _dependency_through_other_resource),
    ("managed-policy-grant", _managed_policy_grant),
    ("no-file-system-policy", _no_file_system_policy),
    ("account-root-in-file-system-policy", _account_root_in_file_system_policy),
    ("pinned-platform-1-4-0", _pinned_platform_1_4_0),
]


@pytest.mark.parametrize(
    ("case", "mutate"), PASSING_VARIANTS, ids=[v[0] for v in PASSING_VARIANTS]
)
def test_equivalent_setup_still_passes(
    case: str, mutate: Callable[[StackBuilder], None]
) -> None:
    stack = StackBuilder()
    mutate(stack)
    assert mount_check.check_resources(stack.build()) == []


# Availability Zones from outside the stack.


def _external_subnets(stack: StackBuilder) -> None:
    stack.remove("private-0")
    stack.remove("private-1")
    for zone in ("us-east-1a", "us-east-1b"):
        del stack.props(f"images-mount-{zone}")["availabilityZoneName"]


def test_subnet_zones_from_facts() -> None:
    stack = StackBuilder()
    _external_subnets(stack)
    facts = NetworkFacts(
        subnet_zones={s: zone for s, (zone, _) in SUBNETS.items()},
        subnet_vpcs=dict.fromkeys(SUBNETS, VPC_ID),
    )
    assert mount_check.check_resources(stack.build(), facts) == []


def test_unknown_subnet_zone_is_skipped() -> None:
    stack = StackBuilder()
    _external_subnets(stack)
    facts = NetworkFacts(subnet_vpcs=dict.fromkeys(SUBNETS, VPC_ID))
    resources = stack.build()
    assert violations(resources, facts) == []
    assert any("pass it in subnet_zones" in s for s in skips(resources, facts))


def test_existing_vpc_dns_from_facts() -> None:
    stack = StackBuilder()
    stack.remove("vpc")
    facts = NetworkFacts(vpc_dns={VPC_ID: VpcDns(support=True, hostnames=False)})
    found = violations(stack.build(), facts)
    assert len(found) == 1
    assert "enableDnsHostnames) off" in found[0]


def test_awsx_vpc_supplies_zones_and_dns() -> None:
    stack = StackBuilder()
    stack.remove("vpc")
    stack.remove("private-0")
    stack.remove("private-1")
    stack.add(
        "awsx:ec2:Vpc",
        "assets-vpc",
        {
            "vpcId": VPC_ID,
            "cidrBlock": "10.0.0.0/16",
            "availabilityZoneNames": ["us-east-1a", "us-east-1b"],
            "privateSubnetIds": [SUBNET_A, SUBNET_B],
            "publicSubnetIds": ["subnet-0p1", "subnet-0p2"],
            "enableDnsHostnames": True,
        },
    )
    assert mount_check.check_resources(stack.build()) == []


def test_awsx_vpc_hostnames_default_off() -> None:
    stack = StackBuilder()
    stack.remove("vpc")
    stack.add(
        "awsx:ec2:Vpc",
        "assets-vpc",
        {
            "vpcId": VPC_ID,
            "availabilityZoneNames": ["us-east-1a", "us-east-1b"],
            "privateSubnetIds": [SUBNET_A, SUBNET_B],
        },
    )
    found = violations(stack.build())
    assert len(found) == 1
    assert "awsx:ec2:Vpc" not in found[0]
    assert "Vpc 'assets-vpc'" in found[0]


# Values unknown during preview.


@pytest.mark.parametrize(
    ("resource", "path"),
    [
        ("assets-service", ("networkConfiguration", "subnets")),
        ("images-mount-us-east-1a", ("subnetId",)),
        ("images-policy", ("policy",)),
        ("task-mount", ("policy",)),
        ("images", ("arn",)),
    ],
)
def test_unknown_value_skips_not_fails(resource: str, path: tuple[str, ...]) -> None:
    stack = StackBuilder()
    target = stack.props(resource)
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = UNKNOWN_STRING_VALUE
    resources = stack.build()
    assert violations(resources) == []
    assert skips(resources) != []


# The same check through the policy host's objects and through the runner.


def _policy_resources(resources: list[Resource]) -> list[PolicyResource]:
    options = PolicyResourceOptions(
        False, [], None, [], PolicyCustomTimeouts(0, 0, 0), []
    )
    converted = {
        r.urn: PolicyResource(
            r.type, r.props, r.urn, r.name, options, None, None, [], {}
        )
        for r in resources
    }
    for r in resources:
        converted[r.urn].parent = converted.get(r.parent)
        converted[r.urn].dependencies = [
            converted[u] for u in r.dependencies if u in converted
        ]
    return list(converted.values())


def test_stack_policy_reports_break() -> None:
    from pulumi_policy import StackValidationArgs

    stack = StackBuilder()
    _no_egress(stack)
    reported: list[tuple[str, str | None]] = []
    policy = mount_check.build_policy()
    policy.validate(
        StackValidationArgs(_policy_resources(stack.build())),
        lambda message, urn=None: reported.append((message, urn)),
    )
    assert len(reported) == 1
    assert "no egress rule on task security groups" in reported[0][0]
    assert reported[0][1] == urn("aws:ecs/service:Service", "assets-service")


def test_stack_policy_raises_skips_as_unknown() -> None:
    from pulumi_policy import StackValidationArgs

    stack = StackBuilder()
    stack.service_network()["subnets"] = UNKNOWN_STRING_VALUE
    policy = mount_check.build_policy()
    with pytest.raises(
        UnknownDuringPreviewError, match="networkConfiguration.subnets is not known"
    ):
        policy.validate(
            StackValidationArgs(_policy_resources(stack.build())), lambda *_: None
        )


def _registrations(resources: list[Resource]) -> SimpleNamespace:
    return SimpleNamespace(
        registrations=[
            SimpleNamespace(
                urn=r.urn,
                type=r.type,
                name=r.name,
                parent=r.parent,
                id="",
                inputs=r.props,
                outputs={},
                protect=False,
                ignore_changes=[],
                delete_before_replace=False,
                aliases=[],
                dependencies=list(r.dependencies),
                property_dependencies={},
            )
            for r in resources
        ]
    )


def test_runner_reports_break_as_mandatory() -> None:
    stack = StackBuilder()
    _dns_hostnames_off(stack)
    report = evaluate(
        _registrations(stack.build()), policies=[mount_check.build_policy()]
    )
    assert [f.policy for f in report.mandatory] == ["efs-mount-check"]
    assert report.mandatory[0].resource_name == "assets-service"
    assert "enableDnsHostnames) off" in report.mandatory[0].message


# The real program's dev stack.


def test_dev_stack_passes_mount_check(dev_run: Any) -> None:
    assert mount_check.check_stack_run(dev_run) == []
