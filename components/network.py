"""Network inputs and security group rules shared by the components."""

from typing import TypedDict

import pulumi
import pulumi_aws as aws


class SubnetArgs(TypedDict):
    """A subnet and the Availability Zone it lies in."""

    subnet_id: pulumi.Input[str]
    """The subnet's id, such as `subnet-0abc...`."""
    availability_zone: str
    """The subnet's Availability Zone name, such as `us-east-1a`.

    It must be known when the program runs: it names the children placed in
    that zone, so adding or removing a zone never renames the others.
    """


def allow_tcp(
    name: str,
    *,
    ingress: bool,
    security_group_id: pulumi.Input[str],
    port: int,
    description: str,
    opts: pulumi.ResourceOptions,
    peer_group_id: pulumi.Input[str] | None = None,
    cidr: str | None = None,
    prefix_list_id: pulumi.Input[str] | None = None,
) -> pulumi.CustomResource:
    """Allow one TCP port between a security group and one peer.

    The peer is another security group, an IPv4 CIDR range or a managed prefix
    list. The rule is a separate resource, so groups never mix inline rules
    with rule resources.
    """
    rule_type = (
        aws.vpc.SecurityGroupIngressRule if ingress else aws.vpc.SecurityGroupEgressRule
    )
    return rule_type(
        name,
        security_group_id=security_group_id,
        referenced_security_group_id=peer_group_id,
        cidr_ipv4=cidr,
        prefix_list_id=prefix_list_id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        description=description,
        opts=opts,
    )
