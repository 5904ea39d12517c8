"""examples/existing-vpc, evaluated under the offline AWS mocks.

The example imports `components` from the repository root, which pytest puts
on `sys.path` (`pythonpath` in pyproject.toml). Under `pulumi up` it comes
from the example's editable install instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline import engine
from offline.aws import AwsMocks, default_existing_network

PROGRAM = Path(__file__).resolve().parent.parent / "examples/existing-vpc/__main__.py"
PROJECT = "assets-on-existing-vpc"
CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/platform"
NAMESPACE_ARN = (
    "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-platform0000001"
)

FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
SERVICE = "aws:ecs/service:Service"
NOT_CREATED = (
    "awsx:ec2:Vpc",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ecs/cluster:Cluster",
    "aws:servicediscovery/httpNamespace:HttpNamespace",
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace",
)

_VPCS, _SUBNETS = default_existing_network()
VPC_ID = _VPCS[0].id
PRIVATE_SUBNETS = [
    {"id": subnet.id, "availabilityZone": subnet.availability_zone}
    for subnet in _SUBNETS
    if not subnet.map_public_ip_on_launch
]


def example_config(**overrides: object) -> dict[str, str]:
    """Return the example's stack config, values encoded as the CLI passes them."""
    values: dict[str, object] = {
        "vpcId": VPC_ID,
        "privateSubnets": PRIVATE_SUBNETS,
        "ingressCidrs": [_VPCS[0].cidr_block],
        "clusterArn": CLUSTER_ARN,
        "namespaceArn": NAMESPACE_ARN,
    }
    values.update(overrides)
    return {
        f"{PROJECT}:{key}": value if isinstance(value, str) else json.dumps(value)
        for key, value in values.items()
    }


def run_example(config: dict[str, str] | None = None) -> engine.StackRun:
    return engine.run_program_file(
        PROGRAM,
        AwsMocks(),
        project=PROJECT,
        stack="test",
        config=config if config is not None else example_config(),
    )


@pytest.fixture(scope="module")
def example_run() -> engine.StackRun:
    return run_example()


@pytest.mark.parametrize("type_token", NOT_CREATED)
def test_example_creates_no_platform(
    example_run: engine.StackRun, type_token: str
) -> None:
    assert example_run.of_type(type_token) == []


def test_mount_targets_use_configured_subnets(example_run: engine.StackRun) -> None:
    subnet_ids = sorted(
        target.inputs["subnetId"] for target in example_run.of_type(MOUNT_TARGET)
    )
    assert subnet_ids == sorted(subnet["id"] for subnet in PRIVATE_SUBNETS)


def test_mount_targets_named_by_zone(example_run: engine.StackRun) -> None:
    names = sorted(target.name for target in example_run.of_type(MOUNT_TARGET))
    expected = sorted(
        f"shop-images-mount-{subnet['availabilityZone']}" for subnet in PRIVATE_SUBNETS
    )
    assert names == expected


def test_every_name_has_prefix(example_run: engine.StackRun) -> None:
    for registration in example_run.registrations:
        assert registration.name.startswith("shop-"), registration.name


def test_custom_prefix_names_resources() -> None:
    run = run_example(example_config(namePrefix="qa"))
    assert run.one(FILE_SYSTEM).name == "qa-images-fs"


def test_store_is_not_protected(example_run: engine.StackRun) -> None:
    file_system = example_run.one(FILE_SYSTEM)
    assert file_system.protect is False
    assert file_system.retain_on_delete is False


def test_service_runs_in_given_cluster(example_run: engine.StackRun) -> None:
    assert example_run.one(SERVICE).inputs["cluster"] == CLUSTER_ARN


def test_service_uses_given_namespace(example_run: engine.StackRun) -> None:
    connect = example_run.one(SERVICE).inputs["serviceConnectConfiguration"]
    assert connect["namespace"] == NAMESPACE_ARN


def test_security_groups_in_given_vpc(example_run: engine.StackRun) -> None:
    groups = example_run.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert groups
    for group in groups:
        assert group.inputs["vpcId"] == VPC_ID, group.name


def test_example_exports(example_run: engine.StackRun) -> None:
    outputs = example_run.stack_outputs
    assert outputs["serviceConnectUrl"] == "http://assets"
    assert outputs["url"].startswith("http://internal-")
    assert outputs["fileSystemId"].startswith("fs-")
    assert len(outputs["mountTargetIds"]) == len(PRIVATE_SUBNETS)


def test_subnet_without_zone_is_rejected() -> None:
    config = example_config(privateSubnets=[{"id": "subnet-0abc"}])
    with pytest.raises(
        ValueError,
        match=r"privateSubnets\[0\] is .*missing a string id or availabilityZone",
    ):
        run_example(config)


def test_subnets_not_a_list_are_rejected() -> None:
    config = example_config(privateSubnets={"id": "subnet-0abc"})
    with pytest.raises(ValueError, match="privateSubnets is .*, not a list"):
        run_example(config)
