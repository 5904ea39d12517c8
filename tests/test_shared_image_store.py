"""SharedImageStore under Pulumi's mocks, with its resource options recorded."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from conftest import run_components

from components import RemovalPolicy, SharedImageStore, SharedImageStoreArgs
from offline import engine
from offline.aws import AwsMocks
from offline.engine import RecordingMonitor, StackRun

FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def subnets(*zones: str) -> list[dict[str, str]]:
    return [
        {"subnet_id": f"subnet-0{index:016x}", "availability_zone": zone}
        for index, zone in enumerate(zones)
    ]


def store_args(**overrides: Any) -> SharedImageStoreArgs:
    args: dict[str, Any] = {
        "vpc_id": "vpc-0123456789abcdef0",
        "subnets": subnets("us-east-1a", "us-east-1b"),
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def run_store(**overrides: Any) -> StackRun:
    return run_components(lambda: SharedImageStore("images", store_args(**overrides)))


def test_file_system_encrypted_by_default() -> None:
    file_system = run_store().one(FILE_SYSTEM)
    assert file_system.inputs["encrypted"] is True
    assert "kmsKeyId" not in file_system.inputs


def test_customer_kms_key_is_used() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    file_system = run_store(kms_key_arn=key).one(FILE_SYSTEM)
    assert file_system.inputs["kmsKeyId"] == key


def test_file_system_defaults() -> None:
    inputs = run_store().one(FILE_SYSTEM).inputs
    assert inputs["performanceMode"] == "generalPurpose"
    assert inputs["throughputMode"] == "elastic"
    assert inputs["lifecyclePolicies"] == [
        {"transitionToIa": "AFTER_30_DAYS"},
        {"transitionToPrimaryStorageClass": "AFTER_1_ACCESS"},
    ]


def test_provisioned_throughput_sets_mibps() -> None:
    inputs = (
        run_store(throughput_mode="provisioned", provisioned_throughput_mibps=64)
        .one(FILE_SYSTEM)
        .inputs
    )
    assert inputs["throughputMode"] == "provisioned"
    assert inputs["provisionedThroughputInMibps"] == 64


def test_lifecycle_can_be_turned_off() -> None:
    inputs = (
        run_store(transition_to_ia_days=0, transition_to_primary_on_access=False)
        .one(FILE_SYSTEM)
        .inputs
    )
    assert inputs.get("lifecyclePolicies", []) == []


def test_one_day_transition_uses_singular() -> None:
    inputs = run_store(transition_to_ia_days=1).one(FILE_SYSTEM).inputs
    assert inputs["lifecyclePolicies"][0] == {"transitionToIa": "AFTER_1_DAY"}


def test_backups_enabled_by_default() -> None:
    backup = run_store().one("aws:efs/backupPolicy:BackupPolicy")
    assert backup.inputs["backupPolicy"] == {"status": "ENABLED"}


def test_backups_can_be_disabled() -> None:
    backup = run_store(backups=False).one("aws:efs/backupPolicy:BackupPolicy")
    assert backup.inputs["backupPolicy"] == {"status": "DISABLED"}


def test_file_system_protected_and_retained() -> None:
    file_system = run_store().one(FILE_SYSTEM)
    assert file_system.protect is True
    assert file_system.retain_on_delete is True


def test_destroy_policy_drops_protection() -> None:
    file_system = run_store(removal_policy=RemovalPolicy.DESTROY).one(FILE_SYSTEM)
    assert file_system.protect is False
    assert file_system.retain_on_delete is False


def test_only_file_system_is_protected() -> None:
    run = run_store()
    protected = [r.name for r in run.registrations if r.protect]
    assert protected == ["images-fs"]


def test_one_mount_target_per_zone() -> None:
    run = run_store(subnets=subnets("us-east-1a", "us-east-1b", "us-east-1c"))
    targets = run.of_type(MOUNT_TARGET)
    assert sorted(t.name for t in targets) == [
        "images-mount-us-east-1a",
        "images-mount-us-east-1b",
        "images-mount-us-east-1c",
    ]


def test_removing_zone_keeps_other_names() -> None:
    three = run_store(subnets=subnets("us-east-1a", "us-east-1b", "us-east-1c"))
    two = run_store(subnets=subnets("us-east-1a", "us-east-1c"))
    urns_three = {t.urn for t in three.of_type(MOUNT_TARGET)}
    urns_two = {t.urn for t in two.of_type(MOUNT_TARGET)}
    assert urns_two < urns_three


def test_mount_targets_use_store_group() -> None:
    run = run_store()
    group = run.one("aws:ec2/securityGroup:SecurityGroup")
    for target in run.of_type(MOUNT_TARGET):
        assert target.inputs["securityGroups"] == [group.id]


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        (("us-east-1a", "us-east-1a"), "both in us-east-1a"),
        (("us-east-1a",), "at least 2 are needed"),
        ((), "covers 0 Availability Zone"),
    ],
)
def test_subnet_zones_rejected(zones: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run_store(subnets=subnets(*zones))


def test_nothing_registered_before_rejection() -> None:
    mocks = AwsMocks()
    monitor = RecordingMonitor(mocks)
    args = store_args(subnets=subnets("us-east-1a"))
    with pytest.raises(ValueError):
        engine.run(
            lambda: SharedImageStore("images", args),
            mocks,
            project="components",
            stack="test",
            monitor=monitor,
        )
    assert monitor.registrations == []


def test_security_group_has_no_inline_rules() -> None:
    group = run_store().one("aws:ec2/securityGroup:SecurityGroup")
    assert "ingress" not in group.inputs or group.inputs["ingress"] == []
    assert group.inputs["revokeRulesOnDelete"] is True


def test_no_cidr_ingress_by_default() -> None:
    run = run_store()
    assert run.of_type(INGRESS) == []


def test_client_groups_admitted_on_nfs() -> None:
    run = run_store(nfs_client_security_group_ids={"bastion": "sg-0aaaaaaaaaaaaaaaa"})
    rule = run.one(INGRESS)
    assert rule.name == "images-nfs-client-bastion-in"
    assert rule.inputs["referencedSecurityGroupId"] == "sg-0aaaaaaaaaaaaaaaa"
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (2049, 2049)
    assert "cidrIpv4" not in rule.inputs


def test_access_point_creates_owned_directory() -> None:
    point = run_store().one("aws:efs/accessPoint:AccessPoint")
    assert point.inputs["posixUser"] == {"uid": 1000, "gid": 1000}
    assert point.inputs["rootDirectory"] == {
        "path": "/images",
        "creationInfo": {"ownerUid": 1000, "ownerGid": 1000, "permissions": "0755"},
    }


def test_access_point_owner_matches_user() -> None:
    point = run_store(posix_uid=101, posix_gid=102).one(
        "aws:efs/accessPoint:AccessPoint"
    )
    creation = point.inputs["rootDirectory"]["creationInfo"]
    assert creation["ownerUid"] == point.inputs["posixUser"]["uid"]
    assert creation["ownerGid"] == point.inputs["posixUser"]["gid"]


def file_system_policy(run: StackRun) -> dict[str, Any]:
    policy = run.one("aws:efs/fileSystemPolicy:FileSystemPolicy")
    return json.loads(policy.inputs["policy"])


def test_policy_denies_insecure_transport() -> None:
    statements = file_system_policy(run_store())["Statement"]
    deny = [s for s in statements if s["Sid"] == "DenyWithoutTls"][0]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_policy_allows_only_account_principals() -> None:
    run = run_store()
    statements = file_system_policy(run)["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    assert allows[0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert allows[0]["Resource"] == run.one(FILE_SYSTEM).outputs["arn"]
    assert allows[0]["Condition"] == {
        "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}
    }


def test_policy_denies_root_access() -> None:
    statements = file_system_policy(run_store())["Statement"]
    deny = [s for s in statements if s["Sid"] == "DenyRootAccess"][0]
    assert deny["Action"] == "elasticfilesystem:ClientRootAccess"


def granted_run(level: str) -> StackRun:
    def body() -> None:
        store = SharedImageStore("images", store_args())
        role = aws.iam.Role("reader", assume_role_policy="{}")
        group = aws.ec2.SecurityGroup("reader-tasks", vpc_id="vpc-0123456789abcdef0")
        if level == "read":
            store.grant_read(role, group)
        else:
            store.grant_read_write(role, group)

    return run_components(body)


@pytest.mark.parametrize(
    ("level", "actions"),
    [
        ("read", ["elasticfilesystem:ClientMount"]),
        (
            "read-write",
            ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        ),
    ],
)
def test_grant_adds_role_policy(level: str, actions: list[str]) -> None:
    run = granted_run(level)
    policy = run.one("aws:iam/rolePolicy:RolePolicy")
    statement = json.loads(policy.inputs["policy"])["Statement"][0]
    assert statement["Action"] == actions
    assert statement["Resource"] == run.one(FILE_SYSTEM).outputs["arn"]
    access_point_arn = run.one("aws:efs/accessPoint:AccessPoint").outputs["arn"]
    assert statement["Condition"]["StringEquals"] == {
        "elasticfilesystem:AccessPointArn": access_point_arn
    }
    assert policy.inputs["role"] == run.by_name("reader").id


def test_grant_opens_nfs_both_ways() -> None:
    run = granted_run("read")
    client = run.by_name("reader-tasks").id
    mount_group = run.by_name("images-nfs").id
    ingress = run.one(INGRESS)
    egress = run.one(EGRESS)
    assert ingress.inputs["securityGroupId"] == mount_group
    assert ingress.inputs["referencedSecurityGroupId"] == client
    assert egress.inputs["securityGroupId"] == client
    assert egress.inputs["referencedSecurityGroupId"] == mount_group
    assert egress.inputs["fromPort"] == 2049


def test_grants_share_security_group_rules() -> None:
    def body() -> None:
        store = SharedImageStore("images", store_args())
        group = aws.ec2.SecurityGroup("shared", vpc_id="vpc-0123456789abcdef0")
        for role_name in ("one", "two"):
            store.grant_read(aws.iam.Role(role_name, assume_role_policy="{}"), group)

    run = run_components(body)
    assert len(run.of_type("aws:iam/rolePolicy:RolePolicy")) == 2
    assert len(run.of_type(INGRESS)) == 1


def test_second_grant_to_role_rejected() -> None:
    def body() -> None:
        store = SharedImageStore("images", store_args())
        role = aws.iam.Role("reader", assume_role_policy="{}")
        group = aws.ec2.SecurityGroup("reader-tasks", vpc_id="vpc-0123456789abcdef0")
        store.grant_read(role, group)
        store.grant_read_write(role, group)

    with pytest.raises(ValueError, match="'reader' already has a grant"):
        run_components(body)


def test_children_parented_to_store() -> None:
    run = run_store()
    store = run.one("retailassets:index:SharedImageStore")
    for registration in run.registrations:
        if registration is not store:
            assert registration.parent == store.urn, registration.name


def test_outputs_registered() -> None:
    run = run_store()
    store = run.one("retailassets:index:SharedImageStore")
    outputs = run.component_outputs[store.urn]
    assert outputs["file_system_id"].startswith("fs-")
    assert outputs["access_point_arn"].startswith(
        "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-"
    )
    assert outputs["file_system_dns_name"].endswith(".efs.us-east-1.amazonaws.com")
    assert len(outputs["mount_target_ids"]) == 2
    assert outputs["security_group_id"].startswith("sg-")


def test_two_stores_do_not_collide() -> None:
    def body() -> None:
        SharedImageStore("images", store_args())
        SharedImageStore("thumbnails", store_args())

    run = run_components(body)
    urns = [r.urn for r in run.registrations]
    assert len(urns) == len(set(urns))
    assert len(run.of_type(FILE_SYSTEM)) == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"throughput_mode": "turbo"}, "throughput_mode is 'turbo'; allowed"),
        ({"throughput_mode": "provisioned"}, "provisioned_throughput_mibps is not set"),
        (
            {"throughput_mode": "provisioned", "provisioned_throughput_mibps": 5000},
            "EFS allows 1 to 3414",
        ),
        ({"provisioned_throughput_mibps": 10}, "but throughput_mode is 'elastic'"),
        ({"transition_to_ia_days": 45}, "transition_to_ia_days is 45; allowed"),
        ({"images_path": "images"}, "images_path is 'images'; it must be an absolute"),
        ({"images_path": "/a/../b"}, "must not contain '.' or '..'"),
        ({"images_path": "/"}, "images_path is '/'"),
        ({"posix_uid": -1}, "posix_uid is -1; it must be between"),
        ({"posix_gid": "1000"}, "posix_gid must be an integer"),
        ({"directory_permissions": "755x"}, "directory_permissions is '755x'"),
        ({"directory_permissions": "07555"}, "give 3 or 4 octal digits"),
        ({"removal_policy": "keep"}, "removal_policy is 'keep'; allowed"),
        ({"backups": "false"}, "backups must be true or false"),
        (
            {"transition_to_primary_on_access": "no"},
            "transition_to_primary_on_access must be true or false",
        ),
        ({"transition_to_ia_days": 30.0}, "transition_to_ia_days must be an integer"),
        ({"kms_key_arn": ""}, "kms_key_arn is ''; it must be a non-empty string"),
        (
            {"nfs_client_security_group_ids": ["sg-1"]},
            "nfs_client_security_group_ids must be a mapping",
        ),
        ({"subnets": "subnet-1"}, "subnets must be a list"),
        ({"images_path": "/" + "a" * 40 + "!"}, "it must be an absolute path"),
        ({"images_path": "/" + "a" * 120}, "121 characters; EFS allows at most 100"),
        ({"vpc_id": None}, "needs vpc_id and subnets"),
        (
            {
                "subnets": [
                    {
                        "subnet_id": "subnet-1",
                        "availability_zone": pulumi.Output.from_input("us-east-1a"),
                    },
                    {"subnet_id": "subnet-2", "availability_zone": "us-east-1b"},
                ]
            },
            "availability_zone must be a plain value",
        ),
    ],
)
def test_invalid_args_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        run_store(**overrides)


EXISTING = {
    "file_system_id": "fs-0123456789abcdef0",
    "file_system_arn": (
        "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/"
        "fs-0123456789abcdef0"
    ),
    "access_point_id": "fsap-0123456789abcdef0",
    "access_point_arn": (
        "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/"
        "fsap-0123456789abcdef0"
    ),
    "security_group_id": "sg-0123456789abcdef0",
    "mount_target_ids": ["fsmt-01", "fsmt-02"],
    "availability_zones": ["us-east-1a", "us-east-1b"],
}


def test_existing_file_system_creates_nothing() -> None:
    run = run_components(
        lambda: SharedImageStore("images", {"existing_file_system": EXISTING})
    )
    assert [r.type for r in run.registrations] == [
        "retailassets:index:SharedImageStore"
    ]
    outputs = run.component_outputs[run.registrations[0].urn]
    assert outputs["file_system_id"] == EXISTING["file_system_id"]


def test_existing_with_create_settings_rejected() -> None:
    args = {
        "existing_file_system": EXISTING,
        "kms_key_arn": "arn:aws:kms:x",
        "backups": True,
    }
    with pytest.raises(ValueError, match="together with kms_key_arn, backups"):
        run_components(lambda: SharedImageStore("images", args))  # type: ignore[arg-type]
