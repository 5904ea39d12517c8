"""ImagePublisher under Pulumi's mocks: bucket, function, events, grants."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run_components

from components import ImagePublisher, SharedImageStore
from offline.engine import StackRun

VPC_ID = "vpc-0123456789abcdef0"
SUBNETS = [
    {"subnet_id": "subnet-0aaa", "availability_zone": "us-east-1a"},
    {"subnet_id": "subnet-0bbb", "availability_zone": "us-east-1b"},
]
FUNCTION = "aws:lambda/function:Function"


def run_publisher(**overrides: Any) -> StackRun:
    def body() -> None:
        store = SharedImageStore("images", {"vpc_id": VPC_ID, "subnets": SUBNETS})
        args: dict[str, Any] = {
            "vpc_id": VPC_ID,
            "subnet_ids": [s["subnet_id"] for s in SUBNETS],
            "image_store": store.mount_args(),
        }
        args.update(overrides)
        ImagePublisher("publisher", args)  # type: ignore[arg-type]

    return run_components(body)


@pytest.fixture(scope="module")
def run() -> StackRun:
    return run_publisher()


def test_bucket_blocks_public_access(run: StackRun) -> None:
    block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block[flag] is True, flag


def test_bucket_encrypted_and_versioned(run: StackRun) -> None:
    encryption = run.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs
    rule = encryption["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["sseAlgorithm"] == "AES256"
    versioning = run.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}


def test_bucket_policy_denies_insecure_transport(run: StackRun) -> None:
    policy = json.loads(run.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    statement = policy["Statement"][0]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    bucket_arn = run.one("aws:s3/bucket:Bucket").outputs["arn"]
    assert statement["Resource"] == [bucket_arn, f"{bucket_arn}/*"]


def test_old_versions_expire(run: StackRun) -> None:
    lifecycle = run.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    ).inputs
    rule = lifecycle["rules"][0]
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}


def test_function_mounts_store_read_write(run: StackRun) -> None:
    function = run.one(FUNCTION).inputs
    access_point = run.one("aws:efs/accessPoint:AccessPoint").outputs["arn"]
    assert function["fileSystemConfig"] == {
        "arn": access_point,
        "localMountPath": "/mnt/images",
    }
    write = json.loads(run.by_name("publisher-write").inputs["policy"])
    assert write["Statement"][0]["Action"] == [
        "elasticfilesystem:ClientMount",
        "elasticfilesystem:ClientWrite",
    ]
    assert (
        run.by_name("publisher-write").inputs["role"]
        == run.by_name("publisher-role").id
    )


def test_function_in_private_subnets(run: StackRun) -> None:
    vpc = run.one(FUNCTION).inputs["vpcConfig"]
    assert vpc["subnetIds"] == ["subnet-0aaa", "subnet-0bbb"]
    assert vpc["securityGroupIds"] == [run.by_name("publisher-function").id]


def test_function_security_group_paths(run: StackRun) -> None:
    group = run.by_name("publisher-function").id
    s3 = run.by_name("publisher-function-out-s3").inputs
    assert s3["securityGroupId"] == group
    assert s3["prefixListId"].startswith("pl-")
    assert s3["fromPort"] == 443
    nfs_in = run.by_name("publisher-nfs-in").inputs
    assert nfs_in["referencedSecurityGroupId"] == group
    assert nfs_in["securityGroupId"] == run.by_name("images-nfs").id


def test_function_waits_for_mount(run: StackRun) -> None:
    function = run.one(FUNCTION)
    for target in run.of_type("aws:efs/mountTarget:MountTarget"):
        assert target.urn in function.dependencies, target.name
    assert run.by_name("publisher-write").urn in function.dependencies


def test_function_environment(run: StackRun) -> None:
    variables = run.one(FUNCTION).inputs["environment"]["variables"]
    assert variables["MOUNT_PATH"] == "/mnt/images"
    assert variables["IMAGES_PREFIX"] == "images/"
    assert variables["ALLOWED_EXTENSIONS"].split(",")[0] == ".jpg"
    assert variables["MAX_OBJECT_BYTES"] == str(20 * 2**20)
    assert variables["IMAGES_BUCKET"] == run.one("aws:s3/bucket:Bucket").id


def test_events_trigger_on_prefix(run: StackRun) -> None:
    notification = run.one("aws:s3/bucketNotification:BucketNotification")
    wiring = notification.inputs["lambdaFunctions"][0]
    assert wiring["events"] == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    assert wiring["filterPrefix"] == "images/"
    assert wiring["lambdaFunctionArn"] == run.one(FUNCTION).outputs["arn"]
    permission = run.one("aws:lambda/permission:Permission")
    assert permission.urn in notification.dependencies
    assert permission.inputs["principal"] == "s3.amazonaws.com"


def test_failures_retry_then_dead_letter(run: StackRun) -> None:
    queue = run.one("aws:sqs/queue:Queue")
    function = run.one(FUNCTION).inputs
    assert function["deadLetterConfig"] == {"targetArn": queue.outputs["arn"]}
    retries = run.one(
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
    ).inputs
    assert retries["maximumRetryAttempts"] == 2
    policy = json.loads(run.by_name("publisher-read-staging").inputs["policy"])
    send = [s for s in policy["Statement"] if s["Sid"] == "SendFailedEvents"][0]
    assert send["Resource"] == queue.outputs["arn"]


def test_alarms_on_errors_and_dead_letters(run: StackRun) -> None:
    alarms = {
        a.inputs["metricName"]: a.inputs
        for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    assert alarms["Errors"]["dimensions"] == {
        "FunctionName": run.one(FUNCTION).outputs["name"]
    }
    assert alarms["Errors"]["threshold"] == 0
    assert alarms["ApproximateNumberOfMessagesVisible"]["dimensions"] == {
        "QueueName": run.one("aws:sqs/queue:Queue").outputs["name"]
    }


def test_alarm_topic_is_notified() -> None:
    topic = "arn:aws:sns:us-east-1:123456789012:ops"
    run = run_publisher(alarm_topic_arn=topic)
    for alarm in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        assert alarm.inputs["alarmActions"] == [topic]


def test_no_wildcard_actions(run: StackRun) -> None:
    for policy in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            assert not any(a == "*" or a.endswith(":*") for a in actions), policy.name


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"images_prefix": "images"}, "images_prefix is 'images'"),
        ({"images_prefix": "../images/"}, "images_prefix is '../images/'"),
        ({"allowed_extensions": ["jpg"]}, "allowed_extensions has 'jpg'"),
        ({"allowed_extensions": []}, "allowed_extensions is empty"),
        ({"max_object_bytes": 0}, "max_object_bytes is 0"),
        ({"retry_attempts": 3}, "retry_attempts is 3"),
        ({"noncurrent_version_days": 0}, "noncurrent_version_days is 0"),
        ({"log_retention_days": 2}, "log_retention_days is 2"),
        (
            {"allowed_extensions": [".php"]},
            "allowed_extensions has '.php', which is not an image type",
        ),
        (
            {"allowed_extensions": [".tmp"]},
            "allowed_extensions has '.tmp', which is not an image type",
        ),
        ({"subnet_ids": []}, "subnet_ids has 0 id"),
        (
            {"subnet_ids": ["subnet-0aaa", "subnet-0aaa"]},
            "lists subnet-0aaa more than once",
        ),
    ],
)
def test_invalid_args_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        run_publisher(**overrides)


def test_program_exports_bucket(dev_run: StackRun) -> None:
    assert dev_run.stack_outputs["imagesBucketName"].startswith(
        "images-publisher-staging-"
    )


def test_program_without_publisher() -> None:
    from conftest import dev_config, run_program

    run = run_program(dev_config(imagePublisher="false"))
    assert run.of_type(FUNCTION) == []
    assert "imagesBucketName" not in run.stack_outputs
