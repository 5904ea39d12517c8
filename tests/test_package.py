"""The components as a pip package and as a Pulumi component provider.

The wheel is built from a copy of the repository with
`pip wheel --no-build-isolation --no-index`. The venv's setuptools and wheel
build it, so nothing is downloaded or written into the work tree.
"""

from __future__ import annotations

import email.parser
import importlib
import inspect
import json
import pkgutil
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType

import pulumi
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import components
from components import image_publisher

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPONENTS_DIR = REPO_ROOT / "components"
PROVIDER_DIR = REPO_ROOT / "components_provider"
PINNED_RANGES = {"pulumi": ">=3.272,<4", "pulumi-aws": ">=7.51,<8"}
NOT_SHIPPED = (
    "program/",
    "offline/",
    "tests/",
    "policy/",
    "components_provider/",
    "examples/",
)
# The public interface as released in 0.1.0. A name may be added to
# `components.__all__` in any release. Removing or renaming one breaks
# consumers, so it waits for a new minor version and an update here.
RELEASED_NAMES = frozenset(
    {
        "DEFAULT_IMAGE",
        "PACKAGE_NAME",
        "AccessLevel",
        "ExistingFileSystemArgs",
        "Grant",
        "HighlyAvailableAssetsService",
        "HighlyAvailableAssetsServiceArgs",
        "ImagePublisher",
        "ImagePublisherArgs",
        "ImageStoreMountArgs",
        "LoadBalancerScheme",
        "RemovalPolicy",
        "SharedImageStore",
        "SharedImageStoreArgs",
        "SubnetArgs",
        "ThroughputMode",
    }
)
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", ".*_cache", "build", "*.egg-info", "dist"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from a copy of the repository and return its path."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(REPO_ROOT, source, ignore=COPY_IGNORE)
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        ".",
        "-w",
        str(work / "out"),
    ]
    result = subprocess.run(
        command, cwd=source, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (
        f"pip wheel failed (exit {result.returncode}):\n{result.stderr}"
    )
    built = list((work / "out").glob("*.whl"))
    assert len(built) == 1, f"expected one wheel, found {built}"
    return built[0]


def wheel_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def wheel_metadata(path: Path) -> email.message.Message:
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(archive.read(name).decode())


def project_table() -> dict:
    with (REPO_ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]


def public_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"components.{info.name}")
        for info in pkgutil.iter_modules(components.__path__)
        if not info.name.startswith("_")
    ]


def load_entry_point() -> ModuleType:
    return importlib.import_module("components_provider.__main__")


# The wheel


def test_wheel_contains_package_init(wheel: Path) -> None:
    assert "components/__init__.py" in wheel_names(wheel)


def test_wheel_contains_every_module(wheel: Path) -> None:
    names = wheel_names(wheel)
    for source in sorted(COMPONENTS_DIR.rglob("*.py")):
        if "__pycache__" in source.parts:
            continue
        relative = source.relative_to(COMPONENTS_DIR).as_posix()
        assert f"components/{relative}" in names


def test_wheel_leaves_out_repository_code(wheel: Path) -> None:
    for name in wheel_names(wheel):
        assert not name.startswith(NOT_SHIPPED), f"{name} is in the wheel"
        assert name.startswith(("components/", "retail_assets_components-")), (
            f"{name} is outside the components package"
        )


def test_wheel_name_and_version(wheel: Path) -> None:
    metadata = wheel_metadata(wheel)
    assert metadata["Name"] == "retail-assets-components"
    assert metadata["Version"] == "0.1.0"
    assert metadata["Requires-Python"] == ">=3.11"


def test_metadata_pins_dependency_ranges(wheel: Path) -> None:
    requirements = [
        Requirement(r) for r in wheel_metadata(wheel).get_all("Requires-Dist")
    ]
    ranges = {r.name: r.specifier for r in requirements}
    assert set(ranges) == set(PINNED_RANGES)
    for name, expected in PINNED_RANGES.items():
        assert ranges[name] == SpecifierSet(expected), f"{name} range is {ranges[name]}"


def test_components_do_not_import_awsx() -> None:
    for source in sorted(COMPONENTS_DIR.glob("*.py")):
        assert "pulumi_awsx" not in source.read_text(), f"{source.name} uses awsx"


def test_publisher_code_is_inside_package() -> None:
    assert image_publisher.SYNC_FUNCTION_DIR.is_relative_to(COMPONENTS_DIR)


# The public interface


def test_all_names_every_public_class() -> None:
    for module in public_modules():
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.isclass(value):
                continue
            if value.__module__ != module.__name__:
                continue
            assert name in components.__all__, f"{module.__name__}.{name}"


def test_every_exported_name_imports() -> None:
    for name in components.__all__:
        assert hasattr(components, name), f"{name} is in __all__ but not defined"


def test_released_names_are_kept() -> None:
    missing = RELEASED_NAMES - set(components.__all__)
    assert missing == set(), f"removed from components.__all__: {sorted(missing)}"


def test_exported_names_are_unique() -> None:
    assert len(components.__all__) == len(set(components.__all__))


# The component provider


def test_entry_point_hosts_every_component() -> None:
    exported = {
        value
        for value in (getattr(components, name) for name in components.__all__)
        if inspect.isclass(value) and issubclass(value, pulumi.ComponentResource)
    }
    assert set(load_entry_point().COMPONENTS) == exported


def test_entry_point_version_matches_project() -> None:
    assert project_table()["version"] == load_entry_point().VERSION


def test_entry_point_builds_named_provider() -> None:
    provider = load_entry_point().build_provider()
    schema = json.loads(provider.schema)
    assert schema["name"] == "retailassets"
    assert schema["version"] == project_table()["version"]


def test_plugin_manifest_runs_python() -> None:
    manifest = yaml.safe_load((PROVIDER_DIR / "PulumiPlugin.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"


def test_plugin_requirements_fit_ranges() -> None:
    lines = (PROVIDER_DIR / "requirements.txt").read_text().splitlines()
    pins = {}
    for line in lines:
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            pins[requirement.name] = requirement.specifier
    assert set(pins) == set(PINNED_RANGES)
    for name, specifier in pins.items():
        (pinned,) = [Version(spec.version) for spec in specifier]
        assert pinned in SpecifierSet(PINNED_RANGES[name]), f"{name} {specifier}"
