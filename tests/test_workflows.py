"""Check the GitHub Actions workflows in .github/workflows.

Three layers: GitHub's workflow schema (the copy vendored in check-jsonschema),
the zizmor security audit, and plain YAML checks of the properties the
preview and deploy paths rely on. The schema check and zizmor run offline.
A missing tool fails these tests, because a skipped check would look green.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKFLOW_DIR = REPO_ROOT / ".github" / "workflows"
PREVIEW_WORKFLOW = WORKFLOW_DIR / "preview.yml"
DEPLOY_WORKFLOW = WORKFLOW_DIR / "deploy.yml"
WORKFLOWS = [PREVIEW_WORKFLOW, DEPLOY_WORKFLOW]

AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"
CHECKOUT_ACTION = "actions/checkout"
PULUMI_ACTION = "pulumi/actions"
POLICY_PACK_DIR = "policy"
STACK_NAME = "dev"
PREVIEW_JOB = "preview"
TEST_JOB = "test"
DEPLOY_JOB = "deploy"

INSTALL_HINT = "install the dev tools with `pip install -r requirements-dev.txt`"

# zizmor runs as the "auditor" persona, its most thorough one. A finding of
# severity low or above fails the test. Informational findings are hints
# without a risk, so they do not fail it. A finding that is
# accepted by design carries an inline `# zizmor: ignore[AUDIT]` comment with
# its reason in the workflow, where a reviewer sees it.
ZIZMOR_PERSONA = "auditor"
ZIZMOR_FAILING_SEVERITIES = {"Low", "Medium", "High"}

# Proxy on a closed loopback port: an HTTP(S) request from a checker fails at
# once, so a checker that needs the network fails its test here too.
DEAD_PROXY = "http://127.0.0.1:9"

FULL_SHA_USES = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT_USES = re.compile(
    r"^\s*(?:-\s+)?uses:\s*\S+@[0-9a-f]{40}\s+#\s*v\d+\.\d+\.\d+\s*$"
)
VARIABLE_EXPRESSION = re.compile(r"^\$\{\{\s*vars\.[A-Z][A-Z0-9_]*\s*\}\}$")
ENV_EXPRESSION = re.compile(r"^\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")
STATIC_AWS_KEY_PATTERNS = [
    r"aws[-_]access[-_]key[-_]id",
    r"aws[-_]secret[-_]access[-_]key",
    r"aws[-_]session[-_]token",
]


def load_workflow(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def triggers_of(workflow: dict[str, Any]) -> dict[str, Any]:
    # PyYAML follows YAML 1.1, which loads a bare `on` key as the boolean True.
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict), f"`on:` is not a mapping: {triggers!r}"
    return triggers


def action_of(step: dict[str, Any]) -> str:
    """Return the `owner/repo[/path]` part of a step's `uses:`, or ""."""
    return str(step.get("uses", "")).split("@", 1)[0]


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job.get("steps", []) if action_of(step) == action]


def jobs_using(workflow: dict[str, Any], action: str) -> dict[str, dict[str, Any]]:
    return {
        name: job for name, job in workflow["jobs"].items() if steps_using(job, action)
    }


def pulumi_step_index(job: dict[str, Any], command: str) -> int:
    """Return the index of the step that runs `pulumi COMMAND`.

    The step is either `pulumi/actions` with `command: COMMAND` or a `run:`
    that calls the CLI.
    """
    for index, step in enumerate(job.get("steps", [])):
        if action_of(step) == PULUMI_ACTION:
            if step.get("with", {}).get("command") == command:
                return index
        elif re.search(rf"\bpulumi\s+{command}\b", str(step.get("run", ""))):
            return index
    raise AssertionError(f"no step runs `pulumi {command}`")


def policy_packs_of(step: dict[str, Any]) -> list[str]:
    """Return the policy pack paths a Pulumi step passes as `--policy-pack`."""
    if action_of(step) == PULUMI_ACTION:
        # pulumi/actions v7.0.0 splits `policyPacks` at newlines and commas.
        raw = str(step.get("with", {}).get("policyPacks", ""))
        return [pack.strip() for pack in re.split(r"[,\n]", raw) if pack.strip()]
    return re.findall(r"--policy-pack[=\s]+(\S+)", str(step.get("run", "")))


def resolve_env(value: str, workflow: dict[str, Any], job: dict[str, Any]) -> str:
    """Replace a whole-value `${{ env.NAME }}` with the job or workflow env."""
    match = ENV_EXPRESSION.match(value)
    if match is None:
        return value
    name = match.group(1)
    env = {**workflow.get("env", {}), **job.get("env", {})}
    assert name in env, f"env.{name} is used but not set at workflow or job level"
    return str(env[name])


def sdk_pin(package: str) -> str:
    text = (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(package)}==(\S+)\s*$", text, re.MULTILINE)
    assert match is not None, f"requirements.txt pins no version of {package}"
    return match.group(1)


def offline_env() -> dict[str, str]:
    """Copy os.environ, pointing every proxy at DEAD_PROXY and dropping tokens."""
    env = dict(os.environ)
    for name in (
        "NO_PROXY",
        "no_proxy",
        "GH_TOKEN",
        "GITHUB_TOKEN",
        "ZIZMOR_GITHUB_TOKEN",
    ):
        env.pop(name, None)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = DEAD_PROXY
        env[name.lower()] = DEAD_PROXY
    return env


@pytest.fixture(scope="session")
def check_jsonschema_command() -> list[str]:
    if importlib.util.find_spec("check_jsonschema") is None:
        pytest.fail(f"check-jsonschema is not installed: {INSTALL_HINT}", pytrace=False)
    return [sys.executable, "-m", "check_jsonschema"]


@pytest.fixture(scope="session")
def zizmor_binary() -> str:
    # Look beside the running interpreter first, so the zizmor of a virtualenv
    # is found when pytest runs from it without the virtualenv being activated.
    beside_python = Path(sys.executable).parent / "zizmor"
    if beside_python.is_file():
        return str(beside_python)
    on_path = shutil.which("zizmor")
    if on_path is None:
        pytest.fail(f"zizmor is not installed: {INSTALL_HINT}", pytrace=False)
    return on_path


def run_schema_check(
    command: list[str], schema: str, path: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        env=offline_env(),
        timeout=120,
        check=False,
    )


def run_zizmor(binary: str, target: Path) -> list[dict[str, Any]]:
    """Run zizmor offline on `target` and return its findings."""
    result = subprocess.run(
        [
            binary,
            "--offline",
            "--no-config",
            "--no-exit-codes",
            f"--persona={ZIZMOR_PERSONA}",
            "--format=json",
            str(target),
        ],
        capture_output=True,
        text=True,
        env=offline_env(),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"zizmor failed to run:\n{result.stderr}"
    return json.loads(result.stdout)


def describe_finding(finding: dict[str, Any]) -> str:
    """Format a zizmor JSON (v1) finding as `path:line: audit (severity): text`."""
    location = finding["locations"][0]
    key = location["symbolic"]["key"]
    path = key["Local"]["verbatim_path"] if "Local" in key else json.dumps(key)
    row = location["concrete"]["location"]["start_point"]["row"] + 1
    severity = finding["determinations"]["severity"]
    return f"{path}:{row}: {finding['ident']} ({severity}): {finding['desc']}"


# Schema


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_matches_github_schema(
    check_jsonschema_command: list[str], path: Path
) -> None:
    result = run_schema_check(check_jsonschema_command, "vendor.github-workflows", path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_job_sets_timeout(
    check_jsonschema_command: list[str], path: Path
) -> None:
    result = run_schema_check(
        check_jsonschema_command, "custom.github-workflows-require-timeout", path
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_invalid_workflow(
    check_jsonschema_command: list[str], tmp_path: Path
) -> None:
    # No trigger and a job without `runs-on`: both are schema errors.
    broken = tmp_path / "broken.yml"
    broken.write_text("jobs:\n  build:\n    steps:\n      - run: true\n")
    result = run_schema_check(
        check_jsonschema_command, "vendor.github-workflows", broken
    )
    assert result.returncode != 0, result.stdout + result.stderr


def test_github_schema_is_vendored(check_jsonschema_command: list[str]) -> None:
    vendored = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    assert (vendored / "github-workflows.json").is_file()


# zizmor


def test_zizmor_finds_no_issues(zizmor_binary: str) -> None:
    findings = run_zizmor(zizmor_binary, WORKFLOW_DIR)
    failing = [
        describe_finding(finding)
        for finding in findings
        if finding["determinations"]["severity"] in ZIZMOR_FAILING_SEVERITIES
    ]
    assert failing == [], "zizmor findings:\n" + "\n".join(failing)


def test_zizmor_flags_known_bad_workflow(zizmor_binary: str, tmp_path: Path) -> None:
    # Control case: proves the offline run audits at all.
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  greet:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - uses: pulumi/actions@v6\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    idents = {finding["ident"] for finding in run_zizmor(zizmor_binary, bad)}
    assert "unpinned-uses" in idents
    assert "template-injection" in idents


# Credentials and permissions


@pytest.mark.parametrize("pattern", STATIC_AWS_KEY_PATTERNS)
@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_has_no_aws_keys(path: Path, pattern: str) -> None:
    text = path.read_text(encoding="utf-8")
    match = re.search(pattern, text, re.IGNORECASE)
    assert match is None, f"{path.name} mentions {match.group(0)}; use OIDC only"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_aws_jobs_request_id_token(path: Path) -> None:
    aws_jobs = jobs_using(load_workflow(path), AWS_CREDENTIALS_ACTION)
    assert aws_jobs, f"{path.name} has no job that configures AWS credentials"
    for name, job in aws_jobs.items():
        permissions = job.get("permissions", {})
        assert permissions.get("id-token") == "write", f"job {name}: {permissions}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_aws_role_comes_from_variable(path: Path) -> None:
    workflow = load_workflow(path)
    steps = [
        step
        for job in workflow["jobs"].values()
        for step in steps_using(job, AWS_CREDENTIALS_ACTION)
    ]
    assert steps, f"{path.name} has no {AWS_CREDENTIALS_ACTION} step"
    for step in steps:
        role = str(step.get("with", {}).get("role-to-assume", ""))
        assert VARIABLE_EXPRESSION.match(role), f"role-to-assume is {role!r}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_pulumi_token_comes_from_secret(path: Path) -> None:
    workflow = load_workflow(path)
    steps = [
        step
        for job in workflow["jobs"].values()
        for step in steps_using(job, PULUMI_ACTION)
    ]
    assert steps, f"{path.name} has no {PULUMI_ACTION} step"
    for step in steps:
        token = step.get("env", {}).get("PULUMI_ACCESS_TOKEN")
        assert token == "${{ secrets.PULUMI_ACCESS_TOKEN }}", f"token is {token!r}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_permissions_read_only(path: Path) -> None:
    assert load_workflow(path).get("permissions") == {"contents": "read"}


@pytest.mark.parametrize(
    ("path", "job_name", "expected"),
    [
        (
            PREVIEW_WORKFLOW,
            PREVIEW_JOB,
            {"contents": "read", "id-token": "write", "pull-requests": "write"},
        ),
        (DEPLOY_WORKFLOW, TEST_JOB, {"contents": "read"}),
        (DEPLOY_WORKFLOW, DEPLOY_JOB, {"contents": "read", "id-token": "write"}),
    ],
    ids=["preview", "test", "deploy"],
)
def test_job_permissions_are_minimal(
    path: Path, job_name: str, expected: dict[str, str]
) -> None:
    jobs = load_workflow(path)["jobs"]
    assert job_name in jobs, f"{path.name} has jobs {sorted(jobs)}"
    assert jobs[job_name].get("permissions") == expected


@pytest.mark.parametrize(
    ("path", "job_names"),
    [(PREVIEW_WORKFLOW, {PREVIEW_JOB}), (DEPLOY_WORKFLOW, {TEST_JOB, DEPLOY_JOB})],
    ids=["preview", "deploy"],
)
def test_workflow_has_expected_jobs(path: Path, job_names: set[str]) -> None:
    # A new job must be added to the permission table above.
    assert set(load_workflow(path)["jobs"]) == job_names


# Supply chain and injection


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_pinned_to_sha(path: Path) -> None:
    workflow = load_workflow(path)
    references = []
    for job in workflow["jobs"].values():
        if "uses" in job:
            references.append(str(job["uses"]))
        references.extend(
            str(step["uses"]) for step in job.get("steps", []) if "uses" in step
        )
    assert references, f"{path.name} uses no action"
    unpinned = [
        reference
        for reference in references
        if not reference.startswith("./") and not FULL_SHA_USES.match(reference)
    ]
    assert unpinned == [], f"not pinned to a full commit SHA: {unpinned}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_pinned_actions_name_version(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    pinned = [line for line in lines if re.search(r"@[0-9a-f]{40}", line)]
    assert pinned, f"{path.name} has no SHA-pinned `uses:` line"
    unnamed = [line.strip() for line in pinned if not VERSION_COMMENT_USES.match(line)]
    assert unnamed == [], f"SHA pin without a `# vX.Y.Z` comment: {unnamed}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_checkout_persists_no_credentials(path: Path) -> None:
    workflow = load_workflow(path)
    checkouts = [
        step
        for job in workflow["jobs"].values()
        for step in steps_using(job, CHECKOUT_ACTION)
    ]
    assert checkouts, f"{path.name} has no checkout step"
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_run_steps_expand_no_expressions(path: Path) -> None:
    # Values reach shell scripts through `env:`, never through `${{ }}`
    # inside `run:`, where an attacker-chosen string would become code.
    workflow = load_workflow(path)
    expanding = [
        step.get("name", step["run"])
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if "${{" in str(step.get("run", ""))
    ]
    assert expanding == [], f"`${{{{ }}}}` inside run: {expanding}"


# Pulumi commands


PULUMI_COMMANDS = [
    (PREVIEW_WORKFLOW, PREVIEW_JOB, "preview"),
    (DEPLOY_WORKFLOW, DEPLOY_JOB, "up"),
]


@pytest.mark.parametrize(
    ("path", "job_name", "command"), PULUMI_COMMANDS, ids=["preview", "up"]
)
def test_pulumi_step_applies_policy_pack(
    path: Path, job_name: str, command: str
) -> None:
    job = load_workflow(path)["jobs"][job_name]
    step = job["steps"][pulumi_step_index(job, command)]
    assert policy_packs_of(step) == [POLICY_PACK_DIR]


@pytest.mark.parametrize(
    ("path", "job_name", "command"), PULUMI_COMMANDS, ids=["preview", "up"]
)
def test_pulumi_step_targets_dev_stack(path: Path, job_name: str, command: str) -> None:
    workflow = load_workflow(path)
    job = workflow["jobs"][job_name]
    step = job["steps"][pulumi_step_index(job, command)]
    stack = resolve_env(str(step.get("with", {}).get("stack-name", "")), workflow, job)
    # A fully qualified name such as ORG/dev or ORG/PROJECT/dev is fine.
    assert stack.split("/")[-1] == STACK_NAME


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_pulumi_cli_matches_sdk_pin(path: Path) -> None:
    workflow = load_workflow(path)
    steps = [
        step
        for job in workflow["jobs"].values()
        for step in steps_using(job, PULUMI_ACTION)
    ]
    assert steps, f"{path.name} has no {PULUMI_ACTION} step"
    for step in steps:
        assert str(step.get("with", {}).get("pulumi-version")) == sdk_pin("pulumi")


# Preview workflow


def test_preview_runs_on_pull_request() -> None:
    triggers = triggers_of(load_workflow(PREVIEW_WORKFLOW))
    assert set(triggers) == {"pull_request"}
    assert triggers["pull_request"].get("branches") == ["main"]


def test_preview_comments_on_pull_request() -> None:
    job = load_workflow(PREVIEW_WORKFLOW)["jobs"][PREVIEW_JOB]
    step = job["steps"][pulumi_step_index(job, "preview")]
    assert action_of(step) == PULUMI_ACTION
    assert step["with"].get("comment-on-pr") is True


def test_failed_preview_still_comments() -> None:
    job = load_workflow(PREVIEW_WORKFLOW)["jobs"][PREVIEW_JOB]
    preview_index = pulumi_step_index(job, "preview")
    reporters = [
        step
        for step in job["steps"][preview_index + 1 :]
        if "gh pr comment" in str(step.get("run", ""))
    ]
    assert len(reporters) == 1, "expected one `gh pr comment` step after preview"
    assert "failure()" in str(reporters[0].get("if", ""))


def test_failure_comment_names_project() -> None:
    # The failure comment copies the heading of pulumi/actions, which names the
    # project, so that the next successful preview edits it in place.
    job = load_workflow(PREVIEW_WORKFLOW)["jobs"][PREVIEW_JOB]
    (reporter,) = [
        step for step in job["steps"] if "gh pr comment" in str(step.get("run", ""))
    ]
    project = load_workflow(REPO_ROOT / "Pulumi.yaml")["name"]
    assert reporter["env"]["PULUMI_PROJECT"] == project


def test_preview_skips_fork_pull_requests() -> None:
    job = load_workflow(PREVIEW_WORKFLOW)["jobs"][PREVIEW_JOB]
    condition = str(job.get("if", ""))
    assert "github.event.pull_request.head.repo.full_name" in condition
    assert "github.repository" in condition


def test_preview_concurrency_per_pull_request() -> None:
    concurrency = load_workflow(PREVIEW_WORKFLOW)["concurrency"]
    assert "github.event.pull_request.number" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is True


# Deploy workflow


def test_deploy_runs_on_main_push() -> None:
    triggers = triggers_of(load_workflow(DEPLOY_WORKFLOW))
    assert set(triggers) == {"push", "workflow_dispatch"}
    assert triggers["push"].get("branches") == ["main"]


@pytest.mark.parametrize("job_name", [TEST_JOB, DEPLOY_JOB])
def test_deploy_jobs_limited_to_main(job_name: str) -> None:
    # workflow_dispatch may start a run from any branch.
    job = load_workflow(DEPLOY_WORKFLOW)["jobs"][job_name]
    assert job.get("if") == "github.ref == 'refs/heads/main'"


def test_deploy_job_binds_dev_environment() -> None:
    job = load_workflow(DEPLOY_WORKFLOW)["jobs"][DEPLOY_JOB]
    environment = job.get("environment")
    if isinstance(environment, dict):
        environment = environment.get("name")
    assert environment == STACK_NAME


def test_test_job_calls_ci_run() -> None:
    job = load_workflow(DEPLOY_WORKFLOW)["jobs"][TEST_JOB]
    commands = [str(step.get("run", "")).strip() for step in job["steps"]]
    assert "bash .ci/run" in commands


def test_deploy_waits_for_tests() -> None:
    needs = load_workflow(DEPLOY_WORKFLOW)["jobs"][DEPLOY_JOB].get("needs")
    assert needs in (TEST_JOB, [TEST_JOB]), f"deploy needs {needs!r}"


def test_tests_run_without_credentials() -> None:
    job = load_workflow(DEPLOY_WORKFLOW)["jobs"][TEST_JOB]
    text = yaml.safe_dump(job)
    assert "environment" not in job
    assert "secrets." not in text
    assert steps_using(job, AWS_CREDENTIALS_ACTION) == []


def test_deploy_never_cancels_running_up() -> None:
    concurrency = load_workflow(DEPLOY_WORKFLOW)["concurrency"]
    assert concurrency["cancel-in-progress"] is False
