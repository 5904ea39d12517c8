"""Reading and evaluating IAM policy documents.

Evaluation here is three-valued: True, False, or None when the result
depends on something the policy cannot see (an unknown value, or a
condition key whose value at request time is not modelled). Callers report
None as "cannot prove" rather than guessing.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import Any

from policy.resources import as_list, is_unknown, parse_json_document

Tristate = bool | None


@dataclasses.dataclass(frozen=True)
class Statement:
    """One statement of a policy document, with list-valued elements."""

    index: int
    sid: str
    effect: str
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principal: Any
    not_principal: Any
    condition: Mapping[str, Any]

    @property
    def label(self) -> str:
        """`statement 2 ("Sid")` style name used in messages."""
        return (
            f'statement {self.index} ("{self.sid}")'
            if self.sid
            else (f"statement {self.index}")
        )


def load_statements(document: Any) -> tuple[list[Statement], str]:
    """Parse a policy document (JSON text or dict) into statements.

    Returns the statements and "" or, when the document cannot be read at
    all, an empty list and the reason. Grammar errors inside statements are
    reported by `policy.contracts`, not here.
    """
    parsed, error = parse_json_document(document)
    if error:
        return [], error
    if not isinstance(parsed, dict):
        return [], f"expected a JSON object, got {type(parsed).__name__}"
    raw = parsed.get("Statement")
    if isinstance(raw, list):
        items = raw
    elif isinstance(raw, dict):
        items = [raw]
    else:
        items = []
    statements = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            continue
        statements.append(
            Statement(
                index=index,
                sid=str(item.get("Sid", "")),
                effect=str(item.get("Effect", "")),
                actions=_strings(item.get("Action")),
                not_actions=_strings(item.get("NotAction")),
                resources=_strings(item.get("Resource")),
                not_resources=_strings(item.get("NotResource")),
                principal=item.get("Principal"),
                not_principal=item.get("NotPrincipal"),
                condition=item.get("Condition") or {},
            )
        )
    return statements, ""


def _strings(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(str(v) for v in as_list(value))


def _glob(pattern: str, value: str, *, ignore_case: bool) -> bool:
    """Match IAM wildcards: `*` any run of characters, `?` one character."""
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    # Policy variables such as ${aws:username} stand for a value known only
    # at request time; treat them as a wildcard.
    pattern = re.sub(r"\$\{[^}]*\}", "*", pattern)
    translated = fnmatch.translate(pattern.replace("[", "[[]"))
    return re.fullmatch(translated, value, flags=re.DOTALL) is not None


def action_matches(pattern: str, action: str) -> bool:
    """Return whether an Action entry such as `elasticfilesystem:Client*` matches."""
    return _glob(pattern, action, ignore_case=True)


def resource_matches(pattern: str, arn: str) -> bool:
    """Return whether a Resource entry matches an ARN (case-sensitive)."""
    return _glob(pattern, arn, ignore_case=False)


def covers_action(statement: Statement, action: str) -> bool:
    """Return whether the statement's Action or NotAction takes in `action`."""
    if statement.actions is not None:
        return any(action_matches(p, action) for p in statement.actions)
    if statement.not_actions is not None:
        return not any(action_matches(p, action) for p in statement.not_actions)
    return False


def covers_resource(statement: Statement, arn: str) -> bool:
    """Return whether the statement's Resource or NotResource takes in `arn`.

    A statement with neither (a resource policy) applies to the resource
    the policy is attached to.
    """
    if statement.resources is not None:
        return any(resource_matches(p, arn) for p in statement.resources)
    if statement.not_resources is not None:
        return not any(resource_matches(p, arn) for p in statement.not_resources)
    return True


@dataclasses.dataclass(frozen=True)
class Caller:
    """The IAM principal a resource policy statement is matched against."""

    arn: str
    """The role or user ARN; "" for an anonymous caller."""
    account_id: str

    def names(self) -> set[str]:
        """Return the principal strings that designate this caller."""
        if not self.arn:
            return set()
        return {
            self.arn,
            self.account_id,
            f"arn:aws:iam::{self.account_id}:root",
        }


def _principal_values(principal: Any) -> list[str] | None:
    """Return the AWS principal strings, or None for an unreadable element."""
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        values: list[str] = []
        for key, value in principal.items():
            if key == "AWS":
                values += [str(v) for v in as_list(value)]
        return values
    return None


def principal_matches(statement: Statement, caller: Caller) -> Tristate:
    """Return whether a resource policy statement's principal covers `caller`.

    Only `AWS` principals and `*` can name an IAM role, so other principal
    kinds (Service, Federated) never match.
    """
    if statement.principal is not None:
        values = _principal_values(statement.principal)
        if values is None:
            return None
        if any(is_unknown(v) for v in values):
            return None
        return "*" in values or bool(caller.names() & set(values))
    if statement.not_principal is not None:
        values = _principal_values(statement.not_principal)
        if values is None or any(is_unknown(v) for v in values):
            return None
        return "*" not in values and not (caller.names() & set(values))
    return True


# Condition operators, without the IfExists suffix and set prefixes.
CONDITION_OPERATORS = frozenset(
    {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
    }
)
SET_PREFIXES = ("ForAnyValue:", "ForAllValues:")


def split_operator(name: str) -> tuple[str, str, bool] | None:
    """Split `ForAnyValue:StringLikeIfExists` into (prefix, base, if_exists).

    Returns None for a name IAM does not accept.
    """
    prefix = ""
    for candidate in SET_PREFIXES:
        if name.startswith(candidate):
            prefix, name = candidate, name[len(candidate) :]
            break
    if_exists = name.endswith("IfExists") and name != "IfExists"
    base = name[: -len("IfExists")] if if_exists else name
    if base not in CONDITION_OPERATORS:
        return None
    if if_exists and base == "Null":
        return None
    return prefix, base, if_exists


_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "NotIpAddress",
}


def _compare(base: str, actual: str, expected: str) -> Tristate:
    if base in ("StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals"):
        return actual == expected
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return actual.lower() == expected.lower()
    if base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
        return _glob(expected, actual, ignore_case=False)
    if base == "Bool":
        return actual.lower() == expected.lower()
    return None


def evaluate_condition(
    condition: Mapping[str, Any],
    context: Mapping[str, list[str]],
    absent: Iterable[str] = (),
) -> Tristate:
    """Evaluate a statement's Condition block against a request context.

    `context` maps lower-case condition keys to their values in the request;
    keys in `absent` are known not to be in the request. Any other key is
    unknown and makes the result None unless another part is already False.
    """
    absent_keys = {key.lower() for key in absent}
    result: Tristate = True
    for operator, block in condition.items():
        parts = split_operator(str(operator))
        if parts is None or not isinstance(block, Mapping):
            return None
        prefix, base, if_exists = parts
        for key, expected in block.items():
            outcome = _evaluate_key(
                base,
                prefix,
                if_exists,
                str(key).lower(),
                [
                    str(v).lower() if base == "Bool" else str(v)
                    for v in as_list(expected)
                ],
                context,
                absent_keys,
            )
            if outcome is False:
                return False
            if outcome is None:
                result = None
    return result


def _evaluate_key(
    base: str,
    prefix: str,
    if_exists: bool,
    key: str,
    expected: list[str],
    context: Mapping[str, list[str]],
    absent: set[str],
) -> Tristate:
    if any(is_unknown(v) for v in expected):
        return None
    if key not in context:
        if key not in absent:
            return None
        if base == "Null":
            return "true" in [v.lower() for v in expected]
        if if_exists or prefix == "ForAllValues:":
            return True
        return base in _NEGATED
    actual = context[key]
    if base == "Null":
        return "false" in [v.lower() for v in expected]
    negated = base in _NEGATED
    outcomes = []
    for value in actual:
        matched: Tristate = False
        for expected_value in expected:
            compared = _compare(base, value, expected_value)
            if compared is None:
                return None
            if compared:
                matched = True
                break
        outcomes.append(matched)
    hit = all(outcomes) if prefix == "ForAllValues:" else any(outcomes)
    return not hit if negated else hit


def action_list(statement: Statement) -> tuple[str, ...]:
    """Return the statement's Action or NotAction entries, whichever it has."""
    return statement.actions or statement.not_actions or ()
