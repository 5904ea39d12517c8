"""IAM and network grants that let a role's tasks mount the image store.

A grant has two halves, and a mount fails without either. The first is an
inline IAM policy on the role, which EFS checks because volumes mount with
IAM authorization. The second is a TCP 2049 path from the client's security
group to the mount targets' security group: an ingress rule on one and an
egress rule on the other.
"""

import dataclasses
import json
from enum import Enum
from typing import TypedDict

import pulumi
import pulumi_aws as aws

from .network import allow_tcp

NFS_PORT = 2049


class AccessLevel(str, Enum):
    """Access a grantee has to the file system."""

    READ = "read"
    """Mount through the access point and read."""
    READ_WRITE = "read-write"
    """Mount through the access point, read and write."""


class ImageStoreMountArgs(TypedDict):
    """The values a client needs to mount a shared image store.

    `SharedImageStore.mount_args()` returns one; a store created elsewhere
    can be described by hand from its outputs.
    """

    file_system_id: pulumi.Input[str]
    """The EFS file system id (`fs-...`)."""
    file_system_arn: pulumi.Input[str]
    """The EFS file system ARN, which the IAM grant is scoped to."""
    access_point_id: pulumi.Input[str]
    """The access point id (`fsap-...`) that clients mount through."""
    access_point_arn: pulumi.Input[str]
    """The access point ARN, which the IAM grant's condition names."""
    security_group_id: pulumi.Input[str]
    """The security group of the mount targets, which admits NFS from clients."""
    mount_target_ids: pulumi.Input[list[str]]
    """The mount target ids; a client depends on them so no task starts early."""
    availability_zones: list[str]
    """The Availability Zones that have a mount target."""


def mount_policy_document(
    file_system_arn: pulumi.Input[str],
    access_point_arn: pulumi.Input[str],
    level: AccessLevel,
) -> pulumi.Output[str]:
    """Return an identity policy allowing a mount through one access point."""
    actions = ["elasticfilesystem:ClientMount"]
    if level is AccessLevel.READ_WRITE:
        actions.append("elasticfilesystem:ClientWrite")

    def render(arns: list[str]) -> str:
        file_system, access_point = arns
        statement = {
            "Sid": "MountImageStore",
            "Effect": "Allow",
            "Action": actions,
            "Resource": file_system,
            "Condition": {
                "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"},
                "StringEquals": {"elasticfilesystem:AccessPointArn": access_point},
            },
        }
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    return pulumi.Output.all(file_system_arn, access_point_arn).apply(render)


@dataclasses.dataclass
class Grant:
    """The resources one grant created; depend on them before mounting."""

    policy: aws.iam.RolePolicy
    ingress: pulumi.CustomResource | None
    egress: pulumi.CustomResource | None

    @property
    def resources(self) -> list[pulumi.Resource]:
        """The grant's resources, for `depends_on`."""
        found: list[pulumi.Resource] = [self.policy]
        found += [r for r in (self.ingress, self.egress) if r is not None]
        return found


def grant_role_policy(
    name: str,
    *,
    role: aws.iam.Role,
    mount: ImageStoreMountArgs,
    level: AccessLevel,
    parent: pulumi.Resource,
) -> aws.iam.RolePolicy:
    """Attach the inline mount policy for `level` to `role`."""
    return aws.iam.RolePolicy(
        name,
        role=role.id,
        policy=mount_policy_document(
            mount["file_system_arn"], mount["access_point_arn"], level
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def open_nfs_path(
    name: str,
    *,
    client_security_group_id: pulumi.Input[str],
    mount_security_group_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> tuple[pulumi.CustomResource, pulumi.CustomResource]:
    """Allow NFS from a client security group to the mount targets' group."""
    options = pulumi.ResourceOptions(parent=parent)
    ingress = allow_tcp(
        f"{name}-in",
        ingress=True,
        security_group_id=mount_security_group_id,
        peer_group_id=client_security_group_id,
        port=NFS_PORT,
        description="NFS from an image store client",
        opts=options,
    )
    egress = allow_tcp(
        f"{name}-out",
        ingress=False,
        security_group_id=client_security_group_id,
        peer_group_id=mount_security_group_id,
        port=NFS_PORT,
        description="NFS to the image store mount targets",
        opts=options,
    )
    return ingress, egress


def mount_targets_ready(mount: ImageStoreMountArgs) -> pulumi.Output[None]:
    """Return an Output that carries a dependency on every mount target.

    Its value is None so that it can go in `depends_on`, where Pulumi adds the
    resources behind an Output to the dependent's explicit dependencies.
    """
    return pulumi.Output.from_input(mount["mount_target_ids"]).apply(lambda _: None)
