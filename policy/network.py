"""Subnet and VPC facts for the policies.

Facts come from two places. Resources the stack registers carry their own:
`aws:ec2/subnet:Subnet` (zone, CIDR, VPC, `mapPublicIpOnLaunch`),
`aws:ec2/vpc:Vpc` and `awsx:ec2:Vpc` (DNS attributes, CIDR, subnet id
lists), and `aws:efs/mountTarget:MountTarget` (the zone of its subnet, an
output). A network that exists before the program runs is described by a
`NetworkFacts`, which the offline preview builds from its mocks and which a
real `pulumi preview` receives as policy configuration (`to_config`).
Registered resources win where both describe the same subnet or VPC.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from policy.resources import Resource, ResourceIndex, is_unknown, physical_id


@dataclasses.dataclass(frozen=True)
class VpcDns:
    """The two VPC attributes EFS mounts by DNS name depend on."""

    support: bool
    hostnames: bool


@dataclasses.dataclass(frozen=True)
class NetworkFacts:
    """Subnets and VPCs known from outside the stack's registrations."""

    subnet_zones: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Subnet id to Availability Zone name."""
    subnet_cidrs: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Subnet id to IPv4 CIDR block."""
    subnet_vpcs: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Subnet id to VPC id."""
    public_subnets: frozenset[str] = frozenset()
    """Subnets that assign public IPv4 addresses on launch."""
    vpc_dns: Mapping[str, VpcDns] = dataclasses.field(default_factory=dict)
    vpc_cidrs: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_existing_network(
        cls,
        vpcs: Iterable[Any] = (),
        subnets: Iterable[Any] = (),
        subnet_zones: Mapping[str, str] | None = None,
    ) -> NetworkFacts:
        """Build facts from objects shaped like `offline.aws.Vpc` and `Subnet`.

        A VPC needs `id`, `cidr_block`, `enable_dns_support` and
        `enable_dns_hostnames`; a subnet needs `id`, `vpc_id`,
        `availability_zone`, `cidr_block` and `map_public_ip_on_launch`.
        `subnet_zones` adds zones for subnets known only by id.
        """
        subnet_list = list(subnets)
        zones = {s.id: s.availability_zone for s in subnet_list}
        zones.update(subnet_zones or {})
        vpc_list = list(vpcs)
        return cls(
            subnet_zones=zones,
            subnet_cidrs={s.id: s.cidr_block for s in subnet_list},
            subnet_vpcs={s.id: s.vpc_id for s in subnet_list},
            public_subnets=frozenset(
                s.id for s in subnet_list if s.map_public_ip_on_launch
            ),
            vpc_dns={
                v.id: VpcDns(bool(v.enable_dns_support), bool(v.enable_dns_hostnames))
                for v in vpc_list
            },
            vpc_cidrs={v.id: v.cidr_block for v in vpc_list},
        )

    def to_config(self) -> dict[str, Any]:
        """Return the facts as policy configuration (JSON-compatible)."""
        return {
            "subnetZones": dict(self.subnet_zones),
            "subnetCidrs": dict(self.subnet_cidrs),
            "subnetVpcs": dict(self.subnet_vpcs),
            "publicSubnetIds": sorted(self.public_subnets),
            "vpcDns": {
                vpc: {"enableDnsSupport": d.support, "enableDnsHostnames": d.hostnames}
                for vpc, d in self.vpc_dns.items()
            },
            "vpcCidrs": dict(self.vpc_cidrs),
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> NetworkFacts:
        """Read facts back from policy configuration; absent keys are empty."""
        config = config or {}
        dns = config.get("vpcDns") or {}
        return cls(
            subnet_zones=dict(config.get("subnetZones") or {}),
            subnet_cidrs=dict(config.get("subnetCidrs") or {}),
            subnet_vpcs=dict(config.get("subnetVpcs") or {}),
            public_subnets=frozenset(config.get("publicSubnetIds") or ()),
            vpc_dns={
                vpc: VpcDns(
                    bool(value.get("enableDnsSupport", True)),
                    bool(value.get("enableDnsHostnames", False)),
                )
                for vpc, value in dns.items()
            },
            vpc_cidrs=dict(config.get("vpcCidrs") or {}),
        )


NETWORK_CONFIG_PROPERTIES: dict[str, dict[str, Any]] = {
    "subnetZones": {
        "type": "object",
        "description": "Subnet id to Availability Zone, for subnets the stack "
        "does not create.",
        "additionalProperties": {"type": "string"},
    },
    "subnetCidrs": {
        "type": "object",
        "description": "Subnet id to IPv4 CIDR block.",
        "additionalProperties": {"type": "string"},
    },
    "subnetVpcs": {
        "type": "object",
        "description": "Subnet id to VPC id.",
        "additionalProperties": {"type": "string"},
    },
    "publicSubnetIds": {
        "type": "array",
        "description": "Subnets that assign public IPv4 addresses on launch.",
        "items": {"type": "string"},
    },
    "vpcDns": {
        "type": "object",
        "description": "VPC id to its enableDnsSupport and enableDnsHostnames.",
        "additionalProperties": {"type": "object"},
    },
    "vpcCidrs": {
        "type": "object",
        "description": "VPC id to IPv4 CIDR block.",
        "additionalProperties": {"type": "string"},
    },
}
"""Policy configuration schema for `NetworkFacts.to_config()`."""


@dataclasses.dataclass
class Network:
    """Merged subnet and VPC facts for one stack; None means unknown."""

    subnet_zones: dict[str, str] = dataclasses.field(default_factory=dict)
    subnet_cidrs: dict[str, str] = dataclasses.field(default_factory=dict)
    subnet_vpcs: dict[str, str] = dataclasses.field(default_factory=dict)
    public_subnets: set[str] = dataclasses.field(default_factory=set)
    public_subnet_sources: dict[str, str] = dataclasses.field(default_factory=dict)
    """Public subnet id to the resource or fact that marks it public."""
    vpc_dns: dict[str, VpcDns] = dataclasses.field(default_factory=dict)
    vpc_cidrs: dict[str, str] = dataclasses.field(default_factory=dict)
    vpc_labels: dict[str, str] = dataclasses.field(default_factory=dict)
    """VPC id to the resource that declares it, for messages."""

    def zone(self, subnet_id: str) -> str | None:
        """Return a subnet's Availability Zone, or None when unknown."""
        return self.subnet_zones.get(subnet_id)

    def vpc_of(self, subnet_id: str) -> str | None:
        """Return a subnet's VPC id, or None when unknown."""
        return self.subnet_vpcs.get(subnet_id)

    def cidr_covers_subnet(self, cidr: str, subnet_id: str) -> bool | None:
        """Return whether `cidr` contains every address of the subnet.

        None means the subnet's range is not known and neither is a VPC
        range the CIDR would contain.
        """
        rule_network = _network(cidr)
        if rule_network is None:
            return False
        subnet_cidr = self.subnet_cidrs.get(subnet_id)
        if subnet_cidr is not None:
            subnet_network = _network(subnet_cidr)
            if subnet_network is not None:
                return _contains(rule_network, subnet_network)
        vpc_cidr = self.vpc_cidrs.get(self.subnet_vpcs.get(subnet_id, ""))
        vpc_network = _network(vpc_cidr) if vpc_cidr else None
        if vpc_network is not None and _contains(rule_network, vpc_network):
            return True
        if rule_network.prefixlen == 0:
            return True
        return None


def _network(cidr: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if not isinstance(cidr, str) or is_unknown(cidr):
        return None
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def _contains(
    outer: ipaddress.IPv4Network | ipaddress.IPv6Network,
    inner: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> bool:
    if outer.version != inner.version:
        return False
    return inner.subnet_of(outer)  # type: ignore[arg-type]


def build_network(index: ResourceIndex, facts: NetworkFacts | None) -> Network:
    """Merge caller facts with what the stack's own resources declare."""
    facts = facts or NetworkFacts()
    network = Network(
        subnet_zones=dict(facts.subnet_zones),
        subnet_cidrs=dict(facts.subnet_cidrs),
        subnet_vpcs=dict(facts.subnet_vpcs),
        public_subnets=set(facts.public_subnets),
        public_subnet_sources={
            s: "the public subnet list passed in" for s in facts.public_subnets
        },
        vpc_dns=dict(facts.vpc_dns),
        vpc_cidrs=dict(facts.vpc_cidrs),
    )
    for vpc in index.of_type("aws:ec2/vpc:Vpc"):
        _add_aws_vpc(network, vpc)
    for vpc in index.of_type("awsx:ec2:Vpc"):
        _add_awsx_vpc(network, vpc)
    for subnet in index.of_type("aws:ec2/subnet:Subnet"):
        _add_subnet(network, subnet)
    for target in index.of_type("aws:efs/mountTarget:MountTarget"):
        subnet_id, zone = target.get("subnetId"), target.get("availabilityZoneName")
        if _known_text(subnet_id) and _known_text(zone):
            network.subnet_zones.setdefault(subnet_id, zone)
    return network


def _known_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and not is_unknown(value)


def _known_bool(value: Any, default: bool) -> bool | None:
    if value is None:
        return default
    if is_unknown(value):
        return None
    return bool(value)


def _add_aws_vpc(network: Network, vpc: Resource) -> None:
    vpc_id = physical_id(vpc)
    if not vpc_id:
        return
    # pulumi-aws defaults: DNS support on, DNS hostnames off.
    support = _known_bool(vpc.props.get("enableDnsSupport"), True)
    hostnames = _known_bool(vpc.props.get("enableDnsHostnames"), False)
    if support is not None and hostnames is not None:
        network.vpc_dns[vpc_id] = VpcDns(support, hostnames)
    if _known_text(vpc.get("cidrBlock")):
        network.vpc_cidrs[vpc_id] = vpc.get("cidrBlock")
    network.vpc_labels[vpc_id] = vpc.label


def _add_awsx_vpc(network: Network, vpc: Resource) -> None:
    vpc_id = vpc.get("vpcId")
    if not _known_text(vpc_id):
        return
    # awsx passes these straight to aws.ec2.Vpc, so the same defaults apply.
    support = _known_bool(vpc.props.get("enableDnsSupport"), True)
    hostnames = _known_bool(vpc.props.get("enableDnsHostnames"), False)
    if support is not None and hostnames is not None:
        network.vpc_dns[vpc_id] = VpcDns(support, hostnames)
    if _known_text(vpc.get("cidrBlock")):
        network.vpc_cidrs[vpc_id] = vpc.get("cidrBlock")
    network.vpc_labels[vpc_id] = vpc.label
    zones = vpc.get("availabilityZoneNames")
    for kind in ("publicSubnetIds", "privateSubnetIds", "isolatedSubnetIds"):
        ids = vpc.get(kind)
        if not isinstance(ids, list):
            continue
        known_ids = [s for s in ids if _known_text(s)]
        for subnet_id in known_ids:
            network.subnet_vpcs.setdefault(subnet_id, vpc_id)
            if kind == "publicSubnetIds":
                network.public_subnets.add(subnet_id)
                network.public_subnet_sources[subnet_id] = (
                    f"{vpc.label} lists it in publicSubnetIds"
                )
        # awsx creates one subnet of each kind per zone, in zone order, so
        # with one id per zone the n-th id lies in the n-th zone.
        if isinstance(zones, list) and len(zones) == len(known_ids) == len(ids):
            for subnet_id, zone in zip(known_ids, zones, strict=True):
                if _known_text(zone):
                    network.subnet_zones.setdefault(subnet_id, zone)


def _add_subnet(network: Network, subnet: Resource) -> None:
    subnet_id = physical_id(subnet)
    if not subnet_id:
        return
    if _known_text(subnet.get("availabilityZone")):
        network.subnet_zones[subnet_id] = subnet.get("availabilityZone")
    if _known_text(subnet.get("cidrBlock")):
        network.subnet_cidrs[subnet_id] = subnet.get("cidrBlock")
    if _known_text(subnet.get("vpcId")):
        network.subnet_vpcs[subnet_id] = subnet.get("vpcId")
    if subnet.get("mapPublicIpOnLaunch") is True:
        network.public_subnets.add(subnet_id)
        network.public_subnet_sources[subnet_id] = (
            f"{subnet.label} sets mapPublicIpOnLaunch"
        )
