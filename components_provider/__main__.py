"""Host the components as a Pulumi component provider (package `retailassets`).

`pulumi package add <repo>/components_provider` runs this folder as a Python
plugin, so TypeScript, Go, YAML and other programs can use the components.
The Python language host starts it as `python components_provider`, which
puts only this folder on `sys.path`. The `components` package is one level
up, so the repository root is added before importing it.
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from pulumi import ComponentResource  # noqa: E402
from pulumi.provider.experimental import component_provider_host  # noqa: E402
from pulumi.provider.experimental.component import ComponentProvider  # noqa: E402

from components import (  # noqa: E402
    PACKAGE_NAME,
    HighlyAvailableAssetsService,
    ImagePublisher,
    SharedImageStore,
)

# Keep equal to `[project] version` in pyproject.toml (tests/test_package.py
# checks it).
VERSION = "0.1.0"

COMPONENTS: list[type[ComponentResource]] = [
    SharedImageStore,
    HighlyAvailableAssetsService,
    ImagePublisher,
]


def build_provider() -> ComponentProvider:
    """Return the provider, with its schema inferred from the components."""
    return ComponentProvider(COMPONENTS, PACKAGE_NAME, version=VERSION)


if __name__ == "__main__":
    component_provider_host(COMPONENTS, PACKAGE_NAME, version=VERSION)
