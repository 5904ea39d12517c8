"""The component package schema that Pulumi infers from the Python types.

`pulumi package add` serves this schema to TypeScript, Go and YAML programs,
so every input and output needs a type and a description there, and the
required inputs must match the Args TypedDicts.
"""

from __future__ import annotations
import __future__

import functools
import importlib
import inspect
import json
import pkgutil
import typing
from enum import Enum
from typing import Any

import pulumi
import pytest
from pulumi.provider.experimental.component import ComponentProvider

import components
from components import (
    PACKAGE_NAME,
    HighlyAvailableAssetsService,
    ImagePublisher,
    LoadBalancerScheme,
    RemovalPolicy,
    SharedImageStore,
    ThroughputMode,
)
from offline import engine
from offline.aws import AwsMocks

HOSTED = [SharedImageStore, HighlyAvailableAssetsService, ImagePublisher]
ENUMS = [ThroughputMode, RemovalPolicy, LoadBalancerScheme]


def _defines_schema_types(module: Any) -> bool:
    """Return whether `module` defines a component, TypedDict or Enum."""
    for value in vars(module).values():
        if not inspect.isclass(value) or value.__module__ != module.__name__:
            continue
        if typing.is_typeddict(value) or issubclass(
            value, (pulumi.ComponentResource, Enum)
        ):
            return True
    return False


def modules_with_postponed_annotations() -> list[str]:
    """Return the component modules that use `from __future__ import annotations`.

    Pulumi's schema analyzer (pulumi 3.272) reads annotations without
    evaluating them, so in these modules it gets strings and fails with
    "'str' object has no attribute '__mro__'".
    """
    found = []
    for info in pkgutil.iter_modules(components.__path__):
        module = importlib.import_module(f"components.{info.name}")
        postponed = getattr(module, "annotations", None) is __future__.annotations
        if postponed and _defines_schema_types(module):
            found.append(module.__name__)
    return found


@functools.cache
def package_schema() -> dict[str, Any]:
    provider = ComponentProvider(HOSTED, PACKAGE_NAME, version="0.1.0")
    return json.loads(provider.schema)


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def token(name: str) -> str:
    return f"{PACKAGE_NAME}:index:{name}"


def args_type(component: type) -> Any:
    return inspect.get_annotations(component.__init__, eval_str=True)["args"]


def typeddict_keys(python_type: Any) -> set[str]:
    return set(python_type.__required_keys__ | python_type.__optional_keys__)


def annotated_outputs(component: type) -> list[str]:
    hints = inspect.get_annotations(component, eval_str=True)
    return [
        name
        for name, hint in hints.items()
        if not name.startswith("_") and typing.get_origin(hint) is pulumi.Output
    ]


def is_typed(prop: dict[str, Any]) -> bool:
    return "type" in prop or "$ref" in prop


def resource(component: type) -> dict[str, Any]:
    return package_schema()["resources"][token(component.__name__)]


def referenced_types(node: Any) -> set[str]:
    """Return the local type tokens that `node` refers to, at any depth."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/types/"):
            found.add(ref.removeprefix("#/types/"))
        for value in node.values():
            found |= referenced_types(value)
    elif isinstance(node, list):
        for value in node:
            found |= referenced_types(value)
    return found


def test_component_modules_evaluate_annotations() -> None:
    postponed = modules_with_postponed_annotations()
    assert postponed == [], (
        f"{', '.join(postponed)} use `from __future__ import annotations`. Remove "
        "it, because the schema analyzer cannot read string annotations."
    )


def test_package_name_and_version() -> None:
    schema = package_schema()
    assert schema["name"] == "retailassets"
    assert schema["version"] == "0.1.0"


def test_schema_lists_hosted_components() -> None:
    expected = {token(component.__name__) for component in HOSTED}
    assert set(package_schema()["resources"]) == expected


@pytest.mark.parametrize("component", HOSTED, ids=lambda c: c.__name__)
def test_component_is_described(component: type) -> None:
    assert resource(component)["isComponent"] is True
    assert resource(component)["description"].strip()


@pytest.mark.parametrize("component", HOSTED, ids=lambda c: c.__name__)
def test_every_input_is_in_schema(component: type) -> None:
    expected = {camel_case(key) for key in typeddict_keys(args_type(component))}
    assert set(resource(component)["inputProperties"]) == expected


@pytest.mark.parametrize("component", HOSTED, ids=lambda c: c.__name__)
def test_inputs_are_typed_and_described(component: type) -> None:
    for name, prop in resource(component)["inputProperties"].items():
        assert is_typed(prop), f"{component.__name__} input {name} has no type"
        assert prop.get("description", "").strip(), (
            f"{component.__name__} input {name} has no description"
        )


@pytest.mark.parametrize("component", HOSTED, ids=lambda c: c.__name__)
def test_required_inputs_match_typeddict(component: type) -> None:
    required = args_type(component).__required_keys__
    expected = sorted(camel_case(key) for key in required)
    assert sorted(resource(component).get("requiredInputs", [])) == expected


@pytest.mark.parametrize("component", HOSTED, ids=lambda c: c.__name__)
def test_every_output_is_in_schema(component: type) -> None:
    expected = {camel_case(name) for name in annotated_outputs(component)}
    assert set(resource(component)["properties"]) == expected


@pytest.mark.parametrize("component", HOSTED, ids=lambda c: c.__name__)
def test_outputs_are_typed_and_described(component: type) -> None:
    for name, prop in resource(component)["properties"].items():
        assert is_typed(prop), f"{component.__name__} output {name} has no type"
        assert prop.get("description", "").strip(), (
            f"{component.__name__} output {name} has no description"
        )


def test_type_references_resolve() -> None:
    schema = package_schema()
    missing = referenced_types(schema["resources"]) - set(schema["types"])
    assert missing == set()


def test_object_types_match_typeddicts() -> None:
    for type_token, definition in package_schema()["types"].items():
        if "enum" in definition:
            continue
        python_type = getattr(components, type_token.rsplit(":", 1)[-1])
        keys = typeddict_keys(python_type)
        assert set(definition["properties"]) == {camel_case(k) for k in keys}, (
            f"{type_token} properties differ from {python_type.__name__}"
        )
        expected_required = sorted(camel_case(k) for k in python_type.__required_keys__)
        assert sorted(definition.get("required", [])) == expected_required, (
            f"{type_token} required properties differ"
        )


def test_object_type_fields_are_described() -> None:
    for type_token, definition in package_schema()["types"].items():
        for name, prop in definition.get("properties", {}).items():
            assert is_typed(prop), f"{type_token}.{name} has no type"
            assert prop.get("description", "").strip(), (
                f"{type_token}.{name} has no description"
            )


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_enum_values_match_python(enum: type[Enum]) -> None:
    definition = package_schema()["types"][token(enum.__name__)]
    assert definition["type"] == "string"
    values = [member["value"] for member in definition["enum"]]
    assert values == [member.value for member in enum]


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_enum_members_are_described(enum: type[Enum]) -> None:
    definition = package_schema()["types"][token(enum.__name__)]
    assert definition.get("description", "").strip()
    for member in definition["enum"]:
        assert member.get("description", "").strip(), (
            f"{enum.__name__}.{member['name']} has no description"
        )


def test_provider_constructs_store_from_schema_inputs() -> None:
    provider = ComponentProvider(HOSTED, PACKAGE_NAME, version="0.1.0")

    def program() -> None:
        provider.construct(
            "images",
            token("SharedImageStore"),
            {
                "vpcId": "vpc-0123456789abcdef0",
                "subnets": [
                    {"subnetId": "subnet-0a", "availabilityZone": "us-east-1a"},
                    {"subnetId": "subnet-0b", "availabilityZone": "us-east-1b"},
                ],
                "removalPolicy": "destroy",
                "throughputMode": "bursting",
            },
            None,
        )

    run = engine.run(program, AwsMocks(), project="schema", stack="test")
    file_system = run.one("aws:efs/fileSystem:FileSystem")
    assert file_system.protect is False
    assert file_system.inputs["throughputMode"] == "bursting"
    mount_targets = run.of_type("aws:efs/mountTarget:MountTarget")
    assert sorted(target.inputs["subnetId"] for target in mount_targets) == [
        "subnet-0a",
        "subnet-0b",
    ]
