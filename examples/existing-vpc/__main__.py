"""The assets service in a VPC, ECS cluster and Cloud Map namespace that exist.

This program creates no network, cluster or namespace, because stack config
names existing ones. Every resource name starts with `<namePrefix>-`, and the
image store's file system is deleted with the stack, which suits a throwaway
stack only.
"""

from typing import Any

import pulumi

from components import (
    HighlyAvailableAssetsService,
    HighlyAvailableAssetsServiceArgs,
    RemovalPolicy,
    SharedImageStore,
    SubnetArgs,
)

config = pulumi.Config()


def read_private_subnets() -> list[SubnetArgs]:
    """Read `privateSubnets`, a list of `{id, availabilityZone}` objects."""
    raw: Any = config.require_object("privateSubnets")
    if not isinstance(raw, list):
        raise ValueError(
            f"privateSubnets is {raw!r}, not a list. Give a list such as "
            '[{"id": "subnet-0abc...", "availabilityZone": "us-east-1a"}].'
        )
    subnets: list[SubnetArgs] = []
    for index, entry in enumerate(raw):
        subnet_id = entry.get("id") if isinstance(entry, dict) else None
        zone = entry.get("availabilityZone") if isinstance(entry, dict) else None
        if not isinstance(subnet_id, str) or not isinstance(zone, str):
            raise ValueError(
                f"privateSubnets[{index}] is {entry!r}, which is missing a string "
                "id or availabilityZone. Give an object with both fields."
            )
        subnets.append({"subnet_id": subnet_id, "availability_zone": zone})
    return subnets


def read_ingress_cidrs() -> list[str]:
    """Read `ingressCidrs`, the CIDR ranges admitted to the load balancer."""
    raw: Any = config.require_object("ingressCidrs")
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        raise ValueError(
            f"ingressCidrs is {raw!r}, not a list of strings. Give CIDR ranges "
            "such as "
            '["10.20.0.0/16"].'
        )
    return raw


prefix = config.get("namePrefix") or "shop"
vpc_id = config.require("vpcId")
subnets = read_private_subnets()

# Storage: a throwaway stack, so no protection and no backups.
store = SharedImageStore(
    f"{prefix}-images",
    {
        "vpc_id": vpc_id,
        "subnets": subnets,
        "removal_policy": RemovalPolicy.DESTROY,
        "backups": False,
    },
)

# Compute: an internal load balancer in the same private subnets, in the
# cluster and namespace that the platform team runs.
service_args: HighlyAvailableAssetsServiceArgs = {
    "vpc_id": vpc_id,
    "subnets": subnets,
    "load_balancer_subnet_ids": [subnet["subnet_id"] for subnet in subnets],
    "load_balancer_ingress_cidrs": read_ingress_cidrs(),
    "image_store": store.mount_args(),
    "cluster_arn": config.require("clusterArn"),
    "namespace_arn": config.require("namespaceArn"),
}
image = config.get("image")
if image:
    service_args["image"] = image
service = HighlyAvailableAssetsService(f"{prefix}-assets", service_args)

pulumi.export("url", service.url)
pulumi.export("serviceConnectUrl", service.service_connect_url)
pulumi.export("serviceName", service.service_name)
pulumi.export("fileSystemId", store.file_system_id)
pulumi.export("accessPointId", store.access_point_id)
pulumi.export("mountTargetIds", store.mount_target_ids)
