"""Aliases that keep a child's state when a component renames or moves it.

Pulumi identifies a resource by its URN: its type, its parents' types and its
logical name. A child whose URN changes without an alias is deleted and
created again, which for the store's EFS file system means losing every
image. Each component keeps a table of its renamed children, keyed by the
child's current name suffix (the part after `<component name>-`), and adds
`keep_renamed_children(...)` to its own resource options, so that every child
it creates gets the aliases its table lists.

Keep an entry until every stack has run `pulumi up` with it. After that the
old URN is gone from state, so the entry can be removed.
"""

import dataclasses
from collections.abc import Mapping, Sequence

import pulumi


@dataclasses.dataclass(frozen=True)
class FormerChild:
    """An earlier identity of a component's child resource."""

    suffix: str
    """The child's earlier name suffix, such as `fs` for `images-fs`."""
    at_stack_root: bool = False
    """True when the child was a stack-level resource named
    `<component name>-<suffix>` before it moved into the component."""


RenamedChildren = Mapping[str, Sequence[str | FormerChild]]
"""Current child suffix -> its earlier suffixes. A plain string is a rename
under the same parent."""


def aliases_for(
    component_name: str, child_suffix: str, renamed: RenamedChildren
) -> list[pulumi.Alias]:
    """Return the aliases of the child named `<component_name>-<child_suffix>`.

    The list is empty when `renamed` has no entry for `child_suffix`. Raises
    ValueError when `renamed` is inconsistent (see `check_renamed_children`).
    """
    check_renamed_children(renamed)
    aliases = []
    for former in renamed.get(child_suffix, ()):
        child = former if isinstance(former, FormerChild) else FormerChild(former)
        old_name = f"{component_name}-{child.suffix}"
        if child.at_stack_root:
            # The Python SDK sends a `None` parent as "no parent", which the
            # engine resolves to a resource directly under the stack.
            aliases.append(pulumi.Alias(name=old_name, parent=None))
        else:
            aliases.append(pulumi.Alias(name=old_name))
    return aliases


def check_renamed_children(renamed: RenamedChildren) -> None:
    """Raise ValueError unless each earlier identity maps to one current child.

    The engine rejects two resources that alias the same old URN, and an
    alias to a child's own current name and parent never matches old state.
    """
    claimed: dict[FormerChild, str] = {}
    for current, formers in renamed.items():
        _require_suffix(current, "current child suffix")
        if isinstance(formers, str):
            raise ValueError(
                f"renamed children entry {current!r} is the string {formers!r}, "
                f"not a list. Give a list of earlier suffixes, such as [{formers!r}]."
            )
        for former in formers:
            child = former if isinstance(former, FormerChild) else FormerChild(former)
            _require_suffix(child.suffix, f"earlier suffix of {current!r}")
            if child.suffix == current and not child.at_stack_root:
                raise ValueError(
                    f"renamed children entry {current!r} lists its own suffix as "
                    "an earlier one. Remove it, because an alias to the current "
                    "name and parent matches no old state."
                )
            if child in claimed:
                raise ValueError(
                    f"earlier child {child.suffix!r} is claimed by both "
                    f"{claimed[child]!r} and {current!r}. Each old resource can "
                    "carry its state to one new child only."
                )
            claimed[child] = current


def _require_suffix(value: object, role: str) -> None:
    if not isinstance(value, str) or not value or value.startswith("-"):
        raise ValueError(
            f"invalid {role}: {value!r}. Give the part of the child's name "
            "after '<component name>-', such as 'fs'."
        )


def keep_renamed_children(
    component_name: str, renamed: RenamedChildren
) -> pulumi.ResourceTransformation:
    """Return a transformation that adds each renamed child's aliases.

    Pass it in the component's own `transformations` option: Pulumi applies a
    parent's transformations to every resource created under it, so no child
    needs its own `aliases` option. Raises ValueError when `renamed` is
    inconsistent.
    """
    check_renamed_children(renamed)
    prefix = f"{component_name}-"

    def add_aliases(
        args: pulumi.ResourceTransformationArgs,
    ) -> pulumi.ResourceTransformationResult | None:
        if not args.name.startswith(prefix):
            return None
        aliases = aliases_for(component_name, args.name[len(prefix) :], renamed)
        if not aliases:
            return None
        options = pulumi.ResourceOptions.merge(
            args.opts, pulumi.ResourceOptions(aliases=aliases)
        )
        return pulumi.ResourceTransformationResult(args.props, options)

    return add_aliases


def with_renamed_children(
    opts: pulumi.ResourceOptions | None,
    component_name: str,
    renamed: RenamedChildren,
) -> pulumi.ResourceOptions:
    """Return a component's `opts` with `keep_renamed_children` added."""
    return pulumi.ResourceOptions.merge(
        opts,
        pulumi.ResourceOptions(
            transformations=[keep_renamed_children(component_name, renamed)]
        ),
    )
