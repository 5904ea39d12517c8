"""The offline preview command and the AWS stand-in behind it."""

from __future__ import annotations

import io
import json
import re

import pytest

from offline import preview, stack_files


def run_preview(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = preview.main(list(argv), out=out)
    return code, out.getvalue()


def test_dev_preview_prints_tree_and_outputs() -> None:
    code, text = run_preview("--stack", "dev")
    assert code == 0
    assert "aws:efs/fileSystem:FileSystem" in text
    assert "images-fs  [protect, retainOnDelete]" in text
    assert "assets-service  [ignoreChanges=desiredCount]" in text
    assert re.search(r'fileSystemId:\s+"fs-0[0-9a-f]{16}"', text)
    assert re.search(r'accessPointId:\s+"fsap-0[0-9a-f]{16}"', text)


def test_preview_is_deterministic() -> None:
    first = run_preview("--stack", "dev")[1]
    second = run_preview("--stack", "dev")[1]
    assert first == second


def test_children_listed_under_parents() -> None:
    text = run_preview("--stack", "dev", "--no-properties")[1]
    lines = text.splitlines()
    store = next(i for i, line in enumerate(lines) if "SharedImageStore" in line)
    file_system = next(i for i, line in enumerate(lines) if "images-fs" in line)
    assert file_system > store
    assert lines[file_system].index("aws:efs") > lines[store].index("retailassets")


def test_json_has_options_and_outputs() -> None:
    code, text = run_preview("--stack", "dev", "--json")
    document = json.loads(text)
    assert code == 0
    file_system = next(
        r for r in document["resources"] if r["type"] == "aws:efs/fileSystem:FileSystem"
    )
    assert file_system["protect"] is True
    assert document["outputs"]["clusterName"] == "retail-store-ecs-cluster"


def test_unknown_stack_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run_preview("--stack", "nope")
    assert code == 2
    assert (
        "stack 'nope' has no Pulumi.nope.yaml; known stacks: dev"
        in capsys.readouterr().err
    )


def test_invalid_config_exits_one(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = stack_files.ROOT
    (tmp_path / "Pulumi.yaml").write_text((root / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.bad.yaml").write_text(
        "config:\n  aws:region: us-east-1\n"
        "  retail-assets:availabilityZones: [us-east-1a, us-east-1b]\n"
        "  retail-assets:desiredCount: 1\n  retail-assets:cpu: 300\n"
    )
    monkeypatch.setattr(stack_files, "ROOT", tmp_path)
    monkeypatch.setattr(preview, "evaluate", _evaluate_from(tmp_path), raising=True)
    code, text = run_preview("--stack", "bad")
    err = capsys.readouterr().err
    assert code == 1
    assert "desiredCount is 1" in err
    assert "cpu is 300" in err
    assert text == ""


def _evaluate_from(root):
    original = preview.evaluate

    def evaluate(stack: str, mocks=None):
        config = stack_files.stack_config(stack, root)
        return preview.engine.run_program_file(
            preview.PROGRAM,
            preview.aws.AwsMocks(),
            project="retail-assets",
            stack=stack,
            config=config,
        )

    assert original is not None
    return evaluate


def test_stack_file_overrides_defaults() -> None:
    config = stack_files.stack_config("dev")
    assert config["retail-assets:logRetentionDays"] == "14"
    assert config["retail-assets:vpcCidr"] == "10.0.0.0/16"
    assert json.loads(config["retail-assets:availabilityZones"]) == [
        "us-east-1a",
        "us-east-1b",
    ]


def test_secret_in_stack_file_rejected(tmp_path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\n")
    (tmp_path / "Pulumi.s.yaml").write_text(
        "config:\n  demo:token:\n    secure: AAABAC\n"
    )
    with pytest.raises(stack_files.StackFileError, match="cannot decrypt secrets"):
        stack_files.stack_config("s", tmp_path)


def test_unknown_invoke_named_in_error() -> None:
    from pulumi.runtime import MockCallArgs

    from offline.aws import AwsMocks

    with pytest.raises(NotImplementedError, match="aws:ec2/getAmi:getAmi"):
        AwsMocks().call(MockCallArgs("aws:ec2/getAmi:getAmi", {}, ""))


def test_preview_prints_policy_report() -> None:
    code, text = run_preview("--stack", "dev", "--no-properties")
    assert code == 0
    assert "Policies:" in text
    assert "efs-mount-check" in text
    assert "OK: 0 mandatory" in text


def test_mandatory_finding_exits_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import policy.runner

    original = policy.runner.evaluate

    def strict(run, **kwargs):
        kwargs["enforcement"] = {"ecs-container-read-only-root": "mandatory"}
        return original(run, **kwargs)

    monkeypatch.setattr(policy.runner, "evaluate", strict)
    code, text = run_preview("--stack", "dev", "--no-properties")
    assert code == 1
    assert "ecs-container-read-only-root" in text


def write_stack(tmp_path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """Put Pulumi.yaml and Pulumi.t.yaml in tmp_path and point the preview there."""
    (tmp_path / "Pulumi.yaml").write_text(
        (stack_files.ROOT / "Pulumi.yaml").read_text()
    )
    (tmp_path / "Pulumi.t.yaml").write_text(text)
    monkeypatch.setattr(stack_files, "ROOT", tmp_path)


DEV_KEYS = (
    "config:\n  aws:region: us-east-1\n"
    "  retail-assets:availabilityZones: [us-east-1a, us-east-1b]\n"
)


def test_unknown_vpc_names_known_network(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_stack(
        tmp_path,
        monkeypatch,
        DEV_KEYS
        + "  retail-assets:existingVpcId: vpc-0123456789abcdef0\n"
        + "  retail-assets:existingPrivateSubnetIds: [subnet-1, subnet-2]\n",
    )
    code, _ = run_preview("--stack", "t")
    err = capsys.readouterr().err
    assert code == 1
    assert "The vpc ID 'vpc-0123456789abcdef0' does not exist" in err
    assert "it knows VPC vpc-0a1b2c3d4e5f60718" in err


def test_config_not_mapping_exits_two(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_stack(tmp_path, monkeypatch, "config: 5\n")
    code, _ = run_preview("--stack", "t")
    assert code == 2
    assert (
        "config must be a mapping of keys to values, got 5" in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("literal", "expected"),
    [("yes", "yes"), ("010", "10"), ("1:40", "1:40"), ("0o17", "15"), ("true", "true")],
)
def test_stack_values_read_as_yaml_12(
    tmp_path, monkeypatch: pytest.MonkeyPatch, literal: str, expected: str
) -> None:
    write_stack(tmp_path, monkeypatch, f"config:\n  retail-assets:image: {literal}\n")
    assert stack_files.stack_config("t")["retail-assets:image"] == expected
