"""Tests of the image sync Lambda function, with moto S3 and a temporary mount.

Each test uses a pytest `tmp_path` folder as the EFS mount and builds the S3
notification records by hand, with increasing sequencers, from the
responses of moto's PutObject and DeleteObject.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import itertools
import json
import logging
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
import unicodedata
import urllib.parse
from pathlib import Path
from typing import Any

import boto3
import botocore.response
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from components.sync_function import handler, key_policy, mount, resync, transfer

BUCKET = "staging-images"
SYNC_FUNCTION_DIR = Path(__file__).resolve().parents[1] / "components" / "sync_function"

_sequencers = itertools.count(0x10)


# --- fixtures ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that opens a network connection; moto runs in process."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"test opened a network connection: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and region, and no profile, config file or IMDS."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-creds"))


@pytest.fixture
def s3(aws_env: None) -> Any:
    """A moto S3 client with the empty staging bucket."""
    # Tests may replace handler.s3_client, so keep the cached original.
    client_factory = handler.s3_client
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client_factory.cache_clear()
        yield client
        client_factory.cache_clear()


@pytest.fixture
def versioned_s3(s3: Any) -> Any:
    s3.put_bucket_versioning(
        Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"}
    )
    return s3


@pytest.fixture
def mount_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary mount root, with the function's variables at their defaults."""
    root = tmp_path / "mnt" / "images"
    root.mkdir(parents=True)
    monkeypatch.setenv("MOUNT_PATH", str(root))
    for name in (
        "IMAGES_PREFIX",
        "ALLOWED_EXTENSIONS",
        "MAX_OBJECT_BYTES",
        "LOG_LEVEL",
        "IMAGES_BUCKET",
    ):
        monkeypatch.delenv(name, raising=False)
    return root


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="components.sync_function")
    return caplog


# --- helpers ----------------------------------------------------------------


def next_sequencer() -> str:
    return f"{next(_sequencers):018X}"


def record(
    name: str,
    key: str,
    *,
    sequencer: str | None = None,
    size: int | None = None,
    etag: str | None = None,
    version_id: str | None = None,
) -> dict[str, Any]:
    """Build one S3 notification record, with the key URL-encoded as S3 sends it."""
    obj: dict[str, Any] = {
        "key": urllib.parse.quote_plus(key, safe="/"),
        "sequencer": sequencer or next_sequencer(),
    }
    if size is not None:
        obj["size"] = size
    if etag is not None:
        obj["eTag"] = etag
    if version_id is not None:
        obj["versionId"] = version_id
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventName": name,
        "s3": {"bucket": {"name": BUCKET}, "object": obj},
    }


def upload(s3: Any, key: str, body: bytes) -> dict[str, Any]:
    """Put an object and return the ObjectCreated:Put record S3 would send."""
    response = s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return record(
        "ObjectCreated:Put",
        key,
        size=len(body),
        etag=response["ETag"].strip('"'),
        version_id=response.get("VersionId"),
    )


def remove(s3: Any, key: str) -> dict[str, Any]:
    """Delete an object and return the ObjectRemoved record S3 would send."""
    response = s3.delete_object(Bucket=BUCKET, Key=key)
    if response.get("DeleteMarker"):
        return record(
            "ObjectRemoved:DeleteMarkerCreated",
            key,
            version_id=response.get("VersionId"),
        )
    return record("ObjectRemoved:Delete", key)


def invoke(*records: dict[str, Any]) -> dict[str, Any]:
    return handler.handler({"Records": list(records)}, None)


def object_logs(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """Return the per-object JSON log lines, oldest first."""
    return [
        json.loads(entry.getMessage())
        for entry in caplog.records
        if entry.name == transfer.logger.name
    ]


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Map every file under `root` to its bytes and mtime in nanoseconds."""
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def temp_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if mount.is_temp_name(path.name)]


def age(path: Path, seconds: float) -> None:
    """Set the file's mtime `seconds` into the past."""
    past = time.time() - seconds
    os.utime(path, (past, past))


class FailingS3:
    """An S3 client whose GetObject fails with SlowDown for chosen keys."""

    def __init__(self, client: Any, failing_keys: set[str]) -> None:
        self.client = client
        self.failing_keys = failing_keys

    def get_object(self, **request: Any) -> Any:
        if request["Key"] in self.failing_keys:
            raise ClientError(
                {"Error": {"Code": "SlowDown", "Message": "Reduce your request rate."}},
                "GetObject",
            )
        return self.client.get_object(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


# --- put and delete ---------------------------------------------------------


def test_put_event_writes_file(s3: Any, mount_root: Path) -> None:
    result = invoke(upload(s3, "images/shoes/red.jpg", b"red shoe"))

    assert result == {"written": 1}
    assert (mount_root / "shoes" / "red.jpg").read_bytes() == b"red shoe"


def test_written_file_has_mode_0644(s3: Any, mount_root: Path) -> None:
    invoke(upload(s3, "images/shoes/red.jpg", b"red shoe"))

    mode = (mount_root / "shoes" / "red.jpg").stat().st_mode
    assert stat.S_IMODE(mode) == 0o644


def test_new_folders_have_mode_0755(s3: Any, mount_root: Path) -> None:
    old_umask = os.umask(0o077)
    try:
        invoke(upload(s3, "images/shoes/summer/red.jpg", b"red shoe"))
    finally:
        os.umask(old_umask)

    assert stat.S_IMODE((mount_root / "shoes").stat().st_mode) == 0o755
    assert stat.S_IMODE((mount_root / "shoes" / "summer").stat().st_mode) == 0o755


def test_put_leaves_no_temp_files(s3: Any, mount_root: Path) -> None:
    invoke(upload(s3, "images/shoes/red.jpg", b"red shoe"))

    assert temp_files(mount_root) == []


def test_overwrite_replaces_content(s3: Any, mount_root: Path) -> None:
    invoke(upload(s3, "images/red.jpg", b"first"))
    invoke(upload(s3, "images/red.jpg", b"second version"))

    assert (mount_root / "red.jpg").read_bytes() == b"second version"


def test_delete_event_removes_file(s3: Any, mount_root: Path) -> None:
    invoke(upload(s3, "images/red.jpg", b"red"))

    result = invoke(remove(s3, "images/red.jpg"))

    assert result == {"deleted": 1}
    assert not (mount_root / "red.jpg").exists()


def test_delete_missing_file_succeeds(
    s3: Any, mount_root: Path, logs: pytest.LogCaptureFixture
) -> None:
    result = invoke(record("ObjectRemoved:Delete", "images/never-written.jpg"))

    assert result == {"deleted": 1}
    assert object_logs(logs)[-1]["reason"] == "file was already absent"


def test_delete_marker_removes_file(versioned_s3: Any, mount_root: Path) -> None:
    invoke(upload(versioned_s3, "images/red.jpg", b"red"))

    delete_record = remove(versioned_s3, "images/red.jpg")
    result = invoke(delete_record)

    assert delete_record["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert result == {"deleted": 1}
    assert not (mount_root / "red.jpg").exists()


def test_delete_prunes_empty_folders(s3: Any, mount_root: Path) -> None:
    invoke(upload(s3, "images/shoes/summer/red.jpg", b"red"))
    invoke(upload(s3, "images/shoes/blue.jpg", b"blue"))

    invoke(remove(s3, "images/shoes/summer/red.jpg"))

    assert not (mount_root / "shoes" / "summer").exists()
    assert (mount_root / "shoes" / "blue.jpg").exists()


def test_url_encoded_key_with_spaces(s3: Any, mount_root: Path) -> None:
    put_record = upload(s3, "images/summer sale/red+blue shoe.jpg", b"shoe")

    invoke(put_record)

    assert put_record["s3"]["object"]["key"] == "images/summer+sale/red%2Bblue+shoe.jpg"
    assert (mount_root / "summer sale" / "red+blue shoe.jpg").read_bytes() == b"shoe"


def test_uppercase_extension_accepted(s3: Any, mount_root: Path) -> None:
    result = invoke(upload(s3, "images/RED.JPG", b"red"))

    assert result == {"written": 1}
    assert (mount_root / "RED.JPG").read_bytes() == b"red"


def test_custom_prefix_maps_to_root(
    s3: Any, mount_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGES_PREFIX", "catalog/img")

    invoke(upload(s3, "catalog/img/red.jpg", b"red"))

    assert (mount_root / "red.jpg").read_bytes() == b"red"


# --- rejected keys ----------------------------------------------------------

LONG_PATH_KEY = "images/" + "/".join(["d" * 200] * 21) + "/a.jpg"

UNSAFE_KEYS = [
    pytest.param("other/red.jpg", None, "outside the prefix", id="outside-prefix"),
    pytest.param("/images/red.jpg", None, "absolute path", id="absolute"),
    pytest.param("images/../red.jpg", None, "'..' path segment", id="dot-dot"),
    pytest.param("images/./red.jpg", None, "'.' path segment", id="dot"),
    pytest.param("images/a//red.jpg", None, "empty path segment", id="empty-segment"),
    pytest.param("images/sub/", None, "folder marker", id="folder-marker"),
    pytest.param("images/red\n.jpg", None, "U+000A", id="control-char"),
    pytest.param("images/red\x00.jpg", None, "U+0000", id="nul"),
    pytest.param("images/red\x7f.jpg", None, "U+007F", id="del"),
    pytest.param("images/red\\blue.jpg", None, "backslash", id="backslash"),
    pytest.param(
        "images/" + unicodedata.normalize("NFD", "café.jpg"),
        None,
        "not in Unicode normalization form NFC",
        id="nfd",
    ),
    pytest.param("images/photo\u202egpj.jpg", None, "U+202E", id="bidi-override"),
    pytest.param("images/a\u2066b.jpg", None, "U+2066", id="bidi-isolate"),
    pytest.param("images/\ufeffred.jpg", None, "U+FEFF", id="byte-order-mark"),
    pytest.param(
        "images/" + "a" * 252 + ".jpg", None, "longer than 255 bytes", id="long-segment"
    ),
    pytest.param(
        "images/" + "é" * 126 + ".jpg",
        None,
        "longer than 255 bytes",
        id="long-segment-multibyte",
    ),
    pytest.param(LONG_PATH_KEY, None, "longer than 4095 bytes", id="long-path"),
    pytest.param("images/red.exe", None, "extension .exe", id="bad-extension"),
    pytest.param("images/README", None, "extension (none)", id="no-extension"),
    pytest.param(
        "images/.sync-state/red.jpg", None, "reserved folder", id="state-folder"
    ),
    pytest.param(
        "images/huge.jpg",
        20 * 1024 * 1024 + 1,
        "larger than MAX_OBJECT_BYTES",
        id="oversize",
    ),
]


@pytest.mark.parametrize(("key", "size", "reason"), UNSAFE_KEYS)
def test_unsafe_key_rejected(
    s3: Any,
    mount_root: Path,
    logs: pytest.LogCaptureFixture,
    key: str,
    size: int | None,
    reason: str,
) -> None:
    result = invoke(record("ObjectCreated:Put", key, size=size or 10, etag="0" * 32))

    line = object_logs(logs)[-1]
    assert result == {"rejected": 1}
    assert line["outcome"] == "rejected"
    assert line["key"] == key
    assert reason in line["reason"]
    assert list(mount_root.iterdir()) == []


def test_nfc_key_accepted(s3: Any, mount_root: Path) -> None:
    name = unicodedata.normalize("NFC", "café.jpg")

    result = invoke(upload(s3, f"images/{name}", b"cafe"))

    assert result == {"written": 1}
    assert (mount_root / name).read_bytes() == b"cafe"


def test_unsafe_delete_key_rejected(s3: Any, mount_root: Path) -> None:
    outside = mount_root.parent / "outside.jpg"
    outside.write_bytes(b"keep")

    result = invoke(record("ObjectRemoved:Delete", "images/../outside.jpg"))

    assert result == {"rejected": 1}
    assert outside.read_bytes() == b"keep"


def test_object_larger_than_event_rejected(
    s3: Any, mount_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_OBJECT_BYTES", "1000")
    put_record = upload(s3, "images/red.jpg", b"x" * 2000)
    put_record["s3"]["object"]["size"] = 500

    result = invoke(put_record)

    assert result == {"rejected": 1}
    assert list(mount_root.iterdir()) == [mount_root / ".sync-state"]


def test_write_file_stops_past_limit(tmp_path: Path) -> None:
    target = mount.Mount(str(tmp_path))
    (tmp_path / "red.jpg").write_bytes(b"old")

    with pytest.raises(mount.ObjectTooLargeError, match="MAX_OBJECT_BYTES"):
        target.write_file("red.jpg", [b"x" * 600, b"x" * 600], max_bytes=1000)

    assert (tmp_path / "red.jpg").read_bytes() == b"old"
    assert temp_files(tmp_path) == []


# --- symbolic links on the mount ------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the mount that the function must never change."""
    path = tmp_path / "outside"
    path.mkdir()
    return path


def link_folder(link: Path, target: Path) -> None:
    link.symlink_to(target, target_is_directory=True)


def test_put_through_linked_folder_rejected(
    s3: Any, mount_root: Path, outside: Path, logs: pytest.LogCaptureFixture
) -> None:
    link_folder(mount_root / "shoes", outside)

    result = invoke(upload(s3, "images/shoes/red.jpg", b"red shoe"))

    line = object_logs(logs)[-1]
    assert result == {"rejected": 1}
    assert list(outside.iterdir()) == []
    assert line["key"] == "images/shoes/red.jpg"
    assert line["outcome"] == "rejected"
    assert line["reason"].startswith(
        "shoes under MOUNT_PATH is a symbolic link, which the function does not "
        "follow; remove the link or replace it with a real folder, then run a resync"
    )


def test_put_through_nested_link_rejected(
    s3: Any, mount_root: Path, outside: Path, logs: pytest.LogCaptureFixture
) -> None:
    (mount_root / "shoes").mkdir()
    link_folder(mount_root / "shoes" / "summer", outside)

    result = invoke(upload(s3, "images/shoes/summer/red.jpg", b"red shoe"))

    assert result == {"rejected": 1}
    assert list(outside.iterdir()) == []
    assert object_logs(logs)[-1]["reason"].startswith(
        "shoes/summer under MOUNT_PATH is a symbolic link"
    )


def test_delete_through_linked_folder_rejected(
    s3: Any, mount_root: Path, outside: Path, logs: pytest.LogCaptureFixture
) -> None:
    (outside / "red.jpg").write_bytes(b"outside")
    link_folder(mount_root / "shoes", outside)

    result = invoke(record("ObjectRemoved:Delete", "images/shoes/red.jpg"))

    assert result == {"rejected": 1}
    assert (outside / "red.jpg").read_bytes() == b"outside"
    assert "is a symbolic link" in object_logs(logs)[-1]["reason"]


def test_linked_state_folder_rejected(
    s3: Any, mount_root: Path, outside: Path, logs: pytest.LogCaptureFixture
) -> None:
    link_folder(mount_root / ".sync-state", outside)

    result = invoke(upload(s3, "images/red.jpg", b"red"))

    assert result == {"rejected": 1}
    assert list(outside.iterdir()) == []
    assert object_logs(logs)[-1]["reason"].startswith(
        ".sync-state under MOUNT_PATH is a symbolic link"
    )


def test_linked_lock_file_rejected(
    s3: Any, mount_root: Path, outside: Path, logs: pytest.LogCaptureFixture
) -> None:
    lock_path = Path(mount.Mount(str(mount_root)).lock_path("red.jpg"))
    lock_path.parent.mkdir(parents=True)
    lock_path.symlink_to(outside / "lock")

    result = invoke(upload(s3, "images/red.jpg", b"red"))

    assert result == {"rejected": 1}
    assert list(outside.iterdir()) == []


def test_put_replaces_linked_file(s3: Any, mount_root: Path, outside: Path) -> None:
    (outside / "target.jpg").write_bytes(b"outside")
    (mount_root / "red.jpg").symlink_to(outside / "target.jpg")

    result = invoke(upload(s3, "images/red.jpg", b"red"))

    assert result == {"written": 1}
    assert not (mount_root / "red.jpg").is_symlink()
    assert (mount_root / "red.jpg").read_bytes() == b"red"
    assert (outside / "target.jpg").read_bytes() == b"outside"


def test_delete_removes_link_not_target(
    s3: Any, mount_root: Path, outside: Path
) -> None:
    (outside / "target.jpg").write_bytes(b"outside")
    (mount_root / "red.jpg").symlink_to(outside / "target.jpg")

    result = invoke(record("ObjectRemoved:Delete", "images/red.jpg"))

    assert result == {"deleted": 1}
    assert not (mount_root / "red.jpg").is_symlink()
    assert (outside / "target.jpg").read_bytes() == b"outside"


# --- ordering and redelivery ------------------------------------------------


def test_redelivered_event_is_duplicate(
    s3: Any, mount_root: Path, logs: pytest.LogCaptureFixture
) -> None:
    put_record = upload(s3, "images/red.jpg", b"red")
    invoke(put_record)
    before = tree(mount_root)

    result = invoke(put_record)

    assert result == {"duplicate": 1}
    assert object_logs(logs)[-1]["outcome"] == "duplicate"
    assert tree(mount_root) == before


def test_older_put_after_newer_is_stale(versioned_s3: Any, mount_root: Path) -> None:
    older = upload(versioned_s3, "images/red.jpg", b"version one")
    newer = upload(versioned_s3, "images/red.jpg", b"version two")

    invoke(newer)
    result = invoke(older)

    assert result == {"stale": 1}
    assert (mount_root / "red.jpg").read_bytes() == b"version two"


def test_delete_then_older_put_not_resurrected(
    versioned_s3: Any, mount_root: Path
) -> None:
    put_record = upload(versioned_s3, "images/red.jpg", b"red")
    delete_record = remove(versioned_s3, "images/red.jpg")

    invoke(delete_record)
    result = invoke(put_record)

    assert result == {"stale": 1}
    assert not (mount_root / "red.jpg").exists()


def test_older_delete_after_put_is_stale(versioned_s3: Any, mount_root: Path) -> None:
    first = upload(versioned_s3, "images/red.jpg", b"one")
    delete_record = remove(versioned_s3, "images/red.jpg")
    second = upload(versioned_s3, "images/red.jpg", b"two")
    invoke(first)
    invoke(second)

    result = invoke(delete_record)

    assert result == {"stale": 1}
    assert (mount_root / "red.jpg").read_bytes() == b"two"


def test_versioned_put_reads_event_version(versioned_s3: Any, mount_root: Path) -> None:
    first = upload(versioned_s3, "images/red.jpg", b"version one")
    upload(versioned_s3, "images/red.jpg", b"version two")

    invoke(first)

    assert (mount_root / "red.jpg").read_bytes() == b"version one"


def test_changed_object_is_stale(s3: Any, mount_root: Path) -> None:
    first = upload(s3, "images/red.jpg", b"version one")
    upload(s3, "images/red.jpg", b"version two")

    result = invoke(first)

    assert result == {"stale": 1}
    assert not (mount_root / "red.jpg").exists()


def test_removed_object_is_stale(s3: Any, mount_root: Path) -> None:
    put_record = upload(s3, "images/red.jpg", b"red")
    s3.delete_object(Bucket=BUCKET, Key="images/red.jpg")

    result = invoke(put_record)

    assert result == {"stale": 1}
    assert not (mount_root / "red.jpg").exists()


def test_compare_sequencers_pads_shorter() -> None:
    assert mount.compare_sequencers("FF", "0100") == -1
    assert mount.compare_sequencers("0100", "FF") == 1
    assert mount.compare_sequencers("0a", "A") == 0


# --- large objects ----------------------------------------------------------


def test_large_object_streams_in_chunks(
    s3: Any, mount_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_OBJECT_BYTES", str(30 * 1024 * 1024))
    body = os.urandom(25 * 1024 * 1024)
    put_record = upload(s3, "images/poster.png", body)
    read_sizes: list[int | None] = []
    original_read = botocore.response.StreamingBody.read

    def recording_read(self: Any, amt: int | None = None) -> bytes:
        read_sizes.append(amt)
        return original_read(self, amt)

    monkeypatch.setattr(botocore.response.StreamingBody, "read", recording_read)

    result = invoke(put_record)

    written = (mount_root / "poster.png").read_bytes()
    assert result == {"written": 1}
    assert hashlib.sha256(written).digest() == hashlib.sha256(body).digest()
    assert len(read_sizes) >= 25
    assert None not in read_sizes
    assert max(read_sizes) <= transfer.CHUNK_BYTES


# --- failures ---------------------------------------------------------------


def test_transient_s3_error_raises(
    s3: Any,
    mount_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    logs: pytest.LogCaptureFixture,
) -> None:
    put_record = upload(s3, "images/red.jpg", b"red")
    monkeypatch.setattr(handler, "s3_client", lambda: FailingS3(s3, {"images/red.jpg"}))

    with pytest.raises(handler.SyncBatchError, match=r"images/red\.jpg.*SlowDown"):
        invoke(put_record)

    assert object_logs(logs)[-1]["outcome"] == "failed"
    assert not (mount_root / "red.jpg").exists()
    assert temp_files(mount_root) == []


def test_transient_os_error_raises(
    s3: Any, mount_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_record = upload(s3, "images/red.jpg", b"red")

    def failing_replace(source: str, target: str) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(mount.os, "replace", failing_replace)

    with pytest.raises(handler.SyncBatchError, match="Input/output error"):
        invoke(put_record)

    assert temp_files(mount_root) == []


def test_failed_record_does_not_stop_batch(
    s3: Any, mount_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = upload(s3, "images/good.jpg", b"good")
    bad = upload(s3, "images/bad.jpg", b"bad")
    rejected = record("ObjectCreated:Put", "images/notes.txt", size=3)
    monkeypatch.setattr(handler, "s3_client", lambda: FailingS3(s3, {"images/bad.jpg"}))

    with pytest.raises(handler.SyncBatchError) as raised:
        invoke(bad, good, rejected)

    message = str(raised.value)
    assert message.startswith("1 of 3 records failed")
    assert "images/bad.jpg" in message
    assert "images/good.jpg" not in message
    assert (mount_root / "good.jpg").read_bytes() == b"good"


def test_lock_held_blocks_second_writer(s3: Any, mount_root: Path) -> None:
    put_record = upload(s3, "images/red.jpg", b"red")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            invoke(put_record)
        except BaseException as error:  # noqa: BLE001 - reported by the assert
            errors.append(error)

    with mount.Mount(str(mount_root)).lock("red.jpg"):
        worker = threading.Thread(target=run)
        worker.start()
        worker.join(0.5)
        assert worker.is_alive()
        assert not (mount_root / "red.jpg").exists()
    worker.join(10)

    assert errors == []
    assert (mount_root / "red.jpg").read_bytes() == b"red"


def test_lock_timeout_raises(
    s3: Any, mount_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_record = upload(s3, "images/red.jpg", b"red")
    monkeypatch.setattr(mount, "LOCK_TIMEOUT_SECONDS", 0.2)
    lock_path = mount.Mount(str(mount_root)).lock_path("red.jpg")
    os.makedirs(os.path.dirname(lock_path))

    with open(lock_path, "w") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with pytest.raises(handler.SyncBatchError, match="LockTimeoutError"):
            invoke(put_record)


def test_missing_mount_raises(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_record = upload(s3, "images/red.jpg", b"red")
    monkeypatch.setenv("MOUNT_PATH", str(tmp_path / "not-mounted"))

    with pytest.raises(handler.SyncBatchError, match="is not a directory"):
        invoke(put_record)


# --- events, settings and logs ----------------------------------------------


def test_log_line_has_required_fields(
    s3: Any, mount_root: Path, logs: pytest.LogCaptureFixture
) -> None:
    invoke(upload(s3, "images/red.jpg", b"red"))

    line = object_logs(logs)[-1]
    assert line["key"] == "images/red.jpg"
    assert line["action"] == "put"
    assert line["outcome"] == "written"
    assert line["size"] == 3
    assert "version" in line
    assert isinstance(line["duration_ms"], float)


def test_s3_test_event_ignored(mount_root: Path) -> None:
    event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET}

    assert handler.handler(event, None) == {"records": 0}


def test_malformed_record_rejected(
    mount_root: Path, logs: pytest.LogCaptureFixture
) -> None:
    result = invoke({"eventName": "ObjectCreated:Put", "s3": {"bucket": {}}})

    assert result == {"rejected": 1}
    assert "s3.bucket.name" in object_logs(logs)[-1]["reason"]


def test_unknown_event_name_ignored(s3: Any, mount_root: Path) -> None:
    result = invoke(record("ObjectRestore:Completed", "images/red.jpg"))

    assert result == {"ignored": 1}


def test_invalid_max_object_bytes_raises(
    mount_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_OBJECT_BYTES", "20MB")

    with pytest.raises(ValueError, match="MAX_OBJECT_BYTES .* got '20MB'"):
        invoke(record("ObjectRemoved:Delete", "images/red.jpg"))


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("", "prefix is empty"),
        ("/images/", "prefix starts with /"),
        ("images/../", "prefix has a '..' path segment"),
        ("images//", "prefix has an empty path segment"),
    ],
)
def test_invalid_images_prefix_raises(
    mount_root: Path, monkeypatch: pytest.MonkeyPatch, prefix: str, reason: str
) -> None:
    monkeypatch.setenv("IMAGES_PREFIX", prefix)

    expected = f"IMAGES_PREFIX {prefix!r} is invalid: {reason}; set one or more"
    with pytest.raises(ValueError, match=re.escape(expected)):
        handler.handler({"Records": []}, None)


@pytest.mark.parametrize("prefix", ["images/", "catalog/img/", "a.b/c-d_e/"])
def test_check_prefix_accepts_folders(prefix: str) -> None:
    key_policy.check_prefix(prefix)


def test_invalid_allowed_extensions_raises(
    mount_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOWED_EXTENSIONS", "jpg;png")

    expected = "ALLOWED_EXTENSIONS has an invalid extension 'jpg;png': an extension"
    with pytest.raises(ValueError, match=re.escape(expected)):
        handler.handler({"Records": []}, None)


def test_unknown_action_raises(mount_root: Path) -> None:
    with pytest.raises(ValueError, match="unsupported action 'rebuild'"):
        handler.handler({"action": "rebuild"}, None)


def test_handler_imports_as_lambda_root() -> None:
    script = (
        "import json, sys\n"
        "import handler\n"
        "assert 'components.sync_function' not in sys.modules\n"
        "print(json.dumps(handler.handler({'Event': 's3:TestEvent'}, None)))\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["AWS_EC2_METADATA_DISABLED"] = "true"

    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=SYNC_FUNCTION_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == {"records": 0}


# --- resync -----------------------------------------------------------------


def run_resync(**event: Any) -> dict[str, Any]:
    return handler.handler({"action": "resync", "bucket": BUCKET, **event}, None)


def test_resync_seeds_empty_mount(s3: Any, mount_root: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")
    s3.put_object(Bucket=BUCKET, Key="images/shoes/blue.png", Body=b"blue")

    report = run_resync()

    assert report["written"] == ["images/red.jpg", "images/shoes/blue.png"]
    assert (mount_root / "red.jpg").read_bytes() == b"red"
    assert (mount_root / "shoes" / "blue.png").read_bytes() == b"blue"


def test_resync_skips_unchanged_files(s3: Any, mount_root: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")
    run_resync()
    before = tree(mount_root)

    report = run_resync()

    assert report["unchanged"] == ["images/red.jpg"]
    assert report["written"] == []
    assert tree(mount_root) == before


def test_resync_repairs_changed_object(s3: Any, mount_root: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"old")
    run_resync()
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"new")

    report = run_resync()

    assert report["written"] == ["images/red.jpg"]
    assert (mount_root / "red.jpg").read_bytes() == b"new"


def test_resync_repairs_damaged_file(s3: Any, mount_root: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red shoe")
    run_resync()
    (mount_root / "red.jpg").write_bytes(b"trunc")

    report = run_resync()

    assert report["written"] == ["images/red.jpg"]
    assert (mount_root / "red.jpg").read_bytes() == b"red shoe"


def test_resync_adopts_matching_file(s3: Any, mount_root: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")
    (mount_root / "red.jpg").write_bytes(b"red")

    report = run_resync()

    assert report["unchanged"] == ["images/red.jpg"]
    assert mount.Mount(str(mount_root)).read_state("red.jpg") is not None


def test_resync_removes_extra_file(s3: Any, mount_root: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")
    extra = mount_root / "old" / "gone.jpg"
    extra.parent.mkdir()
    extra.write_bytes(b"gone")
    age(extra, 3600)

    report = run_resync()

    assert report["deleted"] == ["images/old/gone.jpg"]
    assert not extra.exists()
    assert not extra.parent.exists()


def test_resync_keeps_recent_extra_file(s3: Any, mount_root: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")
    recent = mount_root / "just-written.jpg"
    recent.write_bytes(b"new")

    report = run_resync()

    assert report["skipped"] == ["images/just-written.jpg"]
    assert recent.exists()


def test_resync_keeps_state_folder(s3: Any, mount_root: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")
    run_resync()
    state_files = sorted((mount_root / ".sync-state").rglob("*"))
    for path in state_files:
        age(path, 3600)

    report = run_resync()

    assert report["deleted"] == []
    assert sorted((mount_root / ".sync-state").rglob("*")) == state_files


def test_resync_rejects_unsafe_keys(
    s3: Any, mount_root: Path, logs: pytest.LogCaptureFixture
) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")
    s3.put_object(Bucket=BUCKET, Key="images/notes.txt", Body=b"text")
    s3.put_object(Bucket=BUCKET, Key="images/a//b.jpg", Body=b"b")

    report = run_resync()

    rejected = {item["key"]: item["reason"] for item in report["rejected"]}
    assert set(rejected) == {"images/notes.txt", "images/a//b.jpg"}
    assert "extension .txt" in rejected["images/notes.txt"]
    assert "empty path segment" in rejected["images/a//b.jpg"]
    assert not (mount_root / "notes.txt").exists()
    assert any(line["key"] == "images/notes.txt" for line in object_logs(logs))


def test_resync_reports_counts(s3: Any, mount_root: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/same.jpg", Body=b"same")
    s3.put_object(Bucket=BUCKET, Key="images/changed.jpg", Body=b"before")
    run_resync()
    s3.put_object(Bucket=BUCKET, Key="images/changed.jpg", Body=b"after")
    s3.put_object(Bucket=BUCKET, Key="images/new.jpg", Body=b"new")
    s3.put_object(Bucket=BUCKET, Key="images/notes.txt", Body=b"text")
    extra = mount_root / "extra.jpg"
    extra.write_bytes(b"extra")
    age(extra, 3600)

    report = run_resync()

    assert report["counts"] == {
        "written": 2,
        "deleted": 1,
        "unchanged": 1,
        "skipped": 0,
        "rejected": 1,
        "failed": 0,
    }
    assert report["truncated"] is False


def test_resync_dry_run_changes_nothing(s3: Any, mount_root: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")
    extra = mount_root / "extra.jpg"
    extra.write_bytes(b"extra")
    age(extra, 3600)
    before = tree(mount_root)

    report = run_resync(dry_run=True)

    assert report["dry_run"] is True
    assert report["written"] == ["images/red.jpg"]
    assert report["deleted"] == ["images/extra.jpg"]
    assert tree(mount_root) == before
    assert not (mount_root / ".sync-state").exists()


def test_resync_empty_bucket_keeps_files(s3: Any, mount_root: Path) -> None:
    kept = mount_root / "red.jpg"
    kept.write_bytes(b"red")
    age(kept, 3600)

    report = run_resync()

    assert report["deleted"] == []
    assert "allow_empty_bucket" in report["warnings"][0]
    assert kept.exists()


def test_resync_removes_old_temp_file(s3: Any, mount_root: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")
    abandoned = mount_root / ".sync-abcd1234.tmp"
    abandoned.write_bytes(b"partial")
    age(abandoned, resync.TEMP_MAX_AGE_SECONDS + 60)

    run_resync()

    assert not abandoned.exists()


def test_resync_reads_bucket_from_env(
    s3: Any, mount_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")
    monkeypatch.setenv("IMAGES_BUCKET", BUCKET)

    report = handler.handler({"action": "resync"}, None)

    assert report["written"] == ["images/red.jpg"]


def test_resync_string_dry_run_raises(s3: Any, mount_root: Path) -> None:
    with pytest.raises(ValueError, match='"dry_run" must be true or false'):
        run_resync(dry_run="false")


def test_resync_without_bucket_raises(mount_root: Path) -> None:
    with pytest.raises(ValueError, match="resync needs a bucket"):
        handler.handler({"action": "resync"}, None)


def test_resync_rejects_linked_folder(s3: Any, mount_root: Path, outside: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/shoes/red.jpg", Body=b"red")
    link_folder(mount_root / "shoes", outside)

    report = run_resync()

    rejected = {item["key"]: item["reason"] for item in report["rejected"]}
    assert list(outside.iterdir()) == []
    assert report["written"] == []
    assert "is a symbolic link" in rejected["images/shoes/red.jpg"]


def test_resync_dry_run_rejects_linked_folder(
    s3: Any, mount_root: Path, outside: Path
) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/shoes/red.jpg", Body=b"red")
    (outside / "red.jpg").write_bytes(b"red")
    link_folder(mount_root / "shoes", outside)

    report = run_resync(dry_run=True)

    assert report["unchanged"] == []
    assert [item["key"] for item in report["rejected"]] == ["images/shoes/red.jpg"]


def test_resync_keeps_files_behind_link(
    s3: Any, mount_root: Path, outside: Path
) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")
    old = outside / "old.jpg"
    old.write_bytes(b"old")
    age(old, 3600)
    link_folder(mount_root / "shoes", outside)

    report = run_resync()

    assert "images/shoes/old.jpg" not in report["deleted"]
    assert old.read_bytes() == b"old"


def test_resync_removes_old_folder_link(
    s3: Any, mount_root: Path, outside: Path
) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")
    (outside / "old.jpg").write_bytes(b"old")
    link = mount_root / "shoes"
    link_folder(link, outside)
    past = time.time() - 3600
    os.utime(link, (past, past), follow_symlinks=False)

    report = run_resync()

    assert report["deleted"] == ["images/shoes"]
    assert not link.is_symlink()
    assert (outside / "old.jpg").read_bytes() == b"old"


def test_resync_replaces_linked_file(s3: Any, mount_root: Path, outside: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")
    (outside / "target.jpg").write_bytes(b"red")
    (mount_root / "red.jpg").symlink_to(outside / "target.jpg")

    report = run_resync()

    assert report["written"] == ["images/red.jpg"]
    assert not (mount_root / "red.jpg").is_symlink()
    assert (outside / "target.jpg").read_bytes() == b"red"
