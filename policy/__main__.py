"""Entry point the Pulumi policy host runs: serve the pack over gRPC.

The host runs this file with `policy/` as the working directory and on
`sys.path`, so the repository root is added to make `import policy.*` work
the same way it does from the root.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policy.pack import PACK_NAME, build_policies  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    policies=build_policies(),
    enforcement_level=EnforcementLevel.ADVISORY,
)
