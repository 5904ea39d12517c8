"""Measure publish and sync throughput against moto S3, with baselines.

    python -m benchmarks.sync_throughput [--images 300] [--size 102400]
        [--rounds 3] [--jobs 8]

Each round starts a fresh in-process moto S3 and times four steps on the
same random files:

- publish: `tools.publish_images.publish` with `--jobs` threads, which hashes
  each file, lists the bucket and uploads with Content-MD5;
- baseline put: plain `put_object` calls for the same files on the same
  number of threads, without listing or hashing;
- sync: `components.sync_function.handler.handler` once per object event, into a
  temporary folder in place of the EFS mount;
- baseline get: `get_object` and a plain file write per object, without
  locks, state or temporary files.

`shutil.copyfile` between two local folders is printed as the disk's own
rate. Every number is the median over the rounds, and the ratios compare
steps measured in the same process, because absolute rates on shared
machines vary from run to run. moto runs in process and opens no socket, so
the S3 numbers measure this code and botocore, not the network or S3.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from components.sync_function import handler
from tools import publish_images

BUCKET = "benchmark-images"
BASELINE_BUCKET = "benchmark-baseline"
PREFIX = "images/"


def use_fake_credentials() -> None:
    """Point boto3 at fake credentials so nothing can reach a real account."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="benchmark",
        AWS_SECRET_ACCESS_KEY="benchmark",
        AWS_SESSION_TOKEN="benchmark",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )


def make_images(folder: Path, count: int, size: int) -> list[Path]:
    """Write `count` files of `size` random bytes with .jpg names."""
    paths = []
    for index in range(count):
        path = folder / f"group-{index % 10}" / f"image-{index:05d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
        paths.append(path)
    return paths


def timed(step: Callable[[], Any]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def object_records(s3: Any) -> list[dict[str, Any]]:
    """Return an ObjectCreated:Put record per listed object, in listing order."""
    records = []
    paginator = s3.get_paginator("list_objects_v2")
    sequencer = 0x100
    for page in paginator.paginate(Bucket=BUCKET, Prefix=PREFIX):
        for item in page.get("Contents", []):
            sequencer += 1
            records.append(
                {
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "bucket": {"name": BUCKET},
                        "object": {
                            "key": item["Key"],
                            "size": item["Size"],
                            "eTag": item["ETag"].strip('"'),
                            "sequencer": f"{sequencer:018X}",
                        },
                    },
                }
            )
    return records


def run_round(
    source: Path, paths: list[Path], jobs: int, work: Path
) -> dict[str, float]:
    """Run every step once and return its duration in seconds."""
    seconds: dict[str, float] = {}
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.create_bucket(Bucket=BASELINE_BUCKET)
        handler.s3_client.cache_clear()

        options = publish_images.Options(
            folder=source, bucket=BUCKET, jobs=jobs, progress=False
        )
        summary_box: list[publish_images.Summary] = []
        seconds["publish"] = timed(
            lambda: summary_box.append(publish_images.publish(s3, options))
        )
        if summary_box[0].uploaded != len(paths):
            raise RuntimeError(
                f"publish uploaded {summary_box[0].uploaded} of {len(paths)} files"
            )

        def put_plain(path: Path) -> None:
            key = PREFIX + path.relative_to(source).as_posix()
            with path.open("rb") as body:
                s3.put_object(Bucket=BASELINE_BUCKET, Key=key, Body=body)

        def put_all() -> None:
            with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
                list(pool.map(put_plain, paths))

        seconds["baseline put"] = timed(put_all)

        mount_root = work / "mount"
        mount_root.mkdir()
        os.environ["MOUNT_PATH"] = str(mount_root)
        records = object_records(s3)

        def sync_all() -> None:
            for record in records:
                handler.handler({"Records": [record]}, None)

        seconds["sync"] = timed(sync_all)

        plain_root = work / "plain"

        def get_all() -> None:
            for record in records:
                key = record["s3"]["object"]["key"]
                target = plain_root / key
                target.parent.mkdir(parents=True, exist_ok=True)
                body = s3.get_object(Bucket=BUCKET, Key=key)["Body"]
                target.write_bytes(body.read())

        seconds["baseline get"] = timed(get_all)

    copy_root = work / "copy"

    def copy_all() -> None:
        for path in paths:
            target = copy_root / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)

    seconds["copyfile"] = timed(copy_all)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=300, help="number of files")
    parser.add_argument("--size", type=int, default=100 * 1024, help="bytes per file")
    parser.add_argument("--rounds", type=int, default=3, help="rounds to run")
    parser.add_argument("--jobs", type=int, default=8, help="publish threads")
    args = parser.parse_args(argv)

    use_fake_credentials()
    os.environ["LOG_LEVEL"] = "INFO"
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="sync-benchmark-") as temp:
        source = Path(temp, "source")
        paths = make_images(source, args.images, args.size)
        for round_number in range(1, args.rounds + 1):
            work = Path(temp, f"round-{round_number}")
            work.mkdir()
            for step, duration in run_round(source, paths, args.jobs, work).items():
                results.setdefault(step, []).append(duration)
            shutil.rmtree(work)

    median = {step: statistics.median(values) for step, values in results.items()}
    rate = {step: args.images / value for step, value in median.items()}
    print(
        f"{args.images} files of {args.size} bytes, {args.rounds} rounds, "
        f"{args.jobs} publish threads, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'step':<14} {'median s':>9} {'images/s':>9}")
    for step in ("publish", "baseline put", "sync", "baseline get", "copyfile"):
        print(f"{step:<14} {median[step]:>9.3f} {rate[step]:>9.0f}")
    print(f"publish / baseline put: {rate['publish'] / rate['baseline put']:.2f}")
    print(f"sync / baseline get:    {rate['sync'] / rate['baseline get']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
