"""Fixtures that evaluate the program and the components under Pulumi's mocks.

Every run starts from a fresh root stack (the engine resets Pulumi's
settings), with `preview=False` so every Output resolves and no check is
skipped because a value is unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from offline import aws, engine, preview, stack_files

PROJECT = "retail-assets"


def dev_config(**overrides: str) -> dict[str, str]:
    """Return the dev stack's config with `key=value` overrides (project keys)."""
    config = stack_files.stack_config("dev")
    for key, value in overrides.items():
        full_key = key if ":" in key else f"{PROJECT}:{key}"
        config[full_key] = value
    return config


def run_program(
    config: dict[str, str] | None = None, mocks: aws.AwsMocks | None = None
) -> engine.StackRun:
    """Evaluate __main__.py with `config` (default: the dev stack's)."""
    return engine.run_program_file(
        preview.PROGRAM,
        mocks or aws.AwsMocks(),
        project=PROJECT,
        stack="dev",
        config=config if config is not None else dev_config(),
    )


def run_components(body: Callable[[], Any]) -> engine.StackRun:
    """Evaluate `body`, a function that creates components, as a program."""
    return engine.run(body, aws.AwsMocks(), project="components", stack="test")


@pytest.fixture(scope="session")
def dev_run() -> engine.StackRun:
    """The dev stack, evaluated once for the tests that only read it."""
    return run_program()
