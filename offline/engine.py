"""Run a Pulumi program under mocks and record what it registers.

Pulumi's `Mocks` see only a resource's inputs. The `RecordingMonitor` here
sits one level lower, at the resource monitor, so each `Registration` also
carries the options the engine would act on: `protect`, `retainOnDelete`,
`ignoreChanges`, dependencies, parent and aliases.
"""

from __future__ import annotations

import dataclasses
import runpy
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await


@dataclasses.dataclass
class Registration:
    """One `RegisterResource` request as the engine would receive it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    remote: bool
    inputs: dict[str, Any]
    """Resolved input properties, camelCase as the provider receives them."""
    outputs: dict[str, Any] = dataclasses.field(default_factory=dict)
    """State the mock provider returned, camelCase."""
    id: str = ""
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    ignore_changes: list[str] = dataclasses.field(default_factory=list)
    replace_on_changes: list[str] = dataclasses.field(default_factory=list)
    dependencies: list[str] = dataclasses.field(default_factory=list)
    """URNs this resource depends on, from `depends_on` and from its inputs."""
    property_dependencies: dict[str, list[str]] = dataclasses.field(
        default_factory=dict
    )
    aliases: list[str] = dataclasses.field(default_factory=list)
    provider: str = ""


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock resource monitor that keeps every registration in order."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.outputs_by_urn: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC name)
        urn = self.make_urn(request.parent, request.type, request.name)
        if urn in self.resources and request.type != "pulumi:pulumi:Stack":
            # The engine rejects this too; Pulumi's own mock monitor does not.
            raise ValueError(
                f"Duplicate resource URN '{urn}'; try giving it a unique name"
            )
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        inputs = rpc.deserialize_properties(request.object)
        registration = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=bool(request.custom),
            remote=bool(request.remote),
            inputs=dict(inputs),
            id=response.id,
            outputs=dict(self.resources[response.urn].state or {}),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            delete_before_replace=bool(request.deleteBeforeReplace),
            ignore_changes=list(request.ignoreChanges),
            replace_on_changes=list(request.replaceOnChanges),
            dependencies=list(request.dependencies),
            property_dependencies={
                key: list(value.urns)
                for key, value in request.propertyDependencies.items()
            },
            aliases=[_describe_alias(alias) for alias in request.aliases],
            provider=request.provider,
        )
        self.registrations.append(registration)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
        self.outputs_by_urn[request.urn] = dict(
            rpc.deserialize_properties(request.outputs)
        )
        return super().RegisterResourceOutputs(request)


def _describe_alias(alias: Any) -> str:
    """Render an alias spec as the URN or `name/type/parent` it stands for."""
    if alias.urn:
        return str(alias.urn)
    spec = alias.spec
    parent = spec.parentUrn or ("<no parent>" if spec.noParent else "<same parent>")
    return f"name={spec.name or '<same>'} type={spec.type or '<same>'} parent={parent}"


@dataclasses.dataclass
class StackRun:
    """The registrations and exports of one in-process run of a program."""

    project: str
    stack: str
    registrations: list[Registration]
    stack_outputs: dict[str, Any]
    component_outputs: dict[str, dict[str, Any]]

    def of_type(self, type_token: str) -> list[Registration]:
        """Return the registrations of one type token, in registration order."""
        return [r for r in self.registrations if r.type == type_token]

    def one(self, type_token: str) -> Registration:
        """Return the only registration of a type; raise if there is not exactly one."""
        found = self.of_type(type_token)
        if len(found) != 1:
            names = [r.name for r in found]
            raise LookupError(f"expected one {type_token}, found {len(found)}: {names}")
        return found[0]

    def by_name(self, name: str) -> Registration:
        """Return the registration with this logical name."""
        for registration in self.registrations:
            if registration.name == name:
                return registration
        raise LookupError(f"no resource named {name!r}")

    def by_urn(self, urn: str) -> Registration:
        """Return the registration with this URN."""
        for registration in self.registrations:
            if registration.urn == urn:
                return registration
        raise LookupError(f"no resource with URN {urn!r}")

    def children_of(self, urn: str) -> Iterator[Registration]:
        """Yield the registrations whose parent is `urn`."""
        return (r for r in self.registrations if r.parent == urn)


def run(
    body: Callable[[], Any],
    mocks: pulumi.runtime.Mocks,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    monitor: RecordingMonitor | None = None,
) -> StackRun:
    """Evaluate `body` as a Pulumi program under `mocks` and return what it did.

    Each call starts from a fresh root stack, so runs never see each other's
    resources. `config` keys are fully qualified (`project:key`) and values
    are strings, as the CLI would pass them. Exceptions from the program,
    including validation errors, propagate unchanged; pass a `monitor` to
    see what was registered before one was raised.
    """
    settings.reset_options(project=project, stack=stack, preview=False)
    monitor = monitor or RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=stack, preview=False, monitor=monitor
    )
    pulumi.runtime.set_all_config(dict(config or {}))
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    root = settings.get_root_resource()

    outputs: dict[str, Any] = {}

    async def resolve_exports() -> None:
        stack_outputs = getattr(root, "outputs", {})
        for key, value in stack_outputs.items():
            outputs[key] = await pulumi.Output.from_input(value).future()

    def program() -> None:
        body()

    _sync_await(run_pulumi_func(program))
    _sync_await(resolve_exports())
    component_outputs = {
        urn: values
        for urn, values in monitor.outputs_by_urn.items()
        if not urn.endswith(f"::{project}-{stack}")
    }
    return StackRun(
        project=project,
        stack=stack,
        registrations=monitor.registrations,
        stack_outputs=outputs,
        component_outputs=component_outputs,
    )


def run_program_file(
    path: Path,
    mocks: pulumi.runtime.Mocks,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    monitor: RecordingMonitor | None = None,
) -> StackRun:
    """Evaluate a Pulumi program file (a `__main__.py`) as `pulumi up` would."""
    return run(
        lambda: runpy.run_path(str(path), run_name="__main__"),
        mocks,
        project=project,
        stack=stack,
        config=config,
        monitor=monitor,
    )
