"""The stack program: config validation, network choices and the dev stack."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import PROJECT, dev_config, run_program

from offline import engine
from offline.aws import AwsMocks, Subnet, Vpc
from offline.engine import RecordingMonitor, StackRun
from offline.preview import PROGRAM
from program.config import KEYS, ConfigError, validate


def test_dev_stack_exports(dev_run: StackRun) -> None:
    outputs = dev_run.stack_outputs
    assert set(outputs) >= {
        "url",
        "fileSystemId",
        "accessPointId",
        "serviceName",
        "clusterName",
    }
    assert outputs["url"].startswith("http://internal-")
    assert outputs["fileSystemId"].startswith("fs-")
    assert outputs["accessPointId"].startswith("fsap-")
    assert outputs["clusterName"] == "retail-store-ecs-cluster"


def test_dev_vpc_has_dns_and_endpoint(dev_run: StackRun) -> None:
    vpc = dev_run.one("awsx:ec2:Vpc").inputs
    assert vpc["enableDnsSupport"] is True
    assert vpc["enableDnsHostnames"] is True
    assert vpc["natGateways"] == {"strategy": "Single"}
    assert vpc["availabilityZoneNames"] == ["us-east-1a", "us-east-1b"]
    endpoint = vpc["vpcEndpointSpecs"][0]
    assert endpoint["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert endpoint["vpcEndpointType"] == "Gateway"


def test_nat_gateway_per_zone_option() -> None:
    run = run_program(dev_config(natGateways="onePerAz"))
    assert run.one("awsx:ec2:Vpc").inputs["natGateways"] == {"strategy": "OnePerAz"}


def test_mount_targets_cover_service_subnets(dev_run: StackRun) -> None:
    service = dev_run.one("aws:ecs/service:Service")
    subnets = set(service.inputs["networkConfiguration"]["subnets"])
    mounted = {
        t.inputs["subnetId"] for t in dev_run.of_type("aws:efs/mountTarget:MountTarget")
    }
    assert subnets == mounted


def test_internal_lb_admits_vpc_range(dev_run: StackRun) -> None:
    rules = [
        r
        for r in dev_run.of_type(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
        )
        if r.inputs.get("cidrIpv4")
    ]
    assert [r.inputs["cidrIpv4"] for r in rules] == ["10.0.0.0/16"]


def test_pulumi_yaml_declares_every_key() -> None:
    project = yaml.safe_load((PROGRAM.parent / "Pulumi.yaml").read_text())
    declared = project["config"]
    assert set(declared) == {key.name for key in KEYS}
    for key in KEYS:
        assert declared[key.name]["type"] == key.type, key.name
        assert declared[key.name]["default"] == key.default, key.name
        assert declared[key.name]["description"] == key.description, key.name


def test_dev_stack_sets_known_keys() -> None:
    stack = yaml.safe_load((PROGRAM.parent / "Pulumi.dev.yaml").read_text())
    names = {key.name for key in KEYS}
    for key in stack["config"]:
        namespace, name = key.split(":")
        assert namespace in (PROJECT, "aws"), key
        if namespace == PROJECT:
            assert name in names, key


def raw(**values: str) -> dict[str, str | None]:
    base: dict[str, str | None] = {"availabilityZones": '["us-east-1a","us-east-1b"]'}
    base.update(values)
    return base


def test_defaults_validate() -> None:
    config = validate(raw(), "us-east-1")
    assert config["desiredCount"] == 2


def test_every_invalid_key_reported_together() -> None:
    with pytest.raises(ConfigError) as caught:
        validate(
            raw(desiredCount="1", cpu="300", logRetentionDays="10", natGateways="two"),
            "us-east-1",
        )
    problems = caught.value.problems
    assert any(p.startswith("desiredCount is 1") for p in problems)
    assert any(p.startswith("cpu is 300") for p in problems)
    assert any(p.startswith("logRetentionDays is 10") for p in problems)
    assert any(p.startswith("natGateways is 'two'") for p in problems)
    assert len(problems) == 4


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"desiredCount": "one"}, "desiredCount is 'one'; it must be a whole number"),
        ({"backups": "yes"}, "backups is 'yes'; it must be true or false"),
        (
            {"ingressCidrs": "10.0.0.0/8"},
            "ingressCidrs is '10.0.0.0/8'; it must be a list",
        ),
        ({"availabilityZones": '["us-east-1a"]'}, "give at least two different AZs"),
        (
            {"availabilityZones": '["us-west-2a","us-west-2b"]'},
            "outside aws:region us-east-1",
        ),
        ({"vpcCidr": "10.0.0.0/8"}, "a VPC needs an IPv4 range from /16 to /24"),
        ({"vpcCidr": "banana"}, "vpcCidr is 'banana', which is not a CIDR range"),
        ({"memory": "4096"}, "memory is 4096 MiB; with cpu 256"),
        ({"maxCount": "1"}, "maxCount is 1; it must be between 2 and 1000"),
        ({"cpuTargetPercent": "5"}, "cpuTargetPercent is 5"),
        ({"loadBalancerScheme": "public"}, "loadBalancerScheme is 'public'"),
        (
            {"loadBalancerScheme": "internet-facing"},
            "internet-facing but ingressCidrs is empty",
        ),
        ({"ingressCidrs": '["10.0.0.1/8"]'}, r"ingressCidrs\[0\] is '10.0.0.1/8'"),
        ({"certificateArn": "cert"}, "certificateArn is 'cert'; give an ARN"),
        ({"existingClusterArn": "cluster"}, "existingClusterArn is 'cluster'"),
        ({"throughputMode": "provisioned"}, "provisionedThroughputMibps is 0"),
        ({"provisionedThroughputMibps": "10"}, "but throughputMode is elastic"),
        ({"transitionToIaDays": "2"}, "transitionToIaDays is 2; allowed values"),
        ({"kmsKeyArn": "alias/x"}, "kmsKeyArn is 'alias/x'"),
        ({"imagesPath": "images"}, "imagesPath is 'images'"),
        ({"storeRemovalPolicy": "keep"}, "storeRemovalPolicy is 'keep'"),
        ({"existingPrivateSubnetIds": '["subnet-1"]'}, "existingVpcId is not"),
        ({"existingVpcId": "vpc-1"}, "existingVpcId is 'vpc-1'"),
        (
            {
                "existingNamespaceArn": "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1",
                "serviceConnect": "false",
            },
            "serviceConnect is false",
        ),
        ({"allowedImageExtensions": '["jpg"]'}, "allowedImageExtensions has 'jpg'"),
        ({"maxImageBytes": "0"}, "maxImageBytes is 0"),
        ({"clusterName": "my cluster"}, "clusterName is 'my cluster'"),
        ({"desiredCount": "1_0"}, "desiredCount is '1_0'; it must be a whole number"),
        ({"desiredCount": "\u0663"}, "it must be a whole number"),
        ({"image": ""}, "image is ''; give a container image reference"),
        ({"image": "nginx latest"}, "image is 'nginx latest'"),
        ({"namespaceName": ""}, "namespaceName is ''; give a DNS name"),
        ({"namespaceName": "Retail_Store"}, "namespaceName is 'Retail_Store'"),
        (
            {"accessLogsBucket": "Not A Bucket!!"},
            "accessLogsBucket is 'Not A Bucket!!'",
        ),
        (
            {"ingressCidrs": '["::/0"]'},
            "an IPv6 range; the load balancer listens on IPv4 only",
        ),
        (
            {"ingressCidrs": '["10.0.0.0/16", "10.0.0.0/16"]'},
            r"the same range as ingressCidrs\[0\]",
        ),
        ({"allowedImageExtensions": "[]"}, "allowedImageExtensions is empty"),
        ({"allowedImageExtensions": '[".php"]'}, "'.php', which is not an image type"),
        ({"imagesPath": "/"}, "imagesPath is '/'; give a directory"),
        ({"imagesPath": "/" + "a" * 40 + "!"}, "imagesPath is '/a"),
        (
            {"certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc-1"},
            "certificateArn is in eu-west-1, but aws:region is us-east-1",
        ),
    ],
)
def test_invalid_value_rejected(values: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate(raw(**values), "us-east-1")


def test_parse_error_hides_no_other_key() -> None:
    with pytest.raises(ConfigError) as caught:
        validate(raw(cpu="abc", desiredCount="1", vpcCidr="nope"), "us-east-1")
    problems = caught.value.problems
    assert any(p.startswith("cpu is 'abc'") for p in problems)
    assert any(p.startswith("desiredCount is 1") for p in problems)
    assert any(p.startswith("vpcCidr is 'nope'") for p in problems)


def test_unparsed_key_skips_its_rules() -> None:
    with pytest.raises(ConfigError) as caught:
        validate(raw(cpu="abc", memory="4096"), "us-east-1")
    assert [p for p in caught.value.problems if "memory" in p] == []


def test_unknown_key_suggests_close_match() -> None:
    config = dev_config(desiredcount="3")
    with pytest.raises(
        ConfigError,
        match="retail-assets:desiredcount is not a config key of this project; did you mean desiredCount",
    ):
        run_program(config)


def test_other_namespaces_are_not_checked() -> None:
    run = run_program({**dev_config(), "aws:profile": "dev"})
    assert run.stack_outputs["clusterName"] == "retail-store-ecs-cluster"


def test_missing_region_rejected() -> None:
    with pytest.raises(ConfigError, match="aws:region is not set"):
        validate(raw(), "")


def test_error_says_nothing_created() -> None:
    with pytest.raises(ConfigError, match="nothing was created"):
        validate(raw(desiredCount="1"), "us-east-1")


def test_invalid_config_creates_nothing() -> None:
    mocks = AwsMocks()
    monitor = RecordingMonitor(mocks)
    with pytest.raises(ConfigError):
        engine.run_program_file(
            PROGRAM,
            mocks,
            project=PROJECT,
            stack="dev",
            config=dev_config(desiredCount="1"),
            monitor=monitor,
        )
    assert monitor.registrations == []


EXISTING_VPC = "vpc-0a1b2c3d4e5f60718"


def existing_mocks(*subnets: Subnet, dns: bool = True) -> AwsMocks:
    return AwsMocks(
        vpcs=[
            Vpc(
                id=EXISTING_VPC,
                cidr_block="10.20.0.0/16",
                enable_dns_support=dns,
                enable_dns_hostnames=dns,
            )
        ],
        subnets=list(subnets),
    )


def subnet(subnet_id: str, zone: str, **kwargs: object) -> Subnet:
    defaults: dict[str, object] = {"vpc_id": EXISTING_VPC, "cidr_block": "10.20.0.0/20"}
    defaults.update(kwargs)
    return Subnet(id=subnet_id, availability_zone=zone, **defaults)  # type: ignore[arg-type]


def existing_config(*subnet_ids: str) -> dict[str, str]:
    return dev_config(
        existingVpcId=EXISTING_VPC,
        existingPrivateSubnetIds=json.dumps(list(subnet_ids)),
    )


def test_existing_vpc_creates_no_vpc() -> None:
    mocks = existing_mocks(
        subnet("subnet-0aaa", "us-east-1a"), subnet("subnet-0bbb", "us-east-1b")
    )
    run = run_program(existing_config("subnet-0aaa", "subnet-0bbb"), mocks)
    assert run.of_type("awsx:ec2:Vpc") == []
    names = sorted(t.name for t in run.of_type("aws:efs/mountTarget:MountTarget"))
    assert names == ["images-mount-us-east-1a", "images-mount-us-east-1b"]
    cidrs = [
        r.inputs.get("cidrIpv4")
        for r in run.of_type(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
        )
        if r.inputs.get("cidrIpv4")
    ]
    assert cidrs == ["10.20.0.0/16"]


@pytest.mark.parametrize(
    ("subnets", "message"),
    [
        (
            (subnet("subnet-0aaa", "us-east-1a"), subnet("subnet-0bbb", "us-east-1a")),
            "both in us-east-1a",
        ),
        (
            (
                subnet("subnet-0aaa", "us-east-1a"),
                subnet("subnet-0bbb", "us-east-1b", vpc_id="vpc-0other"),
            ),
            "which is in vpc-0other",
        ),
        (
            (
                subnet("subnet-0aaa", "us-east-1a"),
                subnet("subnet-0bbb", "us-east-1b", map_public_ip_on_launch=True),
            ),
            "assigns public IPs on launch",
        ),
    ],
)
def test_existing_subnets_checked(subnets: tuple[Subnet, ...], message: str) -> None:
    mocks = existing_mocks(*subnets)
    with pytest.raises(ConfigError, match=message):
        run_program(existing_config(*(s.id for s in subnets)), mocks)


def test_public_subnet_in_other_vpc_rejected() -> None:
    mocks = existing_mocks(
        subnet("subnet-0aaa", "us-east-1a"),
        subnet("subnet-0bbb", "us-east-1b"),
        subnet(
            "subnet-0ccc",
            "us-east-1a",
            vpc_id="vpc-0other",
            map_public_ip_on_launch=True,
        ),
    )
    config = existing_config("subnet-0aaa", "subnet-0bbb")
    config["retail-assets:existingPublicSubnetIds"] = '["subnet-0ccc", "subnet-0ccc"]'
    with pytest.raises(ConfigError) as caught:
        run_program(config, mocks)
    assert (
        "existingPublicSubnetIds lists subnet-0ccc more than once."
        in caught.value.problems
    )
    assert any(
        "subnet-0ccc, which is in vpc-0other" in p for p in caught.value.problems
    )


def test_existing_vpc_needs_dns() -> None:
    mocks = existing_mocks(
        subnet("subnet-0aaa", "us-east-1a"),
        subnet("subnet-0bbb", "us-east-1b"),
        dns=False,
    )
    with pytest.raises(ConfigError, match="enable both on the VPC"):
        run_program(existing_config("subnet-0aaa", "subnet-0bbb"), mocks)
