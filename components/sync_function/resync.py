"""Bring the mount in line with a listing of the bucket, on request.

Resync repairs what lost or failed events left behind: it writes objects that
are missing or differ, and removes files that the bucket no longer has.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import stat
import time
from typing import TYPE_CHECKING, Any

# Tests and tools import this folder as the package sync_function, and mypy
# reads this branch. Lambda imports the modules as top-level modules.
if TYPE_CHECKING or __package__:
    from . import key_policy, mount, transfer
    from .config import Settings
else:
    import key_policy
    import mount
    import transfer
    from config import Settings

logger = logging.getLogger(__name__)

# A file modified less than this many seconds before the listing started may
# belong to an object created since, so resync leaves it for the next run.
RECENT_SECONDS = 60

# Lambda stops an invocation after at most 900 seconds, so an older temporary
# file has no writer left.
TEMP_MAX_AGE_SECONDS = 900 + 60

# Each list in the report is cut to this many entries to stay well below the
# 6 MB limit of a synchronous Lambda response. The counts are always complete.
MAX_REPORT_ITEMS = 1000

PLAIN_MD5_ETAG = re.compile(r"[0-9a-f]{32}")

OUTCOMES = ("written", "deleted", "unchanged", "skipped", "rejected", "failed")


@dataclasses.dataclass(frozen=True)
class ListedObject:
    """An accepted object from the bucket listing."""

    key: str
    size: int
    etag: str


class Report:
    """Counts and lists of keys per outcome, returned by `run_resync`."""

    def __init__(self, bucket: str, prefix: str, dry_run: bool) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.dry_run = dry_run
        self.items: dict[str, list[Any]] = {outcome: [] for outcome in OUTCOMES}
        self.warnings: list[str] = []

    def add(self, outcome: str, item: Any) -> None:
        self.items[outcome].append(item)

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "bucket": self.bucket,
            "prefix": self.prefix,
            "dry_run": self.dry_run,
            "counts": {outcome: len(items) for outcome, items in self.items.items()},
            "truncated": any(len(i) > MAX_REPORT_ITEMS for i in self.items.values()),
            "warnings": self.warnings,
        }
        for outcome, items in self.items.items():
            result[outcome] = items[:MAX_REPORT_ITEMS]
        return result


def run_resync(
    settings: Settings,
    s3: Any,
    target: mount.Mount,
    bucket: str,
    *,
    dry_run: bool = False,
    allow_empty_bucket: bool = False,
) -> dict[str, Any]:
    """Write missing or changed objects, remove extra files; return the report.

    An object is unchanged when its file has the listed size and either the
    state records the listed ETag or the file's MD5 equals a single-part ETag.
    Every file under the mount root that matches no accepted object is removed,
    except the state folder and files modified within RECENT_SECONDS of the
    listing. With `dry_run` nothing is written, locked or removed, and the
    report lists what a real run would do. When the listing has no accepted
    object, no file is removed unless `allow_empty_bucket` is set, because an
    empty listing more often means a wrong bucket or prefix than an empty
    catalog.

    NOTE: resync records the newest sequencer it has seen for a file, not the
    sequencer of the version it wrote. In a versioned bucket, a delayed event
    for a version between the two can still overwrite the file with that older
    version, until the newer version's own event arrives.
    NOTE: one invocation lists and checks every object, so a catalog too large
    for the function timeout needs several runs or a longer timeout.
    """
    target.check_mounted()
    listing_started = time.time()
    report = Report(bucket, settings.prefix, dry_run)

    listed = _list_objects(s3, bucket, settings, report)
    for relative in sorted(listed):
        _resync_object(settings, s3, target, bucket, listed[relative], relative, report)

    files, temp_files = target.scan()
    extras = sorted(relative for relative in files if relative not in listed)
    if extras and not listed and not allow_empty_bucket:
        warning = (
            f"bucket {bucket} has no accepted objects under {settings.prefix!r}, "
            f"so {len(extras)} files were kept; check the bucket and prefix, or "
            'pass "allow_empty_bucket": true to remove them'
        )
        logger.warning(warning)
        report.warnings.append(warning)
    else:
        for relative in extras:
            _remove_extra(settings, target, relative, listing_started, report)

    if not dry_run:
        _remove_old_temp_files(target, temp_files)
        target.prune_empty_dirs()

    result = report.as_dict()
    logger.info(
        "resync of s3://%s/%s finished (dry_run=%s): %s",
        bucket,
        settings.prefix,
        dry_run,
        json.dumps(result["counts"]),
    )
    return result


def _list_objects(
    s3: Any, bucket: str, settings: Settings, report: Report
) -> dict[str, ListedObject]:
    """Return the accepted objects under the prefix by relative path."""
    listed: dict[str, ListedObject] = {}
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=settings.prefix):
        for item in page.get("Contents", []):
            started = time.monotonic()
            key = item["Key"]
            try:
                relative = key_policy.relative_path(
                    key,
                    settings.prefix,
                    settings.allowed_extensions,
                    settings.mount_path,
                )
                if item["Size"] > settings.max_object_bytes:
                    raise mount.ObjectTooLargeError(
                        f"object size {item['Size']} bytes is larger than "
                        f"MAX_OBJECT_BYTES ({settings.max_object_bytes})"
                    )
            except (key_policy.UnsafeKeyError, mount.ObjectTooLargeError) as error:
                report.add("rejected", {"key": key, "reason": str(error)})
                transfer.log_object(
                    key,
                    action="skip",
                    outcome="rejected",
                    started=started,
                    reason=str(error),
                    size=item["Size"],
                    resync=True,
                )
                continue
            listed[relative] = ListedObject(
                key=key,
                size=item["Size"],
                etag=transfer.normalize_etag(item["ETag"]) or "",
            )
    return listed


def _resync_object(
    settings: Settings,
    s3: Any,
    target: mount.Mount,
    bucket: str,
    obj: ListedObject,
    relative: str,
    report: Report,
) -> None:
    started = time.monotonic()
    fields: dict[str, Any] = {"size": obj.size, "resync": True}
    if report.dry_run:
        fields["dry_run"] = True
    try:
        if report.dry_run:
            current = _is_current(target, relative, obj, adopt=False)
        else:
            with target.lock(relative):
                current = _is_current(target, relative, obj, adopt=True)
                if not current:
                    _write_object(settings, s3, target, bucket, obj, relative)
    except transfer.ObjectGoneError as error:
        report.add("skipped", obj.key)
        transfer.log_object(
            obj.key,
            action="skip",
            outcome="stale",
            started=started,
            reason=str(error),
            **fields,
        )
        return
    except (
        mount.ObjectTooLargeError,
        mount.SymlinkPathError,
        NotADirectoryError,
        IsADirectoryError,
    ) as error:
        report.add("rejected", {"key": obj.key, "reason": str(error)})
        transfer.log_object(
            obj.key,
            action="skip",
            outcome="rejected",
            started=started,
            reason=str(error),
            **fields,
        )
        return
    except Exception as error:  # noqa: BLE001 - one object must not stop the resync
        reason = f"{type(error).__name__}: {error}"
        report.add("failed", {"key": obj.key, "reason": reason})
        transfer.log_object(
            obj.key,
            action="skip",
            outcome="failed",
            started=started,
            reason=reason,
            **fields,
        )
        return

    if current:
        report.add("unchanged", obj.key)
        transfer.log_object(
            obj.key, action="skip", outcome="unchanged", started=started, **fields
        )
    else:
        report.add("written", obj.key)
        transfer.log_object(
            obj.key, action="put", outcome="written", started=started, **fields
        )


def _write_object(
    settings: Settings,
    s3: Any,
    target: mount.Mount,
    bucket: str,
    obj: ListedObject,
    relative: str,
) -> None:
    downloaded = transfer.download_object(
        s3,
        bucket,
        obj.key,
        relative,
        target,
        settings.max_object_bytes,
        etag=obj.etag,
    )
    previous = target.read_state(relative)
    target.write_state(
        relative,
        mount.SyncState(
            key=obj.key,
            sequencer=previous.sequencer if previous else None,
            version_id=downloaded.version_id,
            etag=downloaded.etag or obj.etag,
            size=downloaded.size,
        ),
    )


def _is_current(
    target: mount.Mount, relative: str, obj: ListedObject, *, adopt: bool
) -> bool:
    """Return whether the file already contains the listed object.

    A file without a matching state, for example one copied onto the file
    system by hand, is current when its MD5 equals the single-part ETag. With
    `adopt`, such a file gets a state record so later runs skip the hash. A
    symbolic link is never current, so a real run replaces it with the object.

    Raises:
        mount.SymlinkPathError: a folder on the way to the file is a link.
    """
    target.check_parents(relative)
    path = target.local_path(relative)
    try:
        file_stat = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    if not stat.S_ISREG(file_stat.st_mode) or file_stat.st_size != obj.size:
        return False

    state = target.read_state(relative)
    if state is not None and not state.deleted and state.etag == obj.etag:
        return True
    if not PLAIN_MD5_ETAG.fullmatch(obj.etag) or _file_md5(path) != obj.etag:
        return False
    if adopt:
        target.write_state(
            relative,
            mount.SyncState(
                key=obj.key,
                sequencer=state.sequencer if state else None,
                etag=obj.etag,
                size=obj.size,
            ),
        )
    return True


def _file_md5(path: str) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    # O_NOFOLLOW: the file may have been replaced by a link since the lstat.
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as file:
        while chunk := file.read(transfer.CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _remove_extra(
    settings: Settings,
    target: mount.Mount,
    relative: str,
    listing_started: float,
    report: Report,
) -> None:
    started = time.monotonic()
    key = settings.prefix + relative
    fields: dict[str, Any] = {"resync": True}
    if report.dry_run:
        fields["dry_run"] = True
    path = target.local_path(relative)
    try:
        # A real run's delete_file checks again under the lock. This check
        # makes a dry run report the same rejection.
        target.check_parents(relative)
        if report.dry_run:
            removed = _is_old_enough(path, listing_started)
        else:
            with target.lock(relative):
                removed = _is_old_enough(path, listing_started)
                if removed:
                    target.delete_file(relative)
                    state = target.read_state(relative)
                    if state is not None and not state.deleted:
                        target.write_state(
                            relative,
                            mount.SyncState(
                                key=key, sequencer=state.sequencer, deleted=True
                            ),
                        )
    except FileNotFoundError:
        return  # removed by an event since the scan
    except mount.SymlinkPathError as error:
        report.add("rejected", {"key": key, "reason": str(error)})
        transfer.log_object(
            key,
            action="skip",
            outcome="rejected",
            started=started,
            reason=str(error),
            **fields,
        )
        return
    except OSError as error:
        reason = f"{type(error).__name__}: {error}"
        report.add("failed", {"key": key, "reason": reason})
        transfer.log_object(
            key,
            action="skip",
            outcome="failed",
            started=started,
            reason=reason,
            **fields,
        )
        return

    if removed:
        report.add("deleted", key)
        transfer.log_object(
            key, action="delete", outcome="deleted", started=started, **fields
        )
    else:
        reason = "file changed during the resync; the next resync checks it again"
        report.add("skipped", key)
        transfer.log_object(
            key,
            action="skip",
            outcome="stale",
            started=started,
            reason=reason,
            **fields,
        )


def _is_old_enough(path: str, listing_started: float) -> bool:
    """Return whether the file was modified long enough before the listing.

    Raises:
        FileNotFoundError: the file no longer exists.
    """
    return os.lstat(path).st_mtime < listing_started - RECENT_SECONDS


def _remove_old_temp_files(target: mount.Mount, temp_files: list[str]) -> None:
    now = time.time()
    for relative in temp_files:
        path = target.local_path(relative)
        try:
            if now - os.lstat(path).st_mtime > TEMP_MAX_AGE_SECONDS:
                os.unlink(path)
                logger.info("removed abandoned temporary file %s", path)
        except FileNotFoundError:
            continue
        except OSError as error:
            logger.warning("could not remove temporary file %s: %s", path, error)
