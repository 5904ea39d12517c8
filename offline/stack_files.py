"""Read a stack's config the way the Pulumi CLI does, from the project files.

The CLI overlays a stack file, `Pulumi.<stack>.yaml`, on the defaults that
`Pulumi.yaml` declares, and hands the program every value as a string.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


class StackFileError(ValueError):
    """A project or stack file is missing or malformed."""


class _Yaml12Loader(yaml.SafeLoader):
    """A safe YAML loader with YAML 1.2 scalars, as the Pulumi CLI reads them.

    PyYAML follows YAML 1.1, where `yes` is true, `010` is 8 and `1:40` is
    100. The CLI's go-yaml v3 keeps `yes` and `1:40` as strings and reads
    `010` as 10, so this loader does too.
    """


def _plain_scalar_resolvers() -> None:
    resolvers = {
        tag: patterns
        for tag, patterns in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    kept = {
        first: [
            (tag, regexp)
            for tag, regexp in entries
            if not tag.endswith((":bool", ":int", ":float"))
        ]
        for first, entries in resolvers.items()
    }
    _Yaml12Loader.yaml_implicit_resolvers = kept
    _Yaml12Loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )
    _Yaml12Loader.add_implicit_resolver(
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        list("-+0123456789"),
    )
    _Yaml12Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+0123456789."),
    )


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


_plain_scalar_resolvers()
_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _as_config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        content = yaml.load(path.read_text(), Loader=_Yaml12Loader)  # noqa: S506
    except FileNotFoundError:
        raise StackFileError(f"{path} not found.") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(content, dict):
        raise StackFileError(f"{path} must contain a mapping at the top level.")
    return content


def project_name(root: Path | None = None) -> str:
    """Return the project name declared in Pulumi.yaml."""
    return str(_read_yaml((root or ROOT) / "Pulumi.yaml")["name"])


def stack_config(stack: str, root: Path | None = None) -> dict[str, str]:
    """Return the stack's config as the CLI passes it: `namespace:key` → string."""
    root = root or ROOT
    project = _read_yaml(root / "Pulumi.yaml")
    name = str(project["name"])
    values: dict[str, str] = {}
    for key, spec in (project.get("config") or {}).items():
        full_key = key if ":" in key else f"{name}:{key}"
        if isinstance(spec, dict) and "default" in spec:
            values[full_key] = _as_config_string(spec["default"])
        elif not isinstance(spec, dict):
            values[full_key] = _as_config_string(spec)
    stack_path = root / f"Pulumi.{stack}.yaml"
    if not stack_path.exists():
        known = sorted(
            p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml")
        )
        raise StackFileError(
            f"stack {stack!r} has no {stack_path.name}; known stacks: "
            f"{', '.join(known) or 'none'}."
        )
    stack_file = _read_yaml(stack_path)
    stack_values = stack_file.get("config") or {}
    if not isinstance(stack_values, dict):
        raise StackFileError(
            f"{stack_path.name}: config must be a mapping of keys to values, "
            f"got {stack_values!r}."
        )
    for key, value in stack_values.items():
        if isinstance(value, dict) and "secure" in value:
            raise StackFileError(
                f"{stack_path.name} has a secret for {key}; the offline preview "
                "cannot decrypt secrets. Put a placeholder in a separate stack file."
            )
        full_key = key if ":" in key else f"{name}:{key}"
        values[full_key] = _as_config_string(value)
    return values
