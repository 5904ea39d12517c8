"""The full list of policies in the pack, and their metadata by name."""

from __future__ import annotations

from pulumi_policy import Policy

from policy import aws_controls, contracts, mount_check
from policy.base import PolicyInfo

PACK_NAME = "retail-assets-security"

POLICY_INFO: dict[str, PolicyInfo] = {
    **aws_controls.POLICY_INFO,
    mount_check.MOUNT_CHECK_INFO.name: mount_check.MOUNT_CHECK_INFO,
    **contracts.POLICY_INFO,
}
"""Every policy's id, controls, severity, enforcement and remediation."""


def build_policies() -> list[Policy]:
    """Return a fresh instance of every policy in the pack."""
    return [
        *aws_controls.build_policies(),
        mount_check.build_policy(),
        *contracts.build_policies(),
    ]
