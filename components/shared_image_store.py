"""SharedImageStore: an encrypted EFS file system that every task mounts."""

import json
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import _validation as check
from ._aliases import RenamedChildren, with_renamed_children
from .efs_access import (
    NFS_PORT,
    AccessLevel,
    Grant,
    ImageStoreMountArgs,
    grant_role_policy,
    open_nfs_path,
)
from .network import SubnetArgs

# Days after which EFS may move a file to Infrequent Access (the API's enum).
TRANSITION_DAYS = (1, 7, 14, 30, 60, 90, 180, 270, 365)

# Children renamed since a release: current name suffix -> earlier suffixes.
_RENAMED_CHILDREN: RenamedChildren = {}


class ThroughputMode(str, Enum):
    """Throughput provisioning of the file system."""

    ELASTIC = "elastic"
    """Scales with the workload and bills per transfer; suits spiky reads."""
    BURSTING = "bursting"
    """Scales with the amount stored, with burst credits."""
    PROVISIONED = "provisioned"
    """A fixed rate set by `provisioned_throughput_mibps`."""


class RemovalPolicy(str, Enum):
    """Handling of the file system when the stack stops managing it."""

    RETAIN = "retain"
    """Protect it, so a replacement or destroy fails, and keep it if removed."""
    DESTROY = "destroy"
    """Delete it with its files; for throwaway stacks only."""


# A store created elsewhere is described by the same fields a client mounts
# with: its file system, access point, mount target group and zones.
ExistingFileSystemArgs = ImageStoreMountArgs


class SharedImageStoreArgs(TypedDict):
    """Inputs of a SharedImageStore.

    Give either `vpc_id` and `subnets` (the store creates its file system) or
    `existing_file_system` (the store only grants access to it).
    """

    vpc_id: NotRequired[pulumi.Input[str]]
    """The VPC of the mount targets. Required unless `existing_file_system`."""
    subnets: NotRequired[list[SubnetArgs]]
    """One subnet in each Availability Zone, at least two; each gets a mount
    target named by its zone. Required unless `existing_file_system`."""
    nfs_client_security_group_ids: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Security groups admitted to NFS (TCP 2049), keyed by a label that names
    the rule. Default: none; `grant_read` and `grant_read_write` add more."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """A customer managed KMS key for encryption at rest. Default: the AWS
    managed key for EFS. Changing it replaces the file system."""
    throughput_mode: NotRequired[ThroughputMode]
    """Default: `elastic`."""
    provisioned_throughput_mibps: NotRequired[float]
    """MiB/s, required with `provisioned` throughput and rejected otherwise."""
    transition_to_ia_days: NotRequired[int]
    """Days without access before a file moves to Infrequent Access, one of
    1, 7, 14, 30, 60, 90, 180, 270 or 365; 0 keeps files in Standard.
    Default: 30."""
    transition_to_primary_on_access: NotRequired[bool]
    """Move a file back to Standard on its first access. Default: true."""
    backups: NotRequired[bool]
    """Automatic daily AWS Backup of the file system. Default: true."""
    images_path: NotRequired[str]
    """The access point's root directory, created by EFS. Default: `/images`."""
    posix_uid: NotRequired[int]
    """The user id every operation through the access point runs as, and the
    owner of `images_path`. Default: 1000."""
    posix_gid: NotRequired[int]
    """The group id, as for `posix_uid`. Default: 1000."""
    directory_permissions: NotRequired[str]
    """Octal permissions of `images_path` when EFS creates it. Default: 0755."""
    removal_policy: NotRequired[RemovalPolicy]
    """Default: `retain`, so no ordinary change can delete the images."""
    existing_file_system: NotRequired[ExistingFileSystemArgs]
    """Use a file system created elsewhere instead of creating one."""
    tags: NotRequired[Mapping[str, str]]
    """Tags for every taggable child. Default: none."""


_CREATE_ONLY_FIELDS = (
    "vpc_id",
    "subnets",
    "kms_key_arn",
    "throughput_mode",
    "provisioned_throughput_mibps",
    "transition_to_ia_days",
    "transition_to_primary_on_access",
    "backups",
    "images_path",
    "posix_uid",
    "posix_gid",
    "directory_permissions",
    "removal_policy",
)


class SharedImageStore(pulumi.ComponentResource):
    """An encrypted EFS file system for product images, shared by every task.

    It has one mount target in each Availability Zone and a security group
    that admits NFS only from granted clients. EFS creates the access point's
    root directory with a fixed owner. The file system policy requires TLS and
    IAM, backups are automatic, and the file system is protected by default.
    """

    file_system_id: pulumi.Output[str]
    """The EFS file system id."""
    file_system_arn: pulumi.Output[str]
    """The EFS file system ARN."""
    file_system_dns_name: pulumi.Output[str]
    """The file system's DNS name, which resolves to the mount target of the
    caller's Availability Zone."""
    access_point_id: pulumi.Output[str]
    """The id of the access point that clients mount through."""
    access_point_arn: pulumi.Output[str]
    """The ARN of that access point."""
    security_group_id: pulumi.Output[str]
    """The id of the mount targets' security group."""
    mount_target_ids: pulumi.Output[list[str]]
    """The mount target ids. Depending on this Output waits for every mount
    target to be available."""

    def __init__(
        self,
        name: str,
        args: SharedImageStoreArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = _Settings.from_args(args)
        # Children renamed since a release keep their state through aliases.
        opts = with_renamed_children(opts, name, _RENAMED_CHILDREN)
        super().__init__("retailassets:index:SharedImageStore", name, None, opts)
        self._name = name
        self._granted_groups: set[str] = set()
        self._granted_roles: set[str] = set()
        self._tags = dict(args.get("tags") or {})
        self.mount_targets: list[aws.efs.MountTarget] = []

        if settings.existing is not None:
            self._adopt(settings.existing)
        else:
            self._create(name, settings)

        for label, group_id in settings.nfs_clients.items():
            self._admit(f"client-{label}", group_id)

        self.register_outputs(
            {
                "file_system_id": self.file_system_id,
                "file_system_arn": self.file_system_arn,
                "file_system_dns_name": self.file_system_dns_name,
                "access_point_id": self.access_point_id,
                "access_point_arn": self.access_point_arn,
                "security_group_id": self.security_group_id,
                "mount_target_ids": self.mount_target_ids,
            }
        )

    def _create(self, name: str, settings: "_Settings") -> None:
        child = pulumi.ResourceOptions(parent=self)
        tags = {**self._tags, "Name": name}

        # Network: the group has no inline rules, so grants can add rules as
        # separate resources, and revoking them on delete lets a destroy
        # remove groups that reference each other.
        security_group = aws.ec2.SecurityGroup(
            f"{name}-nfs",
            vpc_id=settings.vpc_id,
            description="EFS mount targets of the shared image store",
            revoke_rules_on_delete=True,
            tags=tags,
            opts=child,
        )

        # Storage: only the file system contains data, so only it is protected.
        keep = settings.removal_policy is RemovalPolicy.RETAIN
        file_system = aws.efs.FileSystem(
            f"{name}-fs",
            encrypted=True,
            kms_key_id=settings.kms_key_arn,
            performance_mode="generalPurpose",
            throughput_mode=settings.throughput_mode.value,
            provisioned_throughput_in_mibps=settings.provisioned_throughput_mibps,
            lifecycle_policies=settings.lifecycle_policies(),
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self, protect=keep, retain_on_delete=keep
            ),
        )
        aws.efs.BackupPolicy(
            f"{name}-backup",
            file_system_id=file_system.id,
            backup_policy={"status": "ENABLED" if settings.backups else "DISABLED"},
            opts=child,
        )
        for subnet in settings.subnets:
            zone = subnet["availability_zone"]
            self.mount_targets.append(
                aws.efs.MountTarget(
                    f"{name}-mount-{zone}",
                    file_system_id=file_system.id,
                    subnet_id=subnet["subnet_id"],
                    security_groups=[security_group.id],
                    opts=child,
                )
            )
        access_point = aws.efs.AccessPoint(
            f"{name}-access-point",
            file_system_id=file_system.id,
            posix_user={"uid": settings.posix_uid, "gid": settings.posix_gid},
            root_directory={
                "path": settings.images_path,
                "creation_info": {
                    "owner_uid": settings.posix_uid,
                    "owner_gid": settings.posix_gid,
                    "permissions": settings.directory_permissions,
                },
            },
            tags=tags,
            opts=child,
        )

        # IAM: EFS evaluates this policy with each client's identity policy.
        aws.efs.FileSystemPolicy(
            f"{name}-policy",
            file_system_id=file_system.id,
            policy=pulumi.Output.all(
                file_system.arn, aws.get_caller_identity_output().account_id
            ).apply(lambda values: file_system_policy(values[0], values[1])),
            opts=child,
        )

        self.file_system_id = file_system.id
        self.file_system_arn = file_system.arn
        self.file_system_dns_name = file_system.dns_name
        self.access_point_id = access_point.id
        self.access_point_arn = access_point.arn
        self.security_group_id = security_group.id
        self.mount_target_ids = pulumi.Output.all(
            *[target.id for target in self.mount_targets]
        ).apply(list)
        self._zones = [s["availability_zone"] for s in settings.subnets]

    def _adopt(self, existing: ExistingFileSystemArgs) -> None:
        self.file_system_id = pulumi.Output.from_input(existing["file_system_id"])
        self.file_system_arn = pulumi.Output.from_input(existing["file_system_arn"])
        self.file_system_dns_name = pulumi.Output.concat(
            self.file_system_id,
            ".efs.",
            aws.get_region_output().region,
            ".amazonaws.com",
        )
        self.access_point_id = pulumi.Output.from_input(existing["access_point_id"])
        self.access_point_arn = pulumi.Output.from_input(existing["access_point_arn"])
        self.security_group_id = pulumi.Output.from_input(existing["security_group_id"])
        self.mount_target_ids = pulumi.Output.from_input(
            existing["mount_target_ids"]
        ).apply(list)
        self._zones = list(existing["availability_zones"])

    def mount_args(self) -> ImageStoreMountArgs:
        """Return what a client needs to mount this store."""
        return {
            "file_system_id": self.file_system_id,
            "file_system_arn": self.file_system_arn,
            "access_point_id": self.access_point_id,
            "access_point_arn": self.access_point_arn,
            "security_group_id": self.security_group_id,
            "mount_target_ids": self.mount_target_ids,
            "availability_zones": list(self._zones),
        }

    def grant_read(
        self, role: aws.iam.Role, security_group: aws.ec2.SecurityGroup
    ) -> Grant:
        """Let `role` mount the images read-only from `security_group`."""
        return self._grant(role, security_group, AccessLevel.READ)

    def grant_read_write(
        self, role: aws.iam.Role, security_group: aws.ec2.SecurityGroup
    ) -> Grant:
        """Let `role` mount the images and write them from `security_group`."""
        return self._grant(role, security_group, AccessLevel.READ_WRITE)

    def _grant(
        self,
        role: aws.iam.Role,
        security_group: aws.ec2.SecurityGroup,
        level: AccessLevel,
    ) -> Grant:
        role_name = role.pulumi_resource_name
        if role_name in self._granted_roles:
            raise ValueError(
                f"role {role_name!r} already has a grant on image store "
                f"{self._name!r}; grant each role once, with the widest access "
                "it needs."
            )
        self._granted_roles.add(role_name)
        policy = grant_role_policy(
            f"{self._name}-{level.value}-{role_name}",
            role=role,
            mount=self.mount_args(),
            level=level,
            parent=self,
        )
        ingress, egress = self._admit(
            f"group-{security_group.pulumi_resource_name}", security_group.id
        )
        return Grant(policy=policy, ingress=ingress, egress=egress)

    def _admit(
        self, label: str, group_id: pulumi.Input[str]
    ) -> tuple[pulumi.CustomResource | None, pulumi.CustomResource | None]:
        # Two grants from one security group share its rules: AWS rejects a
        # second identical rule.
        if label in self._granted_groups:
            return None, None
        self._granted_groups.add(label)
        return open_nfs_path(
            f"{self._name}-nfs-{label}",
            client_security_group_id=group_id,
            mount_security_group_id=self.security_group_id,
            parent=self,
        )


def file_system_policy(file_system_arn: str, account_id: str) -> str:
    """Return the file system policy document as JSON.

    Mounting is allowed only to IAM principals of this account whose identity
    policy also allows it (the grants add those), and only through a mount
    target. Anonymous clients match no Allow statement, so EFS denies them;
    requests without TLS and root access are denied outright.
    """
    statements = [
        {
            "Sid": "AllowGrantedPrincipalsThroughMountTargets",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": [
                "elasticfilesystem:ClientMount",
                "elasticfilesystem:ClientWrite",
            ],
            "Resource": file_system_arn,
            "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
        },
        {
            "Sid": "DenyWithoutTls",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": file_system_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyRootAccess",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "elasticfilesystem:ClientRootAccess",
            "Resource": file_system_arn,
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class _Settings:
    """SharedImageStoreArgs checked and with defaults filled in."""

    def __init__(self) -> None:
        self.existing: ExistingFileSystemArgs | None = None
        self.nfs_clients: dict[str, pulumi.Input[str]] = {}
        self.vpc_id: pulumi.Input[str] = ""
        self.subnets: Sequence[SubnetArgs] = ()
        self.kms_key_arn: pulumi.Input[str] | None = None
        self.throughput_mode = ThroughputMode.ELASTIC
        self.provisioned_throughput_mibps: float | None = None
        self.transition_to_ia_days = 30
        self.transition_to_primary_on_access = True
        self.backups = True
        self.images_path = "/images"
        self.posix_uid = 1000
        self.posix_gid = 1000
        self.directory_permissions = "0755"
        self.removal_policy = RemovalPolicy.RETAIN

    @classmethod
    def from_args(cls, args: SharedImageStoreArgs) -> "_Settings":
        settings = cls()
        settings.nfs_clients = dict(
            check.require_mapping(
                "nfs_client_security_group_ids",
                args.get("nfs_client_security_group_ids") or {},
            )
        )
        existing = args.get("existing_file_system")
        if existing is not None:
            conflicting = [f for f in _CREATE_ONLY_FIELDS if args.get(f) is not None]
            if conflicting:
                raise ValueError(
                    "existing_file_system is set together with "
                    f"{', '.join(conflicting)}, which only apply when the store "
                    "creates the file system; remove them or remove "
                    "existing_file_system."
                )
            check.distinct_zones(
                "existing_file_system.availability_zones",
                list(existing["availability_zones"]),
            )
            settings.existing = existing
            return settings

        if args.get("vpc_id") is None or args.get("subnets") is None:
            raise ValueError(
                "SharedImageStoreArgs needs vpc_id and subnets to create a file "
                "system, or existing_file_system to use one created elsewhere."
            )
        settings.vpc_id = args["vpc_id"]
        subnets = args["subnets"]
        settings.subnets = check.require_subnets("subnets", subnets)
        if args.get("kms_key_arn") is not None:
            settings.kms_key_arn = check.require_text_or_output(
                "kms_key_arn", args["kms_key_arn"]
            )
        settings._set_throughput(args)
        settings._set_lifecycle(args)
        settings.backups = check.require_bool("backups", args.get("backups", True))
        settings.images_path = check.require_images_path(
            "images_path", args.get("images_path", "/images")
        )
        settings.posix_uid = check.require_int_in_range(
            "posix_uid", args.get("posix_uid", 1000), 0, 4294967295
        )
        settings.posix_gid = check.require_int_in_range(
            "posix_gid", args.get("posix_gid", 1000), 0, 4294967295
        )
        settings.directory_permissions = _octal_permissions(
            args.get("directory_permissions", "0755")
        )
        settings.removal_policy = check.coerce_enum(
            "removal_policy",
            args.get("removal_policy", RemovalPolicy.RETAIN),
            RemovalPolicy,
        )
        return settings

    def _set_throughput(self, args: SharedImageStoreArgs) -> None:
        self.throughput_mode = check.coerce_enum(
            "throughput_mode",
            args.get("throughput_mode", ThroughputMode.ELASTIC),
            ThroughputMode,
        )
        mibps = args.get("provisioned_throughput_mibps")
        if self.throughput_mode is ThroughputMode.PROVISIONED:
            if mibps is None:
                raise ValueError(
                    "throughput_mode is 'provisioned' but "
                    "provisioned_throughput_mibps is not set; give the MiB/s to "
                    "provision (1 to 3414) or choose 'elastic'."
                )
            check.require_plain("provisioned_throughput_mibps", mibps)
            if isinstance(mibps, bool) or not isinstance(mibps, (int, float)):
                raise TypeError(
                    f"provisioned_throughput_mibps must be a number, got {mibps!r}."
                )
            if not 1 <= mibps <= 3414:
                raise ValueError(
                    f"provisioned_throughput_mibps is {mibps}; EFS allows 1 to 3414."
                )
            self.provisioned_throughput_mibps = float(mibps)
        elif mibps is not None:
            raise ValueError(
                f"provisioned_throughput_mibps is {mibps} but throughput_mode is "
                f"{self.throughput_mode.value!r}; set throughput_mode to "
                "'provisioned' or remove provisioned_throughput_mibps."
            )

    def _set_lifecycle(self, args: SharedImageStoreArgs) -> None:
        days = args.get("transition_to_ia_days", 30)
        check.require_int_in_range("transition_to_ia_days", days, 0, 365)
        check.require_one_of("transition_to_ia_days", days, (0, *TRANSITION_DAYS))
        self.transition_to_ia_days = days
        self.transition_to_primary_on_access = check.require_bool(
            "transition_to_primary_on_access",
            args.get("transition_to_primary_on_access", True),
        )

    def lifecycle_policies(self) -> list[Any]:
        policies: list[dict[str, str]] = []
        if self.transition_to_ia_days:
            policies.append(
                {"transition_to_ia": f"AFTER_{self.transition_to_ia_days}_DAYS"}
            )
            if self.transition_to_ia_days == 1:
                policies[-1]["transition_to_ia"] = "AFTER_1_DAY"
        if self.transition_to_primary_on_access:
            policies.append({"transition_to_primary_storage_class": "AFTER_1_ACCESS"})
        return policies


def _octal_permissions(value: object) -> str:
    check.require_plain("directory_permissions", value)
    if (
        not isinstance(value, str)
        or not value.isdigit()
        or set(value) - set("01234567")
    ):
        raise ValueError(
            f"directory_permissions is {value!r}; give octal permissions as a "
            "string, such as '0755'."
        )
    if len(value) not in (3, 4):
        raise ValueError(
            f"directory_permissions is {value!r}; give 3 or 4 octal digits."
        )
    return value.rjust(4, "0")


__all__ = [
    "NFS_PORT",
    "ExistingFileSystemArgs",
    "RemovalPolicy",
    "SharedImageStore",
    "SharedImageStoreArgs",
    "ThroughputMode",
]
