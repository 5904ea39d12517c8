"""Evaluate the Pulumi program in process, with no CLI, credentials or network.

`offline.engine` runs a program under Pulumi's mocks and records every
resource registration with its options. `offline.aws` replaces the AWS
provider, with ids and ARNs in AWS's formats. `offline.preview` is the
command that prints what `pulumi preview` would create for a stack.
"""
