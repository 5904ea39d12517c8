"""The stack's network: a new awsx VPC or an existing one from config."""

from __future__ import annotations

import dataclasses

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from components.network import SubnetArgs

from .config import ConfigError, StackConfig


@dataclasses.dataclass
class Network:
    """The VPC and subnets the components are placed in."""

    vpc_id: pulumi.Input[str]
    cidr_block: pulumi.Input[str]
    private_subnets: list[SubnetArgs]
    public_subnet_ids: pulumi.Input[list[str]]


def create_vpc(name: str, config: StackConfig) -> Network:
    """Create a VPC with private and public subnets in the configured AZs."""
    zones = list(config["availabilityZones"])
    strategy = "Single" if config["natGateways"] == "single" else "OnePerAz"
    vpc = awsx.ec2.Vpc(
        name,
        cidr_block=config["vpcCidr"],
        availability_zone_names=zones,
        enable_dns_support=True,
        enable_dns_hostnames=True,
        nat_gateways={"strategy": strategy},
        subnet_strategy="Auto",
        subnet_specs=[{"type": "Private"}, {"type": "Public"}],
        # Image syncs read S3 through this endpoint instead of the NAT gateway.
        vpc_endpoint_specs=[
            {
                "service_name": f"com.amazonaws.{config.region}.s3",
                "vpc_endpoint_type": "Gateway",
                "auto_accept": True,
            }
        ],
        tags={"Name": name},
    )
    # NOTE: awsx lists a VPC's private subnets in the order of
    # availability_zone_names, one per zone with these subnet specs, so the
    # index is the zone.
    private_subnets: list[SubnetArgs] = [
        {
            "subnet_id": vpc.private_subnet_ids.apply(lambda ids, i=index: ids[i]),
            "availability_zone": zone,
        }
        for index, zone in enumerate(zones)
    ]
    return Network(
        vpc_id=vpc.vpc_id,
        cidr_block=config["vpcCidr"],
        private_subnets=private_subnets,
        public_subnet_ids=vpc.public_subnet_ids,
    )


def existing_network(config: StackConfig) -> Network:
    """Look up the configured VPC and subnets, and check where they lie.

    The lookups run while the program runs, so a subnet in another VPC, two
    subnets in one AZ or a VPC without DNS support is reported before any
    resource is created.
    """
    vpc_id = config["existingVpcId"]
    vpc = aws.ec2.get_vpc(id=vpc_id)
    problems = []
    if not (vpc.enable_dns_support and vpc.enable_dns_hostnames):
        problems.append(
            f"VPC {vpc_id} has DNS support {vpc.enable_dns_support} and DNS "
            f"hostnames {vpc.enable_dns_hostnames}; EFS mounts by DNS name, so "
            "enable both on the VPC."
        )
    private_subnets: list[SubnetArgs] = []
    seen_zones: dict[str, str] = {}
    for subnet_id in config["existingPrivateSubnetIds"]:
        subnet = aws.ec2.get_subnet(id=subnet_id)
        if subnet.vpc_id != vpc_id:
            problems.append(
                f"existingPrivateSubnetIds has {subnet_id}, which is in "
                f"{subnet.vpc_id}, not existingVpcId {vpc_id}."
            )
        if subnet.map_public_ip_on_launch:
            problems.append(
                f"existingPrivateSubnetIds has {subnet_id}, which assigns public "
                "IPs on launch; give private subnets."
            )
        zone = subnet.availability_zone
        if zone in seen_zones:
            problems.append(
                f"existingPrivateSubnetIds has {seen_zones[zone]} and {subnet_id}, "
                f"both in {zone}; EFS allows one mount target per AZ, so give one "
                "subnet per AZ."
            )
            continue
        seen_zones[zone] = subnet_id
        private_subnets.append({"subnet_id": subnet_id, "availability_zone": zone})
    if len(seen_zones) < 2 and not problems:
        problems.append(
            f"existingPrivateSubnetIds covers {len(seen_zones)} AZ(s); give "
            "subnets in at least two."
        )
    problems += _check_public_subnets(config, vpc_id)
    if problems:
        raise ConfigError(problems)
    return Network(
        vpc_id=vpc_id,
        cidr_block=vpc.cidr_block,
        private_subnets=private_subnets,
        public_subnet_ids=list(config["existingPublicSubnetIds"]),
    )


def _check_public_subnets(config: StackConfig, vpc_id: str) -> list[str]:
    """Return problems with the load balancer's public subnets, if given."""
    problems = []
    public_ids = list(config["existingPublicSubnetIds"])
    duplicates = sorted({i for i in public_ids if public_ids.count(i) > 1})
    if duplicates:
        problems.append(
            f"existingPublicSubnetIds lists {', '.join(duplicates)} more than once."
        )
    for subnet_id in dict.fromkeys(public_ids):
        subnet = aws.ec2.get_subnet(id=subnet_id)
        if subnet.vpc_id != vpc_id:
            problems.append(
                f"existingPublicSubnetIds has {subnet_id}, which is in "
                f"{subnet.vpc_id}, not existingVpcId {vpc_id}."
            )
    return problems
