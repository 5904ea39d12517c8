"""Time the offline preview against importing the SDKs alone.

Usage: python benchmarks/preview_vs_import.py [--rounds 7]

Each round starts two fresh interpreters, one after the other: the
baseline imports the Pulumi SDK modules the program uses and exits; the preview
runs `python -m offline.preview --stack dev`. The ratio preview/baseline is
taken round by round, so a machine that slows down mid-run affects both
sides of a pair alike. The script prints medians; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# pulumi_aws and pulumi_awsx load a service module, and the classes in it,
# only when an attribute is first read, so the baseline reads one class of
# every service the program uses: the same modules the preview must load.
SDK_CLASSES = [
    "pulumi_awsx.ec2.Vpc",
    "aws.appautoscaling.Policy",
    "aws.cloudwatch.MetricAlarm",
    "aws.ec2.SecurityGroup",
    "aws.ecs.Service",
    "aws.efs.FileSystem",
    "aws.iam.Role",
    "aws.lambda_.Function",
    "aws.lb.LoadBalancer",
    "aws.s3.Bucket",
    "aws.servicediscovery.HttpNamespace",
    "aws.sqs.Queue",
    "aws.vpc.SecurityGroupIngressRule",
]
BASELINE = [
    sys.executable,
    "-c",
    "import pulumi, pulumi.runtime.mocks, pulumi_aws as aws, pulumi_awsx; "
    + "; ".join(SDK_CLASSES),
]
PREVIEW = [sys.executable, "-m", "offline.preview", "--stack", "dev"]


def wall_seconds(command: list[str]) -> float:
    """Run `command` from the repository root and return its wall time."""
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="measured rounds")
    options = parser.parse_args()

    wall_seconds(BASELINE)  # warm the file cache for both commands
    wall_seconds(PREVIEW)
    baseline, preview, ratios = [], [], []
    for _ in range(options.rounds):
        b = wall_seconds(BASELINE)
        p = wall_seconds(PREVIEW)
        baseline.append(b)
        preview.append(p)
        ratios.append(p / b)

    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{options.rounds} rounds"
    )
    print(
        f"import SDKs only   median {statistics.median(baseline):.2f} s "
        f"(min {min(baseline):.2f}, max {max(baseline):.2f})"
    )
    print(
        f"offline preview    median {statistics.median(preview):.2f} s "
        f"(min {min(preview):.2f}, max {max(preview):.2f})"
    )
    print(
        f"preview / import   median {statistics.median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
