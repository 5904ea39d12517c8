"""AWS Lambda function that mirrors S3 image objects onto the EFS images mount.

Deployment contract, which the Pulumi component that creates the function
must meet:

- Code: this folder is the function root, the handler is `handler.handler`,
  the runtime Python 3.12. The code needs only boto3, which the runtime
  provides.
- Trigger: S3 notifications for `s3:ObjectCreated:*` and `s3:ObjectRemoved:*`
  under IMAGES_PREFIX, invoked asynchronously, so that Lambda retries a failed
  event and then sends it to the dead-letter queue.
- File system: the EFS access point whose root is the folder nginx serves,
  mounted read-write at MOUNT_PATH.
- IAM: s3:GetObject and s3:GetObjectVersion on the prefix, s3:ListBucket on
  the bucket for resync, and elasticfilesystem:ClientMount and ClientWrite.
- Environment variables:
  MOUNT_PATH          local path of the mount (default /mnt/images)
  IMAGES_PREFIX       key prefix mirrored to the mount root (default images/),
                      so the key images/a/b.jpg becomes MOUNT_PATH/a/b.jpg
  ALLOWED_EXTENSIONS  comma-separated, case-insensitive file extensions
                      (default .jpg,.jpeg,.png,.gif,.webp,.avif,.svg)
  MAX_OBJECT_BYTES    larger objects are rejected (default 20971520)
  LOG_LEVEL           logging level name (default INFO)
  IMAGES_BUCKET       bucket that resync lists when its event names none
                      (optional, no default)

Events:

- An S3 notification, `{"Records": [...]}`. Each record is applied under a
  per-file lock, unless its sequencer is not newer than the last one applied
  to that file. Rejected keys and stale events are logged and do not raise.
  Any other error raises SyncBatchError after the whole batch, naming the
  failed keys, so that Lambda retries the event.
- `{"action": "resync", "dry_run": false, "bucket": "..."}`, invoked by hand:
  see `resync.run_resync`. Returns the report.

Each object gets one JSON log line with key, version, size, action, outcome,
reason and duration_ms. The state folder MOUNT_PATH/.sync-state/ is described
in mount.py.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
import urllib.parse
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions

# Tests and tools import this folder as the package sync_function, and mypy
# reads this branch. Lambda imports the modules as top-level modules.
if TYPE_CHECKING or __package__:
    from . import config, key_policy, mount, resync, transfer
else:
    import config
    import key_policy
    import mount
    import resync
    import transfer

logger = logging.getLogger(__name__)

S3_CLIENT_CONFIG = botocore.config.Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=60,
)


class SyncBatchError(RuntimeError):
    """One or more records failed with an error that may pass on retry."""


class MalformedRecordError(ValueError):
    """A notification record without the fields of an S3 event."""


@dataclasses.dataclass(frozen=True)
class Applied:
    """The result of one event, for its log line.

    `size` and `version` are the bytes written and the version read, when a
    put wrote the file.
    """

    action: str
    outcome: str
    reason: str | None = None
    size: int | None = None
    version: str | None = None


@dataclasses.dataclass(frozen=True)
class ObjectEvent:
    """The fields of one S3 notification record that the sync uses."""

    name: str
    bucket: str
    key: str
    size: int | None
    etag: str | None
    version_id: str | None
    sequencer: str | None


@functools.cache
def s3_client() -> Any:
    """Return the S3 client, created once per execution environment."""
    return boto3.client("s3", config=S3_CLIENT_CONFIG)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point for S3 notifications and resync requests."""
    settings = config.Settings.from_environ()
    for module in (__name__, mount.__name__, transfer.__name__, resync.__name__):
        logging.getLogger(module).setLevel(settings.log_level)

    if not isinstance(event, dict):
        raise ValueError(f"unsupported event of type {type(event).__name__}")
    if event.get("action") == "resync":
        bucket = event.get("bucket") or settings.bucket
        if not bucket:
            raise ValueError(
                'resync needs a bucket: pass "bucket" in the event or set '
                "IMAGES_BUCKET on the function"
            )
        return resync.run_resync(
            settings,
            s3_client(),
            mount.Mount(settings.mount_path),
            bucket,
            dry_run=read_flag(event, "dry_run"),
            allow_empty_bucket=read_flag(event, "allow_empty_bucket"),
        )
    if "action" in event:
        raise ValueError(
            f"unsupported action {event['action']!r}; the only action is resync"
        )
    if event.get("Event") == "s3:TestEvent":
        # S3 sends this once when the notification configuration is saved.
        logger.info("ignoring s3:TestEvent for bucket %s", event.get("Bucket"))
        return {"records": 0}
    if "Records" not in event:
        raise ValueError(
            'unsupported event: expected S3 notification "Records" or '
            '{"action": "resync"}'
        )
    return sync_records(event["Records"], settings)


def read_flag(event: dict[str, Any], name: str) -> bool:
    """Return a boolean field of a resync event, False when it is absent.

    Raises:
        ValueError: the field is not a JSON boolean. A string such as "false"
            would otherwise count as true and turn a dry run into a real one.
    """
    value = event.get(name, False)
    if not isinstance(value, bool):
        raise ValueError(f'"{name}" must be true or false, got {value!r}')
    return value


def sync_records(records: list[dict[str, Any]], settings: config.Settings) -> dict:
    """Apply each notification record and return the count per outcome.

    Raises:
        SyncBatchError: after all records ran, when any of them failed.
    """
    target = mount.Mount(settings.mount_path)
    counts: dict[str, int] = {}
    failures: list[str] = []
    for record in records:
        outcome, error = sync_record(record, settings, target)
        counts[outcome] = counts.get(outcome, 0) + 1
        if error is not None:
            failures.append(error)
    if failures:
        raise SyncBatchError(
            f"{len(failures)} of {len(records)} records failed and may pass on "
            f"retry: {'; '.join(failures)}"
        )
    return counts


def parse_record(record: dict[str, Any]) -> ObjectEvent:
    """Extract the object fields from a record and URL-decode its key.

    Raises:
        MalformedRecordError: the record has no bucket name or object key.
    """
    try:
        s3_data = record["s3"]
        bucket = s3_data["bucket"]["name"]
        encoded_key = s3_data["object"]["key"]
    except (KeyError, TypeError) as error:
        raise MalformedRecordError(
            f"record has no s3.bucket.name or s3.object.key ({error!r})"
        ) from None
    obj = s3_data["object"]
    size = obj.get("size")
    try:
        size = int(size) if size is not None else None
    except (TypeError, ValueError):
        raise MalformedRecordError(
            f"record has an invalid s3.object.size {size!r}"
        ) from None
    return ObjectEvent(
        name=str(record.get("eventName", "")),
        bucket=bucket,
        key=urllib.parse.unquote_plus(encoded_key),
        size=size,
        etag=transfer.normalize_etag(obj.get("eTag")),
        version_id=obj.get("versionId") or None,
        sequencer=obj.get("sequencer") or None,
    )


def sync_record(
    record: dict[str, Any], settings: config.Settings, target: mount.Mount
) -> tuple[str, str | None]:
    """Apply one record and log its JSON line.

    Returns the outcome, and for a failed record a "key (error)" description.
    Catches every Exception of the record, so that the rest of the batch runs.
    """
    started = time.monotonic()
    try:
        event = parse_record(record)
    except MalformedRecordError as error:
        transfer.log_object(
            "", action="skip", outcome="rejected", started=started, reason=str(error)
        )
        return "rejected", None

    fields = {
        "version": event.version_id,
        "size": event.size,
        "event": event.name,
        "sequencer": event.sequencer,
    }
    try:
        applied = apply_event(event, settings, target)
    except (
        key_policy.UnsafeKeyError,
        mount.ObjectTooLargeError,
        mount.SymlinkPathError,
        NotADirectoryError,
        IsADirectoryError,
    ) as error:
        reason = str(error)
        if isinstance(error, (NotADirectoryError, IsADirectoryError)):
            reason = f"local path conflicts with an existing file or folder: {error}"
        transfer.log_object(
            event.key,
            action="skip",
            outcome="rejected",
            started=started,
            reason=reason,
            **fields,
        )
        return "rejected", None
    except Exception as error:  # noqa: BLE001 - one record must not stop the batch
        transfer.log_object(
            event.key,
            action="skip",
            outcome="failed",
            started=started,
            reason=f"{type(error).__name__}: {error}",
            **fields,
        )
        expected = (
            OSError,
            botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError,
        )
        if not isinstance(error, expected):
            # Keep the trace, because an error that does not come from S3 or
            # the file system is most likely a bug.
            logger.exception("unexpected error while syncing %r", event.key)
        return "failed", f"{event.key} ({type(error).__name__}: {error})"

    if applied.size is not None:
        fields["size"] = applied.size
    if applied.version is not None:
        fields["version"] = applied.version
    transfer.log_object(
        event.key,
        action=applied.action,
        outcome=applied.outcome,
        started=started,
        reason=applied.reason,
        **fields,
    )
    return applied.outcome, None


def apply_event(
    event: ObjectEvent, settings: config.Settings, target: mount.Mount
) -> Applied:
    """Write or delete the file for one event, or skip a stale or duplicate one.

    Raises:
        key_policy.UnsafeKeyError, mount.ObjectTooLargeError,
            mount.SymlinkPathError: permanent rejections.
        OSError, botocore errors: failures that may pass on retry.
    """
    if event.name.startswith("ObjectCreated:"):
        action = "put"
    elif event.name.startswith("ObjectRemoved:"):
        action = "delete"
    else:
        return Applied("skip", "ignored", f"event {event.name!r} is not handled")

    relative = key_policy.relative_path(
        event.key, settings.prefix, settings.allowed_extensions, settings.mount_path
    )
    too_large = event.size is not None and event.size > settings.max_object_bytes
    if action == "put" and too_large:
        raise mount.ObjectTooLargeError(
            f"object size {event.size} bytes is larger than MAX_OBJECT_BYTES "
            f"({settings.max_object_bytes})"
        )

    target.check_mounted()
    with target.lock(relative):
        state = target.read_state(relative)
        if state is not None and event.sequencer and state.sequencer:
            order = mount.compare_sequencers(event.sequencer, state.sequencer)
            if order == 0:
                return Applied("skip", "duplicate", "sequencer already applied")
            if order < 0:
                return Applied(
                    "skip",
                    "stale",
                    f"sequencer is older than the applied {state.sequencer}",
                )
        # An event without a sequencer keeps the recorded one, so that it does
        # not reset the ordering of later events.
        sequencer = event.sequencer or (state.sequencer if state else None)

        if action == "delete":
            existed = target.delete_file(relative)
            target.write_state(
                relative,
                mount.SyncState(
                    key=event.key,
                    sequencer=sequencer,
                    version_id=event.version_id,
                    deleted=True,
                ),
            )
            reason = None if existed else "file was already absent"
            return Applied("delete", "deleted", reason)

        try:
            downloaded = transfer.download_object(
                s3_client(),
                event.bucket,
                event.key,
                relative,
                target,
                settings.max_object_bytes,
                version_id=event.version_id,
                etag=event.etag,
            )
        except transfer.ObjectGoneError as error:
            return Applied("skip", "stale", str(error))
        # The state follows the data, so a crash between the two renames
        # leaves an older state, and the redelivered event rewrites the file.
        target.write_state(
            relative,
            mount.SyncState(
                key=event.key,
                sequencer=sequencer,
                version_id=downloaded.version_id or event.version_id,
                etag=downloaded.etag or event.etag,
                size=downloaded.size,
            ),
        )
        return Applied(
            "put", "written", size=downloaded.size, version=downloaded.version_id
        )
