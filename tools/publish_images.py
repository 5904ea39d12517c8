"""Upload a local folder of product images to the staging bucket.

    python -m tools.publish_images FOLDER [--bucket NAME | --stack STACK]
        [--prefix images/] [--delete [--allow-empty]] [--dry-run] [--jobs 8]

The file FOLDER/a/b.jpg becomes the object PREFIX + "a/b.jpg", and the sync
function then writes it to the shared images file system. Only files that the
function accepts are uploaded, by the same rules
(components/sync_function/key_policy.py), and the prefix must pass the
function's prefix rules as well. The others are listed as skipped, and so are
symbolic links, which are never followed.

Unchanged files are skipped by checksum. Every upload is a single PUT, so the
object's ETag is the MD5 of its bytes, and each upload also stores the SHA-256
as the metadata `x-amz-meta-sha256`. A file is unchanged when the object has
the same size and its ETag equals the file's MD5. When the ETag differs, as it
does for multipart uploads by other tools and for SSE-KMS encryption, the
stored SHA-256 decides, which costs one HeadObject for that file.

Exit status: 0 on success, 1 when any upload or delete failed, 2 for an
invalid argument, a missing folder, credentials or bucket, or denied access.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import dataclasses
import hashlib
import mimetypes
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO

import boto3
import botocore.exceptions

from components.sync_function import key_policy

PROJECT_DIR = Path(__file__).resolve().parents[1]
STACK_OUTPUT = "imagesBucketName"

# A single PUT accepts up to 5 GiB. Staying single-part keeps ETag == MD5.
MAX_SINGLE_PUT_BYTES = 5 * 1024**3
READ_CHUNK_BYTES = 1024 * 1024
DELETE_BATCH_SIZE = 1000  # maximum keys per DeleteObjects request

# The shape of every region name in botocore 1.44.8's partitions.json, from
# us-east-1 to us-gov-west-1 and eusc-de-east-1.
REGION_PATTERN = re.compile(r"[a-z]{2,4}(-[a-z]+)+-[0-9]+")

# Windows has no O_NOFOLLOW, and there the lstat check in scan_folder is the
# only protection against a file replaced by a link.
OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)

SYMLINK_REASON = (
    "symbolic link, not followed so that no file outside the folder is "
    "uploaded; copy the target into the folder to publish it"
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

# mimetypes lacks .avif and .webp on some systems, so the allowed image types
# are listed here.
CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
}


class UsageError(Exception):
    """An input or environment problem the user must fix; exit status 2."""


@dataclasses.dataclass(frozen=True)
class LocalFile:
    """A file to publish and the key it gets."""

    path: Path
    key: str
    size: int


@dataclasses.dataclass(frozen=True)
class RemoteObject:
    """An object under the prefix, as the listing returns it."""

    size: int
    etag: str


@dataclasses.dataclass(frozen=True)
class SkippedEntry:
    """A file or linked folder that is not uploaded, with the reason."""

    relative: str
    reason: str
    symlink: bool = False


@dataclasses.dataclass
class FolderScan:
    """The folder's files split into uploads and skipped entries.

    `kept_keys` are the keys of all local files, skipped ones included, and
    `kept_prefixes` the key prefixes of linked folders. --delete keeps the
    objects under both.
    """

    files: list[LocalFile] = dataclasses.field(default_factory=list)
    skipped: list[SkippedEntry] = dataclasses.field(default_factory=list)
    kept_keys: set[str] = dataclasses.field(default_factory=set)
    kept_prefixes: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Summary:
    """Counts of one run; `bytes` is the size of the files uploaded."""

    uploaded: int = 0
    unchanged: int = 0
    not_allowed: int = 0
    symlinks: int = 0
    deleted: int = 0
    failed: int = 0
    bytes: int = 0
    seconds: float = 0.0

    @property
    def skipped(self) -> int:
        return self.unchanged + self.not_allowed + self.symlinks


@dataclasses.dataclass(frozen=True)
class Options:
    """Validated options of one run: folder, bucket, key rules and upload modes."""

    folder: Path
    bucket: str
    prefix: str = key_policy.DEFAULT_PREFIX
    allowed_extensions: frozenset[str] = frozenset(
        key_policy.DEFAULT_ALLOWED_EXTENSIONS
    )
    max_object_bytes: int = key_policy.DEFAULT_MAX_OBJECT_BYTES
    delete: bool = False
    allow_empty: bool = False
    dry_run: bool = False
    jobs: int = 8
    verbose: bool = False
    progress: bool = True


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return number


def bucket_name(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError(
            "bucket name is empty; pass the staging bucket name, or omit "
            f"--bucket to read the stack output {STACK_OUTPUT}"
        )
    return value


def region_name(value: str) -> str:
    if not REGION_PATTERN.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an AWS region name; pass a region such as "
            "us-east-1 or eu-west-1"
        )
    return value


def key_prefix(value: str) -> str:
    """Normalize `value`, and reject it unless the sync function accepts it."""
    prefix = key_policy.normalize_prefix(value)
    try:
        key_policy.check_prefix(prefix)
    except key_policy.UnsafeKeyError as error:
        raise argparse.ArgumentTypeError(
            f"{value!r} is invalid: {error}; pass one or more folder names that "
            "each end in '/', such as images/"
        ) from None
    return prefix


def extension_list(value: str) -> frozenset[str]:
    try:
        extensions = key_policy.parse_extensions(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if not extensions:
        raise argparse.ArgumentTypeError(
            f"{value!r} contains no extension; pass a list such as .jpg,.png"
        )
    return extensions


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.publish_images",
        description="Upload a folder of product images to the staging bucket.",
    )
    parser.add_argument("folder", type=Path, help="local folder of images")
    parser.add_argument(
        "--bucket",
        type=bucket_name,
        help=f"staging bucket name (default: the stack output {STACK_OUTPUT})",
    )

    parser.add_argument(
        "--stack",
        help="Pulumi stack whose output names the bucket (default: selected stack)",
    )
    parser.add_argument(
        "--prefix",
        type=key_prefix,
        default=key_policy.DEFAULT_PREFIX,
        help="key prefix the sync function mirrors: one or more folder names, "
        "each ending in '/' (default: %(default)s)",
    )
    parser.add_argument(
        "--delete",
        action="store_true",
        help="delete objects under the prefix that have no local file",
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="let --delete run when the folder has no file to upload, which "
        "deletes every object under the prefix",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the planned uploads and deletes, and change nothing",
    )

    parser.add_argument(
        "--jobs",
        type=positive_int,
        default=8,
        help="number of parallel uploads (default: %(default)s)",
    )

    parser.add_argument(
        "--allowed-extensions",
        type=extension_list,
        default=",".join(key_policy.DEFAULT_ALLOWED_EXTENSIONS),
        help="comma-separated extensions to upload; match the function's "
        "ALLOWED_EXTENSIONS (default: %(default)s)",
    )
    parser.add_argument(
        "--max-object-bytes",
        type=positive_int,
        default=key_policy.DEFAULT_MAX_OBJECT_BYTES,
        help="skip larger files, in bytes; match the function's MAX_OBJECT_BYTES "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--region",
        type=region_name,
        help="AWS region, such as us-east-1 (default: from the profile)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print every upload and delete"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command and return its exit status."""
    args = parse_args(argv)
    try:
        folder = check_folder(args.folder)
        if args.max_object_bytes > MAX_SINGLE_PUT_BYTES:
            raise UsageError(
                f"--max-object-bytes {args.max_object_bytes} is larger than a "
                f"single PUT allows ({MAX_SINGLE_PUT_BYTES}); pass a smaller value"
            )
        bucket = args.bucket or read_stack_bucket(args.stack)
        options = Options(
            folder=folder,
            bucket=bucket,
            prefix=args.prefix,
            allowed_extensions=args.allowed_extensions,
            max_object_bytes=args.max_object_bytes,
            delete=args.delete,
            allow_empty=args.allow_empty,
            dry_run=args.dry_run,
            jobs=args.jobs,
            verbose=args.verbose,
        )
        s3 = make_client(args.region)
        summary = publish(s3, options)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE

    print(format_summary(summary, options.dry_run))
    return EXIT_FAILED if summary.failed else EXIT_OK


def check_folder(folder: Path) -> Path:
    if not folder.exists():
        raise UsageError(
            f"folder not found: {folder}; pass the path of a folder of images"
        )
    if not folder.is_dir():
        raise UsageError(
            f"{folder} is a file, not a folder; pass the folder that contains it"
        )
    return folder


def read_stack_bucket(stack: str | None) -> str:
    """Return the bucket name from `pulumi stack output imagesBucketName`."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise UsageError(
            f"the pulumi CLI is not on PATH, so the stack output {STACK_OUTPUT} "
            "cannot be read; install pulumi or pass --bucket NAME"
        )
    command = [pulumi, "stack", "output", STACK_OUTPUT]
    if stack:
        command += ["--stack", stack]
    display_command = " ".join(["pulumi", *command[1:]])
    try:
        completed = subprocess.run(
            command,
            cwd=PROJECT_DIR,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
        )
    except subprocess.TimeoutExpired:
        raise UsageError(
            f"`{display_command}` timed out after 120 s; pass --bucket NAME"
        ) from None
    if completed.returncode != 0:
        detail = completed.stderr.strip() or f"exit status {completed.returncode}"
        raise UsageError(
            f"`{display_command}` failed: {detail}; pass --bucket NAME, or "
            "--stack STACK for a stack that has been deployed"
        )
    bucket = completed.stdout.strip()
    if not bucket:
        raise UsageError(
            f"`{display_command}` printed no bucket name; pass --bucket NAME"
        )
    return bucket


def make_client(region: str | None) -> Any:
    try:
        return boto3.client("s3", region_name=region)
    except botocore.exceptions.ProfileNotFound as error:
        raise UsageError(f"{error}; set AWS_PROFILE to a configured profile") from None


def describe_client_error(
    error: botocore.exceptions.BotoCoreError | botocore.exceptions.ClientError,
    bucket: str,
) -> str:
    """Return the message for an error that stops the whole run."""
    if isinstance(
        error,
        (
            botocore.exceptions.NoCredentialsError,
            botocore.exceptions.PartialCredentialsError,
        ),
    ):
        return (
            f"no usable AWS credentials ({error}); set AWS_PROFILE, or "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`"
        )
    if isinstance(error, botocore.exceptions.EndpointConnectionError):
        return f"could not connect to S3 ({error}); check the network and --region"
    if isinstance(error, botocore.exceptions.ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket"):
            return (
                f"bucket {bucket!r} not found; check --bucket, or the stack "
                f"output {STACK_OUTPUT} of --stack"
            )
        if code in ("403", "AccessDenied"):
            return (
                f"access denied to bucket {bucket!r}; the credentials need "
                "s3:ListBucket and s3:PutObject on it, and s3:DeleteObject "
                "for --delete"
            )
    return f"S3 request on bucket {bucket!r} failed: {error}"


def publish(s3: Any, options: Options) -> Summary:
    """Upload new and changed files, then delete extra objects if asked.

    Raises:
        UsageError: --delete without --allow-empty and no file to upload, or
            the bucket cannot be read, for any of the reasons that
            `describe_client_error` names.
    """
    started = time.monotonic()
    summary = Summary()
    scan = scan_folder(options)
    for entry in scan.skipped:
        if entry.symlink:
            summary.symlinks += 1
        else:
            summary.not_allowed += 1
        print(f"skip {entry.relative}: {entry.reason}")
    if options.delete and not scan.files and not options.allow_empty:
        raise UsageError(
            f"{options.folder} has no file to upload, so --delete would remove "
            f"every image under the prefix {options.prefix!r} of bucket "
            f"{options.bucket!r}; check the folder, or pass --allow-empty to "
            "delete them all"
        )

    try:
        s3.head_bucket(Bucket=options.bucket)
        remote = list_remote(s3, options.bucket, options.prefix)
    except (
        botocore.exceptions.BotoCoreError,
        botocore.exceptions.ClientError,
    ) as error:
        raise UsageError(describe_client_error(error, options.bucket)) from None

    progress = Progress(len(scan.files), enabled=options.progress)
    try:
        upload_all(s3, options, scan.files, remote, summary, progress)
    finally:
        progress.close()

    if options.delete:
        kept_prefixes = tuple(scan.kept_prefixes)
        extra = sorted(
            key
            for key in remote
            if key not in scan.kept_keys and not key.startswith(kept_prefixes)
        )
        delete_keys(s3, options, extra, summary)

    summary.seconds = time.monotonic() - started
    return summary


def scan_folder(options: Options) -> FolderScan:
    """Walk the folder without following symbolic links, and sort its files.

    A link to a file or folder is skipped, so that a link such as
    `leak.jpg -> ../secret/credentials` uploads nothing from outside the folder.
    """
    scan = FolderScan()
    for directory, subdirs, names in os.walk(options.folder, followlinks=False):
        linked_dirs = sorted(
            name for name in subdirs if Path(directory, name).is_symlink()
        )
        subdirs[:] = sorted(name for name in subdirs if name not in linked_dirs)
        for name in linked_dirs:
            relative = Path(directory, name).relative_to(options.folder).as_posix()
            entry = SkippedEntry(relative + "/", SYMLINK_REASON, symlink=True)
            scan.skipped.append(entry)
            scan.kept_prefixes.append(options.prefix + relative + "/")
        for name in sorted(names):
            scan_file(options, Path(directory, name), scan)
    return scan


def scan_file(options: Options, path: Path, scan: FolderScan) -> None:
    """Add `path` to the uploads or the skipped entries of `scan`."""
    relative = path.relative_to(options.folder).as_posix()
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        scan.skipped.append(SkippedEntry(relative, "file name is not valid UTF-8"))
        return
    key = options.prefix + relative
    scan.kept_keys.add(key)

    try:
        file_stat = path.lstat()
    except OSError as error:
        # For example, the file was removed after os.walk listed it.
        scan.skipped.append(SkippedEntry(relative, f"cannot read: {error}"))
        return
    if stat.S_ISLNK(file_stat.st_mode):
        scan.skipped.append(SkippedEntry(relative, SYMLINK_REASON, symlink=True))
        return
    if not stat.S_ISREG(file_stat.st_mode):
        scan.skipped.append(SkippedEntry(relative, "not a regular file"))
        return

    try:
        key_policy.relative_path(key, options.prefix, options.allowed_extensions)
    except key_policy.UnsafeKeyError as error:
        scan.skipped.append(SkippedEntry(relative, str(error)))
        return

    size = file_stat.st_size
    if size > options.max_object_bytes:
        reason = (
            f"size {size} bytes is larger than --max-object-bytes "
            f"({options.max_object_bytes})"
        )
        scan.skipped.append(SkippedEntry(relative, reason))
        return
    scan.files.append(LocalFile(path=path, key=key, size=size))


def list_remote(s3: Any, bucket: str, prefix: str) -> dict[str, RemoteObject]:
    """Return the objects under the prefix, except folder markers."""
    remote: dict[str, RemoteObject] = {}
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].endswith("/"):
                continue
            remote[item["Key"]] = RemoteObject(
                size=item["Size"], etag=item["ETag"].strip('"')
            )
    return remote


def open_no_follow(path: Path) -> BinaryIO:
    """Open `path` for reading, raising OSError if it is a symbolic link."""
    return os.fdopen(os.open(path, OPEN_FLAGS), "rb")


def file_digests(path: Path) -> tuple[str, str, bytes]:
    """Return the MD5 hex, SHA-256 hex and raw MD5 of a file, read once."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha256 = hashlib.sha256()
    with open_no_follow(path) as file:
        while chunk := file.read(READ_CHUNK_BYTES):
            md5.update(chunk)
            sha256.update(chunk)
    return md5.hexdigest(), sha256.hexdigest(), md5.digest()


def content_type(key: str) -> str:
    extension = os.path.splitext(key)[1].lower()
    guessed = CONTENT_TYPES.get(extension) or mimetypes.guess_type(key)[0]
    return guessed or "application/octet-stream"


def is_unchanged(
    s3: Any,
    bucket: str,
    local: LocalFile,
    remote: RemoteObject | None,
    md5_hex: str,
    sha256_hex: str,
) -> bool:
    if remote is None or remote.size != local.size:
        return False
    if remote.etag == md5_hex:
        return True
    head = s3.head_object(Bucket=bucket, Key=local.key)
    return head.get("Metadata", {}).get("sha256") == sha256_hex


def publish_file(
    s3: Any, options: Options, local: LocalFile, remote: RemoteObject | None
) -> str:
    """Upload one file unless it is unchanged; return "uploaded" or "unchanged".

    In a dry run nothing is uploaded and "uploaded" means "would upload".
    """
    md5_hex, sha256_hex, md5_raw = file_digests(local.path)
    if is_unchanged(s3, options.bucket, local, remote, md5_hex, sha256_hex):
        return "unchanged"
    if options.dry_run:
        return "uploaded"
    with open_no_follow(local.path) as body:
        # ContentMD5 makes S3 reject the PUT if the file changed while read.
        s3.put_object(
            Bucket=options.bucket,
            Key=local.key,
            Body=body,
            ContentType=content_type(local.key),
            ContentMD5=base64.b64encode(md5_raw).decode("ascii"),
            Metadata={"sha256": sha256_hex},
        )
    return "uploaded"


def upload_all(
    s3: Any,
    options: Options,
    files: list[LocalFile],
    remote: dict[str, RemoteObject],
    summary: Summary,
    progress: Progress,
) -> None:
    # boto3 clients are thread-safe, so the workers share one.
    with concurrent.futures.ThreadPoolExecutor(max_workers=options.jobs) as pool:
        futures = {
            pool.submit(publish_file, s3, options, local, remote.get(local.key)): local
            for local in files
        }
        for future in concurrent.futures.as_completed(futures):
            local = futures[future]
            try:
                result = future.result()
            except (
                OSError,
                botocore.exceptions.BotoCoreError,
                botocore.exceptions.ClientError,
            ) as error:
                summary.failed += 1
                progress.write(f"failed {local.key}: {error}", error=True)
            else:
                if result == "unchanged":
                    summary.unchanged += 1
                else:
                    summary.uploaded += 1
                    summary.bytes += local.size
                    if options.dry_run:
                        progress.write(f"upload {local.key} ({local.size} bytes)")
                    elif options.verbose:
                        progress.write(f"uploaded {local.key} ({local.size} bytes)")
            progress.update()


def delete_keys(s3: Any, options: Options, keys: list[str], summary: Summary) -> None:
    if options.dry_run:
        for key in keys:
            print(f"delete {key}")
        summary.deleted += len(keys)
        return
    for start in range(0, len(keys), DELETE_BATCH_SIZE):
        batch = keys[start : start + DELETE_BATCH_SIZE]
        try:
            response = s3.delete_objects(
                Bucket=options.bucket,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )
        except (
            botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError,
        ) as error:
            summary.failed += len(batch)
            print(f"failed to delete {len(batch)} objects: {error}", file=sys.stderr)
            continue
        errors = response.get("Errors", [])
        for item in errors:
            print(
                f"failed to delete {item.get('Key')}: {item.get('Code')} "
                f"{item.get('Message')}",
                file=sys.stderr,
            )
        failed_keys = {item.get("Key") for item in errors}
        summary.failed += len(errors)
        summary.deleted += len(batch) - len(errors)
        if options.verbose:
            for key in batch:
                if key not in failed_keys:
                    print(f"deleted {key}")


def format_summary(summary: Summary, dry_run: bool) -> str:
    verbs = ("would upload", "would delete") if dry_run else ("uploaded", "deleted")
    links = "symbolic link" if summary.symlinks == 1 else "symbolic links"
    return (
        f"{'dry run: ' if dry_run else ''}{verbs[0]} {summary.uploaded}, "
        f"skipped {summary.skipped} ({summary.unchanged} unchanged, "
        f"{summary.not_allowed} not allowed, {summary.symlinks} {links}), "
        f"{verbs[1]} {summary.deleted}, "
        f"failed {summary.failed}; {summary.bytes} bytes in "
        f"{summary.seconds:.1f} s"
    )


class Progress:
    """A progress bar on stderr: tqdm when installed, else a plain counter.

    Both show only when stderr is a terminal.
    """

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total = total
        self.done = 0
        self.enabled = enabled and sys.stderr.isatty()
        self.bar: Any = None
        if not self.enabled:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=total, unit="file", file=sys.stderr)

    def update(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
        elif self.enabled:
            print(f"\r{self.done}/{self.total} files", end="", file=sys.stderr)

    def write(self, line: str, error: bool = False) -> None:
        stream = sys.stderr if error else sys.stdout
        if self.bar is not None:
            self.bar.write(line, file=stream)
            return
        if self.enabled:
            # Clear the counter so that the line starts at column 0.
            print("\r" + " " * 40 + "\r", end="", file=sys.stderr)
        print(line, file=stream)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled and self.total:
            print(file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
