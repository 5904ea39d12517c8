"""Network inputs shared by the components."""

from typing import TypedDict

import pulumi


class SubnetArgs(TypedDict):
    """A subnet and the Availability Zone it lies in."""

    subnet_id: pulumi.Input[str]
    """The subnet's id, such as `subnet-0abc...`."""
    availability_zone: str
    """The subnet's Availability Zone name, such as `us-east-1a`.

    It must be known when the program runs: it names the children placed in
    that zone, so adding or removing a zone never renames the others.
    """
