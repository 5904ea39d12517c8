"""Read a stack's config the way the Pulumi CLI does, from the project files.

The CLI overlays a stack file, `Pulumi.<stack>.yaml`, on the defaults that
`Pulumi.yaml` declares, and hands the program every value as a string.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


class StackFileError(ValueError):
    """A project or stack file is missing or malformed."""


def _as_config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        content = yaml.safe_load(path.read_text())
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
    for key, value in (stack_file.get("config") or {}).items():
        if isinstance(value, dict) and "secure" in value:
            raise StackFileError(
                f"{stack_path.name} has a secret for {key}; the offline preview "
                "cannot decrypt secrets. Put a placeholder in a separate stack file."
            )
        full_key = key if ":" in key else f"{name}:{key}"
        values[full_key] = _as_config_string(value)
    return values
