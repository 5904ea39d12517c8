"""Print what `pulumi preview` would create for a stack, with no CLI or AWS.

Usage: python -m offline.preview [--stack dev] [--json]

The program runs in process under Pulumi's mocks, with the stack's config
read from Pulumi.yaml and Pulumi.<stack>.yaml. Ids and ARNs come from the
mocks in AWS's formats; they show the shape of real values, not real ones.
Exit status: 0 on success, 1 when the config or a component rejects its
input, or when the policy pack reports a mandatory finding; 2 for a missing
or malformed stack file. The policy report follows the outputs: the pack's
controls, the EFS mount check and the AWS contract checks.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from . import aws, engine, stack_files

PROGRAM = stack_files.ROOT / "__main__.py"

# Properties worth a line in the tree, by type token. Others are in --json.
KEY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "awsx:ec2:Vpc": ("cidrBlock", "availabilityZoneNames", "natGateways"),
    "aws:efs/fileSystem:FileSystem": (
        "encrypted",
        "performanceMode",
        "throughputMode",
        "lifecyclePolicies",
    ),
    "aws:efs/mountTarget:MountTarget": ("subnetId", "availabilityZoneName"),
    "aws:efs/accessPoint:AccessPoint": ("posixUser", "rootDirectory"),
    "aws:efs/backupPolicy:BackupPolicy": ("backupPolicy",),
    "aws:ec2/securityGroup:SecurityGroup": ("description",),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "fromPort",
        "cidrIpv4",
        "referencedSecurityGroupId",
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        "fromPort",
        "cidrIpv4",
        "referencedSecurityGroupId",
    ),
    "aws:ecs/cluster:Cluster": ("name", "settings"),
    "aws:ecs/taskDefinition:TaskDefinition": ("family", "cpu", "memory"),
    "aws:ecs/service:Service": (
        "desiredCount",
        "platformVersion",
        "availabilityZoneRebalancing",
        "deploymentCircuitBreaker",
    ),
    "aws:lb/loadBalancer:LoadBalancer": ("internal", "dnsName"),
    "aws:lb/targetGroup:TargetGroup": ("port", "targetType"),
    "aws:lb/listener:Listener": ("port", "protocol"),
    "aws:appautoscaling/target:Target": ("minCapacity", "maxCapacity"),
    "aws:servicediscovery/httpNamespace:HttpNamespace": ("name",),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays"),
    "aws:s3/bucket:Bucket": ("bucket",),
    "aws:lambda/function:Function": ("runtime", "fileSystemConfig"),
}


def _options(registration: engine.Registration) -> list[str]:
    flags = []
    if registration.protect:
        flags.append("protect")
    if registration.retain_on_delete:
        flags.append("retainOnDelete")
    if registration.ignore_changes:
        flags.append(f"ignoreChanges={','.join(registration.ignore_changes)}")
    return flags


def _whole_numbers(value: Any) -> Any:
    """Return `value` with integral floats as ints: mocks receive all numbers
    as floats, and `8080` reads better than `8080.0`."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    return value


def _format_value(value: Any) -> str:
    return json.dumps(
        _whole_numbers(value), separators=(",", ":"), sort_keys=True, default=str
    )


def print_tree(run: engine.StackRun, out: TextIO, properties: bool = True) -> None:
    """Print the resource tree, parents before children, as the CLI does."""
    stack_urn = f"urn:pulumi:{run.stack}::{run.project}::pulumi:pulumi:Stack::"
    stack_urn += f"{run.project}-{run.stack}"
    children: dict[str, list[engine.Registration]] = {}
    for registration in run.registrations:
        children.setdefault(registration.parent or stack_urn, []).append(registration)

    depth: dict[str, int] = {stack_urn: 0}
    for registration in run.registrations:
        depth[registration.urn] = depth.get(registration.parent, 0) + 1
    width = 4 + max(
        (3 * depth[r.urn] + len(r.type) for r in run.registrations), default=0
    )
    out.write(f"     {'Type':<{width}}Name\n")
    out.write(f" +   {'pulumi:pulumi:Stack':<{width}}{run.project}-{run.stack}\n")

    def walk(urn: str, prefix: str) -> None:
        kids = sorted(children.get(urn, []), key=lambda r: (r.custom, r.name))
        for index, registration in enumerate(kids):
            last = index == len(kids) - 1
            branch = "└─ " if last else "├─ "
            label = f"{prefix}{branch}{registration.type}"
            flags = _options(registration)
            suffix = f"  [{', '.join(flags)}]" if flags else ""
            out.write(f" +   {label:<{width}}{registration.name}{suffix}\n")
            detail_prefix = prefix + ("   " if last else "│  ")
            if properties:
                for key in KEY_PROPERTIES.get(registration.type, ()):
                    value = registration.inputs.get(key, registration.outputs.get(key))
                    if value is not None:
                        out.write(
                            f"     {detail_prefix}    {key}: {_format_value(value)}\n"
                        )
            walk(registration.urn, detail_prefix)

    walk(stack_urn, "")


def print_outputs(run: engine.StackRun, out: TextIO) -> None:
    """Print the stack outputs and the count of resources to create."""
    out.write("\nOutputs:\n")
    width = max((len(k) for k in run.stack_outputs), default=0) + 1
    for key, value in run.stack_outputs.items():
        out.write(f"    {key + ':':<{width}} {_format_value(value)}\n")
    out.write("\nResources:\n")
    out.write(f"    + {len(run.registrations) + 1} to create\n")


def evaluate(stack: str, mocks: aws.AwsMocks | None = None) -> engine.StackRun:
    """Run the program for `stack` under the offline AWS stand-in."""
    config = stack_files.stack_config(stack)
    region = config.get("aws:region", "us-east-1")
    return engine.run_program_file(
        PROGRAM,
        mocks or aws.AwsMocks(region=region),
        project=stack_files.project_name(),
        stack=stack,
        config=config,
    )


def check_policies(run: engine.StackRun, mocks: aws.AwsMocks) -> Any:
    """Run the policy pack, the mount check and the contract checks on `run`."""
    from policy.network import NetworkFacts
    from policy.runner import evaluate as evaluate_policies

    network = NetworkFacts.from_existing_network(
        mocks.vpcs.values(), mocks.subnets.values(), subnet_zones=mocks.subnet_zones
    )
    return evaluate_policies(run, network=network)


def _registrations_json(run: engine.StackRun) -> str:
    return json.dumps(
        {
            "resources": [r.__dict__ for r in run.registrations],
            "outputs": run.stack_outputs,
        },
        indent=2,
        default=str,
    )


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m offline.preview",
        description="Show what `pulumi preview` would create, evaluated offline.",
    )
    parser.add_argument("--stack", default="dev", help="stack name (default: dev)")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print every registration with all inputs and options as JSON",
    )
    parser.add_argument(
        "--no-properties",
        action="store_true",
        help="print the resource tree without key properties",
    )
    options = parser.parse_args(argv)

    try:
        config = stack_files.stack_config(options.stack)
        mocks = aws.AwsMocks(region=config.get("aws:region", "us-east-1"))
        run = evaluate(options.stack, mocks)
    except stack_files.StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (TypeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except LookupError as error:
        # An existing VPC or subnet the offline stand-in does not have.
        print(
            f"error: {error}. The offline preview has no AWS account; it knows "
            f"{mocks.describe_existing_network()}. Use those ids in a stack "
            "file to preview an existing network.",
            file=sys.stderr,
        )
        return 1

    if options.json:
        out.write(_registrations_json(run) + "\n")
        return 0
    out.write(
        f"Previewing stack {options.stack} of {run.project} offline: the program "
        "ran under mocks and made no AWS calls.\n\n"
    )
    print_tree(run, out, properties=not options.no_properties)
    print_outputs(run, out)

    from policy.runner import format_report

    report = check_policies(run, mocks)
    out.write("\nPolicies:\n" + format_report(report) + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
