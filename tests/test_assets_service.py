"""HighlyAvailableAssetsService under Pulumi's mocks."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from conftest import run_components

from components import (
    HighlyAvailableAssetsService,
    HighlyAvailableAssetsServiceArgs,
    SharedImageStore,
)
from components.assets_service import DEFAULT_IMAGE
from offline.engine import StackRun

SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
VPC_ID = "vpc-0123456789abcdef0"
ZONES = ("us-east-1a", "us-east-1b")


def subnets(*zones: str) -> list[dict[str, str]]:
    return [
        {"subnet_id": f"subnet-0{index:016x}", "availability_zone": zone}
        for index, zone in enumerate(zones)
    ]


def build(store_zones: tuple[str, ...] = ZONES, **overrides: Any) -> None:
    store = SharedImageStore(
        "images", {"vpc_id": VPC_ID, "subnets": subnets(*store_zones)}
    )
    args: dict[str, Any] = {
        "vpc_id": VPC_ID,
        "subnets": subnets(*ZONES),
        "load_balancer_subnet_ids": ["subnet-0aaa", "subnet-0bbb"],
        "load_balancer_ingress_cidrs": ["10.0.0.0/16"],
        "image_store": store.mount_args(),
    }
    args.update(overrides)
    name = args.pop("name", "assets")
    HighlyAvailableAssetsService(name, args)  # type: ignore[arg-type]


def run_service(**overrides: Any) -> StackRun:
    return run_components(lambda: build(**overrides))


@pytest.fixture(scope="module")
def default_run() -> StackRun:
    return run_service()


def container(run: StackRun) -> dict[str, Any]:
    definitions = json.loads(run.one(TASK_DEFINITION).inputs["containerDefinitions"])
    assert len(definitions) == 1
    return definitions[0]


def test_container_name_image_and_port(default_run: StackRun) -> None:
    definition = container(default_run)
    assert definition["name"] == "application"
    assert definition["image"] == DEFAULT_IMAGE
    assert definition["portMappings"] == [
        {
            "name": "application",
            "containerPort": 8080,
            "hostPort": 8080,
            "protocol": "tcp",
            "appProtocol": "http",
        }
    ]


def test_container_health_check(default_run: StackRun) -> None:
    check = container(default_run)["healthCheck"]
    assert check["command"] == [
        "CMD-SHELL",
        "curl -f http://localhost:8080/health.html || exit 1",
    ]
    assert (check["interval"], check["timeout"], check["retries"]) == (10, 5, 3)
    assert check["startPeriod"] == 60


def test_container_has_no_empty_lists(default_run: StackRun) -> None:
    definition = container(default_run)
    empty = [key for key, value in definition.items() if value in ([], {})]
    assert empty == []


def test_logs_go_to_log_group(default_run: StackRun) -> None:
    log_group = default_run.one("aws:cloudwatch/logGroup:LogGroup")
    options = container(default_run)["logConfiguration"]["options"]
    assert options["awslogs-group"] == log_group.outputs["name"]
    assert log_group.inputs["retentionInDays"] == 30


def test_images_mounted_read_only(default_run: StackRun) -> None:
    assert container(default_run)["mountPoints"] == [
        {
            "sourceVolume": "images",
            "containerPath": "/usr/share/nginx/html/assets",
            "readOnly": True,
        }
    ]


def test_volume_uses_access_point_with_tls(default_run: StackRun) -> None:
    volume = default_run.one(TASK_DEFINITION).inputs["volumes"][0]
    config = volume["efsVolumeConfiguration"]
    access_point = default_run.one("aws:efs/accessPoint:AccessPoint")
    assert config["transitEncryption"] == "ENABLED"
    assert config["authorizationConfig"] == {
        "accessPointId": access_point.id,
        "iam": "ENABLED",
    }
    assert "rootDirectory" not in config
    assert config["fileSystemId"] == default_run.one("aws:efs/fileSystem:FileSystem").id


def test_read_only_root_adds_scratch_volumes() -> None:
    run = run_service(read_only_root_filesystem=True)
    definition = container(run)
    assert definition["readonlyRootFilesystem"] is True
    writable = {
        m["containerPath"] for m in definition["mountPoints"] if not m["readOnly"]
    }
    assert writable == {"/var/log/nginx", "/var/lib/nginx/tmp", "/run"}
    names = {v["name"] for v in run.one(TASK_DEFINITION).inputs["volumes"]}
    assert names == {"images", "nginx-logs", "nginx-temp", "nginx-run"}


def test_task_definition_is_fargate(default_run: StackRun) -> None:
    inputs = default_run.one(TASK_DEFINITION).inputs
    assert inputs["requiresCompatibilities"] == ["FARGATE"]
    assert inputs["networkMode"] == "awsvpc"
    assert (inputs["cpu"], inputs["memory"]) == ("256", "512")


def test_task_role_only_mounts(default_run: StackRun) -> None:
    task_role = default_run.by_name("assets-task-role")
    policies = [
        p
        for p in default_run.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.inputs["role"] == task_role.id
    ]
    assert [p.name for p in policies] == ["assets-mount"]
    statement = json.loads(policies[0].inputs["policy"])["Statement"][0]
    assert statement["Action"] == ["elasticfilesystem:ClientMount"]
    attachments = [
        a
        for a in default_run.of_type(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
        )
        if a.inputs["role"] == task_role.outputs["name"]
    ]
    assert attachments == []


def test_roles_wired_to_task_definition(default_run: StackRun) -> None:
    inputs = default_run.one(TASK_DEFINITION).inputs
    assert (
        inputs["taskRoleArn"] == default_run.by_name("assets-task-role").outputs["arn"]
    )
    execution = default_run.by_name("assets-execution-role")
    assert inputs["executionRoleArn"] == execution.outputs["arn"]
    attachment = default_run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["role"] == execution.outputs["name"]
    assert attachment.inputs["policyArn"].endswith(
        "service-role/AmazonECSTaskExecutionRolePolicy"
    )


def test_execute_command_adds_permissions() -> None:
    run = run_service(enable_execute_command=True)
    exec_policy = json.loads(run.by_name("assets-exec").inputs["policy"])
    actions = exec_policy["Statement"][0]["Action"]
    assert "ssmmessages:CreateControlChannel" in actions
    assert run.one(SERVICE).inputs["enableExecuteCommand"] is True
    assert container(run)["linuxParameters"] == {"initProcessEnabled": True}


def test_service_settings(default_run: StackRun) -> None:
    inputs = default_run.one(SERVICE).inputs
    assert inputs["desiredCount"] == 2
    assert inputs["launchType"] == "FARGATE"
    assert inputs["platformVersion"] == "LATEST"
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert inputs["deploymentMinimumHealthyPercent"] == 100
    assert inputs["deploymentMaximumPercent"] == 200
    assert inputs["availabilityZoneRebalancing"] == "ENABLED"
    assert inputs["waitForSteadyState"] is True


def test_service_private_without_public_ip(default_run: StackRun) -> None:
    network = default_run.one(SERVICE).inputs["networkConfiguration"]
    assert network["assignPublicIp"] is False
    assert network["subnets"] == [s["subnet_id"] for s in subnets(*ZONES)]


def test_service_depends_on_mount_targets(default_run: StackRun) -> None:
    service = default_run.one(SERVICE)
    targets = default_run.of_type("aws:efs/mountTarget:MountTarget")
    assert len(targets) == 2
    for target in targets:
        assert target.urn in service.dependencies, target.name


def test_service_depends_on_grant_and_listener(default_run: StackRun) -> None:
    service = default_run.one(SERVICE)
    for name in ("assets-mount", "assets-http", "assets-nfs-in", "assets-nfs-out"):
        assert default_run.by_name(name).urn in service.dependencies, name


def test_scaled_count_survives_update(default_run: StackRun) -> None:
    assert default_run.one(SERVICE).ignore_changes == ["desiredCount"]


def test_service_connect_registers_assets(default_run: StackRun) -> None:
    connect = default_run.one(SERVICE).inputs["serviceConnectConfiguration"]
    namespace = default_run.one("aws:servicediscovery/httpNamespace:HttpNamespace")
    assert namespace.inputs["name"] == "retailstore.local"
    assert connect["enabled"] is True
    assert connect["namespace"] == namespace.outputs["arn"]
    assert connect["services"] == [
        {
            "portName": "application",
            "discoveryName": "assets",
            "clientAlias": [{"port": 80, "dnsName": "assets"}],
        }
    ]


def test_port_name_matches_port_mapping(default_run: StackRun) -> None:
    connect = default_run.one(SERVICE).inputs["serviceConnectConfiguration"]
    port_names = {m["name"] for m in container(default_run)["portMappings"]}
    assert connect["services"][0]["portName"] in port_names


def test_existing_namespace_is_used() -> None:
    arn = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abc"
    run = run_service(namespace_arn=arn)
    assert run.of_type("aws:servicediscovery/httpNamespace:HttpNamespace") == []
    connect = run.one(SERVICE).inputs["serviceConnectConfiguration"]
    assert connect["namespace"] == arn


def test_service_connect_can_be_off() -> None:
    run = run_service(service_connect=False)
    assert "serviceConnectConfiguration" not in run.one(SERVICE).inputs
    assert run.of_type("aws:servicediscovery/httpNamespace:HttpNamespace") == []


def test_cluster_has_container_insights(default_run: StackRun) -> None:
    cluster = default_run.one("aws:ecs/cluster:Cluster")
    assert cluster.inputs["name"] == "retail-store-ecs-cluster"
    assert cluster.inputs["settings"] == [
        {"name": "containerInsights", "value": "enabled"}
    ]


def test_existing_cluster_is_used() -> None:
    arn = "arn:aws:ecs:us-east-1:123456789012:cluster/shared"
    run = run_service(cluster_arn=arn)
    assert run.of_type("aws:ecs/cluster:Cluster") == []
    assert run.one(SERVICE).inputs["cluster"] == arn
    target = run.one("aws:appautoscaling/target:Target")
    assert target.inputs["resourceId"].startswith("service/shared/")


def test_target_group_checks_health_page(default_run: StackRun) -> None:
    inputs = default_run.one("aws:lb/targetGroup:TargetGroup").inputs
    assert inputs["targetType"] == "ip"
    assert inputs["port"] == 8080
    assert inputs["healthCheck"]["path"] == "/health.html"


def test_load_balancer_internal_by_default(default_run: StackRun) -> None:
    inputs = default_run.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert inputs["internal"] is True
    assert inputs["dropInvalidHeaderFields"] is True


def test_internet_facing_scheme() -> None:
    run = run_service(load_balancer_scheme="internet-facing")
    assert run.one("aws:lb/loadBalancer:LoadBalancer").inputs["internal"] is False


def test_http_listener_forwards_without_certificate(default_run: StackRun) -> None:
    listener = default_run.one("aws:lb/listener:Listener")
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (80, "HTTP")
    assert listener.inputs["defaultActions"][0]["type"] == "forward"


def test_certificate_adds_https_and_redirect() -> None:
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/abc-123"
    run = run_service(certificate_arn=certificate)
    https = run.by_name("assets-https").inputs
    http = run.by_name("assets-http").inputs
    assert (https["port"], https["protocol"]) == (443, "HTTPS")
    assert https["certificateArn"] == certificate
    assert http["defaultActions"][0]["redirect"]["protocol"] == "HTTPS"
    ports = sorted(
        r.inputs["fromPort"] for r in run.of_type(INGRESS) if "cidrIpv4" in r.inputs
    )
    assert ports == [80, 443]


def test_lb_group_admits_only_listener_ports(default_run: StackRun) -> None:
    group = default_run.by_name("assets-lb").id
    rules = [
        r for r in default_run.of_type(INGRESS) if r.inputs["securityGroupId"] == group
    ]
    assert [(r.inputs["fromPort"], r.inputs["cidrIpv4"]) for r in rules] == [
        (80, "10.0.0.0/16")
    ]


def test_no_ingress_open_to_world(default_run: StackRun) -> None:
    open_rules = [
        r.name
        for r in default_run.of_type(INGRESS)
        if r.inputs.get("cidrIpv4") == "0.0.0.0/0"
    ]
    assert open_rules == []


def test_tasks_admit_only_lb_and_clients() -> None:
    run = run_service(
        service_connect_client_security_group_ids={"ui": "sg-0ui0000000000000"}
    )
    tasks = run.by_name("assets-tasks").id
    sources = sorted(
        r.inputs["referencedSecurityGroupId"]
        for r in run.of_type(INGRESS)
        if r.inputs["securityGroupId"] == tasks
    )
    assert sources == sorted([run.by_name("assets-lb").id, "sg-0ui0000000000000"])
    for rule in run.of_type(INGRESS):
        if rule.inputs["securityGroupId"] == tasks:
            assert rule.inputs["fromPort"] == 8080


def test_task_egress_reaches_mount_targets(default_run: StackRun) -> None:
    tasks = default_run.by_name("assets-tasks").id
    mount_group = default_run.by_name("images-nfs").id
    nfs = [
        r
        for r in default_run.of_type(EGRESS)
        if r.inputs["securityGroupId"] == tasks and r.inputs["fromPort"] == 2049
    ]
    assert len(nfs) == 1
    assert nfs[0].inputs["referencedSecurityGroupId"] == mount_group


def test_autoscaling_bounds_and_policies(default_run: StackRun) -> None:
    target = default_run.one("aws:appautoscaling/target:Target")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (2, 6)
    metrics = sorted(
        p.inputs["targetTrackingScalingPolicyConfiguration"][
            "predefinedMetricSpecification"
        ]["predefinedMetricType"]
        for p in default_run.of_type("aws:appautoscaling/policy:Policy")
    )
    assert metrics == ["ALBRequestCountPerTarget", "ECSServiceAverageCPUUtilization"]


def test_request_metric_names_lb_and_group(default_run: StackRun) -> None:
    policy = default_run.by_name("assets-requests")
    label = policy.inputs["targetTrackingScalingPolicyConfiguration"][
        "predefinedMetricSpecification"
    ]["resourceLabel"]
    lb = default_run.one("aws:lb/loadBalancer:LoadBalancer").outputs["arnSuffix"]
    group = default_run.one("aws:lb/targetGroup:TargetGroup").outputs["arnSuffix"]
    assert label == f"{lb}/{group}"


def test_outputs_registered(default_run: StackRun) -> None:
    component = default_run.one("retailassets:index:HighlyAvailableAssetsService")
    outputs = default_run.component_outputs[component.urn]
    assert outputs["url"].startswith("http://internal-assets-lb-")
    assert outputs["service_connect_url"] == "http://assets"
    assert outputs["cluster_name"] == "retail-store-ecs-cluster"
    assert outputs["task_definition_arn"].startswith(
        "arn:aws:ecs:us-east-1:123456789012:task-definition/"
    )
    assert outputs["security_group_id"].startswith("sg-")


def test_children_parented_to_service(default_run: StackRun) -> None:
    component = default_run.one("retailassets:index:HighlyAvailableAssetsService")
    children = [r for r in default_run.registrations if r.parent == component.urn]
    assert {r.type for r in children} >= {SERVICE, TASK_DEFINITION}


def test_two_services_do_not_collide() -> None:
    def body() -> None:
        store = SharedImageStore(
            "images", {"vpc_id": VPC_ID, "subnets": subnets(*ZONES)}
        )
        for name, cluster in (("assets", "first"), ("assets-b", "second")):
            HighlyAvailableAssetsService(
                name,
                {
                    "vpc_id": VPC_ID,
                    "subnets": subnets(*ZONES),
                    "load_balancer_subnet_ids": ["subnet-0aaa", "subnet-0bbb"],
                    "load_balancer_ingress_cidrs": ["10.0.0.0/16"],
                    "image_store": store.mount_args(),
                    "cluster_name": cluster,
                    "namespace_name": f"{cluster}.local",
                },
            )

    run = run_components(body)
    assert len(run.of_type(SERVICE)) == 2
    families = {r.inputs["family"] for r in run.of_type(TASK_DEFINITION)}
    assert len(families) == 2


def test_same_names_collide_as_in_engine() -> None:
    def body() -> None:
        build()
        build()

    with pytest.raises(Exception, match="Duplicate resource URN"):
        run_components(body)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"desired_count": 1}, "desired_count is 1; at least 2 tasks"),
        ({"desired_count": 3, "max_count": 2}, "max_count is 2, below desired_count 3"),
        ({"cpu": 300}, "cpu is 300; Fargate allows"),
        (
            {"cpu": 512, "memory": 512},
            "memory is 512 MiB; with cpu 512 Fargate allows 1024 to 4096",
        ),
        ({"cpu": 256, "memory": 4096}, "allows 512, 1024, 2048 MiB"),
        ({"subnets": subnets("us-east-1a")}, "at least 2 are needed"),
        (
            {"subnets": subnets("us-east-1a", "us-east-1c")},
            "us-east-1c, where the image store has no mount target",
        ),
        (
            {"load_balancer_subnet_ids": ["subnet-0aaa"]},
            "needs subnets in at least two",
        ),
        ({"load_balancer_ingress_cidrs": []}, "load_balancer_ingress_cidrs is empty"),
        (
            {"load_balancer_ingress_cidrs": ["10.0.0.1/16"]},
            r"load_balancer_ingress_cidrs\[0\] is '10.0.0.1/16'",
        ),
        (
            {"load_balancer_scheme": "public"},
            "load_balancer_scheme is 'public'; allowed",
        ),
        ({"log_retention_days": 10}, "log_retention_days is 10; allowed values"),
        (
            {
                "cluster_arn": "arn:aws:ecs:us-east-1:123456789012:cluster/x",
                "cluster_name": "y",
            },
            "cluster_arn and cluster_name are both set",
        ),
        ({"cluster_name": "bad name"}, "cluster_name is 'bad name'"),
        (
            {"service_connect": False, "namespace_name": "x.local"},
            "service_connect is false but namespace_name",
        ),
        ({"discovery_name": "Assets_1"}, "discovery_name is 'Assets_1'"),
        ({"cpu_target_percent": 95}, "cpu_target_percent is 95"),
        (
            {"load_balancer_ingress_cidrs": ["2001:db8::/32"]},
            "an IPv6 range; the load balancer listens on IPv4 only",
        ),
        (
            {"load_balancer_ingress_cidrs": ["10.0.0.0/16", "10.0.0.0/16"]},
            r"the same range as load_balancer_ingress_cidrs\[0\]",
        ),
        (
            {"load_balancer_ingress_cidrs": [0]},
            r"load_balancer_ingress_cidrs\[0\] is 0, which is not a CIDR range",
        ),
        (
            {"enable_execute_command": "false"},
            "enable_execute_command must be true or false",
        ),
        ({"service_connect": "false"}, "service_connect must be true or false"),
        (
            {"read_only_root_filesystem": "no"},
            "read_only_root_filesystem must be true or false",
        ),
        ({"image": ""}, "image is ''; it must be a non-empty string"),
        ({"image": None}, "image is None"),
        (
            {"service_connect_client_security_group_ids": ["sg-1"]},
            "service_connect_client_security_group_ids must be a mapping",
        ),
        (
            {"load_balancer_subnet_ids": ["subnet-0aaa", "subnet-0aaa"]},
            "lists subnet-0aaa more than once",
        ),
        (
            {"discovery_name": pulumi.Output.from_input("assets")},
            "discovery_name must be a plain value",
        ),
        (
            {"subnets": [{"subnet_id": "subnet-1"}, {"subnet_id": "subnet-2"}]},
            r"subnets\[0\] is .*; give a mapping with subnet_id and availability_zone",
        ),
        ({"name": "a-very-long-assets-service-name"}, "must be at most 21"),
    ],
)
def test_invalid_args_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        run_service(**overrides)


def test_args_type_is_exported() -> None:
    assert "image_store" in HighlyAvailableAssetsServiceArgs.__required_keys__


def test_ingress_cidr_normalized_in_rule() -> None:
    run = run_service(load_balancer_ingress_cidrs=["10.1.2.3"])
    rule = run.by_name("assets-lb-in-80-10.1.2.3-32")
    assert rule.inputs["cidrIpv4"] == "10.1.2.3/32"
