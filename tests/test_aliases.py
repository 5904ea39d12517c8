"""Aliases from `components._aliases`, as the engine receives them."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pulumi
import pulumi_aws as aws
import pytest
from conftest import run_components

import components
from components import (
    HighlyAvailableAssetsService,
    ImagePublisher,
    SharedImageStore,
    assets_service,
    image_publisher,
    shared_image_store,
)
from components._aliases import (
    FormerChild,
    RenamedChildren,
    aliases_for,
    check_renamed_children,
)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"


class _AliasProbe(pulumi.ComponentResource):
    """A component with one child named `<name>-<suffix>`, as the real ones."""

    def __init__(self, name: str, suffix: str, renamed: RenamedChildren) -> None:
        super().__init__("retailassets:index:AliasProbe", name, None, None)
        aws.ec2.SecurityGroup(
            f"{name}-{suffix}",
            vpc_id="vpc-0123456789abcdef0",
            opts=pulumi.ResourceOptions(
                parent=self, aliases=aliases_for(name, suffix, renamed)
            ),
        )
        self.register_outputs({})


def child_aliases(suffix: str, renamed: RenamedChildren) -> list[str]:
    run = run_components(lambda: _AliasProbe("images", suffix, renamed))
    return run.one(SECURITY_GROUP).aliases


def test_renamed_child_aliases_old_name() -> None:
    aliases = child_aliases("nfs", {"nfs": ["mount-group"]})
    assert aliases == ["name=images-mount-group type=<same> parent=<same parent>"]


def test_every_earlier_name_is_aliased() -> None:
    aliases = child_aliases("nfs", {"nfs": ["sg", "mount-group"]})
    assert "name=images-sg type=<same> parent=<same parent>" in aliases
    assert "name=images-mount-group type=<same> parent=<same parent>" in aliases
    assert len(aliases) == 2


def test_child_moved_from_stack_root() -> None:
    aliases = child_aliases("nfs", {"nfs": [FormerChild("nfs", at_stack_root=True)]})
    assert aliases == ["name=images-nfs type=<same> parent=<no parent>"]


def test_unlisted_child_has_no_aliases() -> None:
    assert child_aliases("nfs", {"fs": ["file-system"]}) == []


def test_alias_keeps_the_child_urn() -> None:
    run = run_components(lambda: _AliasProbe("images", "nfs", {"nfs": ["sg"]}))
    group = run.one(SECURITY_GROUP)
    assert group.name == "images-nfs"
    assert group.parent.endswith("retailassets:index:AliasProbe::images")


def test_own_suffix_is_rejected() -> None:
    with pytest.raises(ValueError, match="lists its own suffix as an earlier one"):
        aliases_for("images", "nfs", {"nfs": ["nfs"]})


def test_shared_earlier_suffix_is_rejected() -> None:
    renamed = {"nfs": ["sg"], "nfs-group": ["sg"]}
    with pytest.raises(
        ValueError, match="earlier child 'sg' is claimed by both 'nfs' and 'nfs-group'"
    ):
        check_renamed_children(renamed)


def test_string_entry_is_rejected() -> None:
    with pytest.raises(
        ValueError,
        match=r"is the string .sg., not a list. Give a list of earlier suffixes",
    ):
        check_renamed_children({"nfs": "sg"})  # type: ignore[dict-item]


def test_empty_suffix_is_rejected() -> None:
    with pytest.raises(ValueError, match="invalid earlier suffix of 'nfs': ''"):
        check_renamed_children({"nfs": [""]})


def _modules_with_rename_tables() -> list[ModuleType]:
    found = []
    for info in pkgutil.iter_modules(components.__path__):
        module = importlib.import_module(f"components.{info.name}")
        if hasattr(module, "_RENAMED_CHILDREN"):
            found.append(module)
    return found


@pytest.mark.parametrize(
    "module", _modules_with_rename_tables(), ids=lambda module: module.__name__
)
def test_component_rename_table_is_consistent(module: ModuleType) -> None:
    check_renamed_children(module._RENAMED_CHILDREN)


SUBNETS = [
    {"subnet_id": "subnet-0a", "availability_zone": "us-east-1a"},
    {"subnet_id": "subnet-0b", "availability_zone": "us-east-1b"},
]
VPC_ID = "vpc-0123456789abcdef0"


def build_all() -> None:
    store = SharedImageStore("images", {"vpc_id": VPC_ID, "subnets": SUBNETS})
    HighlyAvailableAssetsService(
        "assets",
        {
            "vpc_id": VPC_ID,
            "subnets": SUBNETS,
            "load_balancer_subnet_ids": ["subnet-0a", "subnet-0b"],
            "load_balancer_ingress_cidrs": ["10.0.0.0/16"],
            "image_store": store.mount_args(),
        },
    )
    ImagePublisher(
        "publisher",
        {
            "vpc_id": VPC_ID,
            "subnet_ids": ["subnet-0a", "subnet-0b"],
            "image_store": store.mount_args(),
        },
    )


@pytest.mark.parametrize(
    ("module", "current", "earlier"),
    [
        (shared_image_store, "images-fs", "images-efs"),
        (shared_image_store, "images-mount-us-east-1a", "images-target-us-east-1a"),
        (assets_service, "assets-service", "assets-ecs-service"),
        # Created by a helper in efs_access, still under the component.
        (assets_service, "assets-nfs-in", "assets-efs-in"),
        (image_publisher, "publisher-sync", "publisher-function"),
    ],
)
def test_renamed_child_keeps_state(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, current: str, earlier: str
) -> None:
    _, suffix = current.split("-", 1)
    old_suffix = earlier.split("-", 1)[1]
    monkeypatch.setattr(module, "_RENAMED_CHILDREN", {suffix: [old_suffix]})
    run = run_components(build_all)
    child = run.by_name(current)
    assert child.aliases[0] == f"name={earlier} type=<same> parent=<same parent>"
    carriers = [
        r.name
        for r in run.registrations
        if any(alias.startswith(f"name={earlier} ") for alias in r.aliases)
    ]
    assert carriers == [current]


def test_renamed_file_system_stays_protected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_image_store, "_RENAMED_CHILDREN", {"fs": ["efs"]})
    run = run_components(
        lambda: SharedImageStore("images", {"vpc_id": VPC_ID, "subnets": SUBNETS})
    )
    file_system = run.one(FILE_SYSTEM)
    assert file_system.aliases == ["name=images-efs type=<same> parent=<same parent>"]
    assert file_system.protect is True


def test_inconsistent_table_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_image_store, "_RENAMED_CHILDREN", {"fs": ["fs"]})
    with pytest.raises(ValueError, match="lists its own suffix"):
        run_components(
            lambda: SharedImageStore("images", {"vpc_id": VPC_ID, "subnets": SUBNETS})
        )
