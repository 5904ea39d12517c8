"""Tests of `python -m tools.publish_images`, run in process against moto S3."""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import stat
import unicodedata
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tools import publish_images

BUCKET = "staging-images"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that opens a network connection; moto runs in process."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"test opened a network connection: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An environment where botocore finds no credentials and never queries IMDS."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
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
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-creds"))


@pytest.fixture
def aws_env(no_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")


@pytest.fixture
def s3(aws_env: None) -> Any:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of three images and one text file."""
    root = tmp_path / "catalog"
    (root / "shoes").mkdir(parents=True)
    (root / "red.jpg").write_bytes(b"red image")
    (root / "logo.svg").write_bytes(b"<svg/>")
    (root / "shoes" / "blue.PNG").write_bytes(b"blue image")
    (root / "notes.txt").write_bytes(b"not an image")
    return root


def keys(s3: Any, prefix: str = "") -> list[str]:
    response = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in response.get("Contents", []))


def publish(folder: Path, *args: str) -> int:
    return publish_images.main([str(folder), "--bucket", BUCKET, *args])


def publish_with_invalid_argument(
    folder: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int | str | None, str]:
    """Run the command, expect argparse to exit, and return the code and stderr."""
    with pytest.raises(SystemExit) as exited:
        publish_images.main([str(folder), *args])
    return exited.value.code, capsys.readouterr().err


def test_publish_uploads_allowed_files(s3: Any, folder: Path) -> None:
    status = publish(folder)

    assert status == 0
    assert keys(s3) == ["images/logo.svg", "images/red.jpg", "images/shoes/blue.PNG"]


def test_publish_sets_content_type(s3: Any, folder: Path) -> None:
    publish(folder)

    svg = s3.head_object(Bucket=BUCKET, Key="images/logo.svg")
    png = s3.head_object(Bucket=BUCKET, Key="images/shoes/blue.PNG")
    assert svg["ContentType"] == "image/svg+xml"
    assert png["ContentType"] == "image/png"


def test_publish_stores_sha256_metadata(s3: Any, folder: Path) -> None:
    publish(folder)

    head = s3.head_object(Bucket=BUCKET, Key="images/red.jpg")
    assert head["Metadata"]["sha256"] == hashlib.sha256(b"red image").hexdigest()


def test_publish_reports_disallowed_file(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(folder)

    output = capsys.readouterr().out
    assert "skip notes.txt: extension .txt is not in ALLOWED_EXTENSIONS" in output
    assert "images/notes.txt" not in keys(s3)


def test_publish_prints_summary(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(folder)

    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert last_line.startswith(
        "uploaded 3, skipped 1 (0 unchanged, 1 not allowed, 0 symbolic links), "
        "deleted 0, failed 0; "
        "25 bytes in "
    )


def test_second_run_skips_unchanged(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(folder)
    capsys.readouterr()

    status = publish(folder)

    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert status == 0
    assert last_line.startswith(
        "uploaded 0, skipped 4 (3 unchanged, 1 not allowed, 0 symbolic links)"
    )


def test_changed_file_uploaded_again(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(folder)
    (folder / "red.jpg").write_bytes(b"RED IMAGE")
    capsys.readouterr()

    publish(folder)

    body = s3.get_object(Bucket=BUCKET, Key="images/red.jpg")["Body"].read()
    assert body == b"RED IMAGE"
    assert "uploaded 1," in capsys.readouterr().out


def test_multipart_object_matched_by_sha256(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (folder / "red.jpg").read_bytes()
    upload = s3.create_multipart_upload(
        Bucket=BUCKET,
        Key="images/red.jpg",
        Metadata={"sha256": hashlib.sha256(data).hexdigest()},
    )
    part = s3.upload_part(
        Bucket=BUCKET,
        Key="images/red.jpg",
        UploadId=upload["UploadId"],
        PartNumber=1,
        Body=data,
    )
    s3.complete_multipart_upload(
        Bucket=BUCKET,
        Key="images/red.jpg",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )

    publish(folder)

    assert "uploaded 2, skipped 2 (1 unchanged" in capsys.readouterr().out


def test_delete_removes_objects_without_file(s3: Any, folder: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/old.jpg", Body=b"old")
    s3.put_object(Bucket=BUCKET, Key="other/keep.jpg", Body=b"keep")

    status = publish(folder, "--delete")

    assert status == 0
    assert "images/old.jpg" not in keys(s3)
    assert "other/keep.jpg" in keys(s3)


def test_delete_keeps_disallowed_local_file(s3: Any, folder: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/notes.txt", Body=b"notes")

    publish(folder, "--delete")

    assert "images/notes.txt" in keys(s3)


def test_without_delete_extra_objects_stay(s3: Any, folder: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/old.jpg", Body=b"old")

    publish(folder)

    assert "images/old.jpg" in keys(s3)


def test_dry_run_changes_nothing(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s3.put_object(Bucket=BUCKET, Key="images/old.jpg", Body=b"old")

    status = publish(folder, "--dry-run", "--delete")

    output = capsys.readouterr().out
    assert status == 0
    assert keys(s3) == ["images/old.jpg"]
    assert "upload images/red.jpg (9 bytes)" in output
    assert "delete images/old.jpg" in output
    assert "dry run: would upload 3" in output


def test_custom_prefix_used(s3: Any, folder: Path) -> None:
    publish(folder, "--prefix", "catalog/v2")

    assert "catalog/v2/red.jpg" in keys(s3)


def test_parallel_jobs_upload_all(s3: Any, tmp_path: Path) -> None:
    many = tmp_path / "many"
    many.mkdir()
    for index in range(40):
        (many / f"item-{index:02d}.webp").write_bytes(os.urandom(64))

    status = publish(many, "--jobs", "4")

    assert status == 0
    assert len(keys(s3, "images/")) == 40


def test_oversize_file_skipped(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(folder, "--max-object-bytes", "8")

    output = capsys.readouterr().out
    assert "skip red.jpg: size 9 bytes is larger than --max-object-bytes (8)" in output
    assert "images/red.jpg" not in keys(s3)


# --- errors -----------------------------------------------------------------


def test_missing_folder_error_message(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-folder"

    status = publish(missing)

    assert status == 2
    assert capsys.readouterr().err == (
        f"error: folder not found: {missing}; pass the path of a folder of images\n"
    )


def test_file_instead_of_folder_error(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = publish(folder / "red.jpg")

    assert status == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_unknown_bucket_error_message(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = publish_images.main([str(folder), "--bucket", "no-such-bucket"])

    assert status == 2
    assert capsys.readouterr().err == (
        "error: bucket 'no-such-bucket' not found; check --bucket, or the stack "
        "output imagesBucketName of --stack\n"
    )


def test_access_denied_error_message(
    s3: Any,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def deny(**request: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "403", "Message": "Forbidden"}}, "HeadBucket"
        )

    real_make_client = publish_images.make_client

    def make_denied_client(region: str | None) -> Any:
        client = real_make_client(region)
        monkeypatch.setattr(client, "head_bucket", deny)
        return client

    monkeypatch.setattr(publish_images, "make_client", make_denied_client)

    status = publish(folder)

    assert status == 2
    assert capsys.readouterr().err.startswith(
        f"error: access denied to bucket {BUCKET!r}; the credentials need "
        "s3:ListBucket and s3:PutObject"
    )


def test_missing_credentials_error_message(
    no_credentials: None, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = publish(folder)

    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith("error: no usable AWS credentials (")
    assert "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in error


# --- bucket from the stack output -------------------------------------------


def fake_pulumi(directory: Path, script: str) -> None:
    """Put an executable `pulumi` shell script first on PATH."""
    directory.mkdir()
    path = directory / "pulumi"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_bucket_read_from_stack_output(
    s3: Any,
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bin_dir = tmp_path / "bin"
    arguments = tmp_path / "pulumi-arguments"
    fake_pulumi(bin_dir, f'echo "$@" > {arguments}\necho {BUCKET}\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    status = publish_images.main([str(folder), "--stack", "dev"])

    assert status == 0
    assert arguments.read_text() == "stack output imagesBucketName --stack dev\n"
    assert "images/red.jpg" in keys(s3)


def test_failed_stack_output_error_message(
    s3: Any,
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bin_dir = tmp_path / "bin"
    fake_pulumi(bin_dir, "echo 'error: no stack named prod found' >&2\nexit 255\n")
    monkeypatch.setenv("PATH", str(bin_dir))

    status = publish_images.main([str(folder), "--stack", "prod"])

    assert status == 2
    assert capsys.readouterr().err == (
        "error: `pulumi stack output imagesBucketName --stack prod` failed: "
        "error: no stack named prod found; pass --bucket NAME, or --stack STACK "
        "for a stack that has been deployed\n"
    )


def test_missing_pulumi_cli_error_message(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))

    status = publish_images.main([str(folder)])

    assert status == 2
    assert capsys.readouterr().err == (
        "error: the pulumi CLI is not on PATH, so the stack output "
        "imagesBucketName cannot be read; install pulumi or pass --bucket NAME\n"
    )


# --- --delete with nothing to upload -----------------------------------------


def test_delete_empty_folder_rejected(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")

    status = publish(empty, "--delete")

    assert status == 2
    assert keys(s3) == ["images/red.jpg"]
    assert capsys.readouterr().err == (
        f"error: {empty} has no file to upload, so --delete would remove every "
        f"image under the prefix 'images/' of bucket {BUCKET!r}; check the "
        "folder, or pass --allow-empty to delete them all\n"
    )


def test_delete_only_skipped_files_rejected(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    only_text = tmp_path / "only-text"
    only_text.mkdir()
    (only_text / "notes.txt").write_bytes(b"not an image")
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")

    status = publish(only_text, "--delete")

    assert status == 2
    assert keys(s3) == ["images/red.jpg"]
    assert "--delete would remove every image" in capsys.readouterr().err


def test_dry_run_delete_empty_folder_rejected(
    s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")

    status = publish(empty, "--delete", "--dry-run")

    assert status == 2
    assert "pass --allow-empty" in capsys.readouterr().err


def test_allow_empty_deletes_every_object(s3: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")
    s3.put_object(Bucket=BUCKET, Key="other/keep.jpg", Body=b"keep")

    status = publish(empty, "--delete", "--allow-empty")

    assert status == 0
    assert keys(s3) == ["other/keep.jpg"]


def test_empty_folder_without_delete_succeeds(s3: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")

    status = publish(empty)

    assert status == 0
    assert keys(s3) == ["images/red.jpg"]


# --- --prefix ----------------------------------------------------------------

INVALID_PREFIXES = [
    pytest.param("", "prefix is empty", id="empty"),
    pytest.param("   ", "prefix is empty", id="blank"),
    pytest.param("/images/", "prefix starts with /", id="absolute"),
    pytest.param("images//", "prefix has an empty path segment", id="empty-segment"),
    pytest.param("./", "prefix has a '.' path segment", id="dot"),
    pytest.param("images/../", "prefix has a '..' path segment", id="dot-dot"),
    pytest.param("a\\b/", "prefix contains a backslash", id="backslash"),
    pytest.param("im\nages/", "prefix contains control character U+000A", id="newline"),
    pytest.param(
        "cafe\u0301/", "prefix is not in Unicode normalization form NFC", id="nfd"
    ),
]


@pytest.mark.parametrize(("prefix", "reason"), INVALID_PREFIXES)
def test_invalid_prefix_rejected(
    s3: Any,
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    prefix: str,
    reason: str,
) -> None:
    code, error = publish_with_invalid_argument(
        folder, capsys, "--bucket", BUCKET, "--prefix", prefix, "--delete"
    )

    assert code == 2
    assert f"argument --prefix: {prefix!r} is invalid: {reason}" in error
    assert "; pass one or more folder names that each end in '/'" in error
    assert keys(s3) == []


def test_prefix_without_delete_rejected(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, error = publish_with_invalid_argument(
        folder, capsys, "--bucket", BUCKET, "--prefix", ""
    )

    assert code == 2
    assert "argument --prefix: '' is invalid: prefix is empty" in error
    assert keys(s3) == []


def test_nested_prefix_accepted(s3: Any, folder: Path) -> None:
    status = publish(folder, "--prefix", "catalog/v2/")

    assert status == 0
    assert "catalog/v2/red.jpg" in keys(s3)


# --- symbolic links ---------------------------------------------------------


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the image folder that must never be uploaded."""
    path = tmp_path / "secret" / "credentials"
    path.parent.mkdir()
    path.write_bytes(b"aws_secret_access_key = do-not-upload")
    return path


def test_file_symlink_not_uploaded(s3: Any, folder: Path, secret: Path) -> None:
    (folder / "leak.jpg").symlink_to(Path("..") / "secret" / "credentials")

    status = publish(folder)

    assert status == 0
    assert "images/leak.jpg" not in keys(s3)


def test_file_symlink_reported_as_skipped(
    s3: Any, folder: Path, secret: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "leak.jpg").symlink_to(secret)

    publish(folder)

    output = capsys.readouterr().out
    assert f"skip leak.jpg: {publish_images.SYMLINK_REASON}\n" in output
    assert "skipped 2 (0 unchanged, 1 not allowed, 1 symbolic link)" in output


def test_folder_symlink_not_followed(
    s3: Any, folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.jpg").write_bytes(b"private")
    (folder / "linked").symlink_to(outside, target_is_directory=True)

    publish(folder)

    output = capsys.readouterr().out
    assert "images/linked/private.jpg" not in keys(s3)
    assert f"skip linked/: {publish_images.SYMLINK_REASON}\n" in output


def test_dry_run_lists_skipped_symlink(
    s3: Any, folder: Path, secret: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "leak.jpg").symlink_to(secret)

    status = publish(folder, "--dry-run")

    output = capsys.readouterr().out
    assert status == 0
    assert f"skip leak.jpg: {publish_images.SYMLINK_REASON}\n" in output
    assert "upload images/leak.jpg" not in output
    assert "dry run: would upload 3, skipped 2 (0 unchanged, 1 not allowed, " in output


def test_delete_keeps_objects_under_linked_folder(
    s3: Any, folder: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    s3.put_object(Bucket=BUCKET, Key="images/linked/kept.jpg", Body=b"kept")

    publish(folder, "--delete")

    assert "images/linked/kept.jpg" in keys(s3)


def test_symlinks_alone_count_as_empty(
    s3: Any, tmp_path: Path, secret: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    links_only = tmp_path / "links-only"
    links_only.mkdir()
    (links_only / "leak.jpg").symlink_to(secret)
    s3.put_object(Bucket=BUCKET, Key="images/red.jpg", Body=b"red")

    status = publish(links_only, "--delete")

    assert status == 2
    assert keys(s3) == ["images/red.jpg"]


def test_file_replaced_by_link_not_read(
    s3: Any, folder: Path, secret: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_scan_folder = publish_images.scan_folder

    def scan_then_swap(options: publish_images.Options) -> publish_images.FolderScan:
        scan = real_scan_folder(options)
        (folder / "red.jpg").unlink()
        (folder / "red.jpg").symlink_to(secret)
        return scan

    monkeypatch.setattr(publish_images, "scan_folder", scan_then_swap)

    status = publish(folder)

    assert status == 1
    assert "images/red.jpg" not in keys(s3)


# --- argument checks --------------------------------------------------------


def test_invalid_region_rejected(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, error = publish_with_invalid_argument(
        folder, capsys, "--bucket", BUCKET, "--region", "not a region!"
    )

    assert code == 2
    assert (
        "argument --region: 'not a region!' is not an AWS region name; pass a "
        "region such as us-east-1 or eu-west-1\n"
    ) in error


@pytest.mark.parametrize(
    "region",
    ["us-east-1", "eu-central-2", "ap-southeast-7", "us-gov-west-1", "eusc-de-east-1"],
)
def test_region_names_accepted(region: str) -> None:
    assert publish_images.region_name(region) == region


@pytest.mark.parametrize("region", ["US-EAST-1", "us-east", "useast1", " us-east-1"])
def test_malformed_region_names_rejected(region: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="is not an AWS region name"):
        publish_images.region_name(region)


def test_semicolon_extensions_rejected(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, error = publish_with_invalid_argument(
        folder, capsys, "--bucket", BUCKET, "--allowed-extensions", "jpg;png"
    )

    assert code == 2
    assert "argument --allowed-extensions: invalid extension 'jpg;png': " in error
    assert keys(s3) == []


def test_bad_extension_named_in_error(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, error = publish_with_invalid_argument(
        folder, capsys, "--bucket", BUCKET, "--allowed-extensions", ".jpg,.p ng,png"
    )

    assert code == 2
    assert "invalid extension '.p ng'" in error


def test_empty_extension_list_rejected(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, error = publish_with_invalid_argument(
        folder, capsys, "--bucket", BUCKET, "--allowed-extensions", " , "
    )

    assert code == 2
    assert "argument --allowed-extensions: ' , ' contains no extension" in error


def test_extensions_without_dot_accepted(s3: Any, folder: Path) -> None:
    status = publish(folder, "--allowed-extensions", "JPG, png")

    assert status == 0
    assert keys(s3) == ["images/red.jpg", "images/shoes/blue.PNG"]


def test_empty_bucket_name_rejected(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, error = publish_with_invalid_argument(folder, capsys, "--bucket", "")

    assert code == 2
    assert (
        "argument --bucket: bucket name is empty; pass the staging bucket name, "
        "or omit --bucket to read the stack output imagesBucketName\n"
    ) in error


# --- Unicode file names -----------------------------------------------------


def test_nfd_file_name_skipped(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nfd_name = unicodedata.normalize("NFD", "café.jpg")
    (folder / nfd_name).write_bytes(b"cafe")

    publish(folder)

    output = capsys.readouterr().out
    assert f"images/{nfd_name}" not in keys(s3)
    assert f"skip {nfd_name}: key is not in Unicode normalization form NFC" in output


def test_nfc_file_name_uploaded(s3: Any, folder: Path) -> None:
    nfc_name = unicodedata.normalize("NFC", "café.jpg")
    (folder / nfc_name).write_bytes(b"cafe")

    publish(folder)

    assert f"images/{nfc_name}" in keys(s3)


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\ufeff"])
def test_bidi_control_file_name_skipped(
    s3: Any, folder: Path, capsys: pytest.CaptureFixture[str], char: str
) -> None:
    name = f"photo{char}gpj.jpg"
    (folder / name).write_bytes(b"photo")

    publish(folder)

    output = capsys.readouterr().out
    assert f"images/{name}" not in keys(s3)
    assert f"key contains U+{ord(char):04X}, a bidirectional control" in output
