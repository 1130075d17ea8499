from __future__ import annotations

import json
from datetime import date

import pytest

from soc2kit.diff import diff_revisions, format_diff
from soc2kit.errors import UsageError
from soc2kit.revision import load_program_at, resolve_revision
from tests.conftest import CARVE_OUT, CONFIG, CONTROL, run_cli
from tests.gitrepo import BOB, GitRepo, program_repo

POLICY = "policies/information-security.md"


@pytest.fixture
def pr_repo(tmp_path) -> GitRepo:
    """main at tag `base`; branch `pr` removes TC-02, edits the policy without a version bump and
    excludes CC3.1 from scope."""
    repo = program_repo(tmp_path / "repo")
    repo.git("tag", "base")
    repo.branch("pr")
    repo.remove("controls/TC-02.md")
    repo.remove("evidence/TC-02")
    repo.replace(POLICY, "1. Access must be reviewed quarterly.", "1. Access must be reviewed every month.")
    repo.replace(
        "soc2kit.yml",
        "  categories: [security]\n",
        "  categories: [security]\n  exclusions:\n    - criterion: CC3.1\n      reason: Covered by the parent company.\n",
    )
    repo.commit("Drop TC-02 and tighten reviews", author=BOB)
    return repo


def test_pr_removing_a_control_uncovers_its_criteria_and_flags_an_unbumped_policy(pr_repo):
    diff = diff_revisions(pr_repo.root, "base", "pr")
    assert [(c.change, c.id) for c in diff.controls] == [("removed", "TC-02")]
    assert diff.newly_uncovered == ["CC1.5", "CC2.1", "CC2.2", "CC2.3"]
    assert diff.newly_covered == []
    assert [(c.change, c.id, c.fields) for c in diff.policies] == [("changed", "POL-ISP", ("body",))]
    policy = diff.policies[0]
    assert (policy.old_version, policy.new_version, policy.version_bumped) == ("1.0", "1.0", False)
    assert policy.review_moved is False
    assert diff.exclusions_added == {"CC3.1": "Covered by the parent company."}
    assert [(c.change, c.id) for c in diff.evidence] == [("removed", "EV-TC-02-2026Q1")]
    assert diff.base_label.startswith("base (")


def test_markdown_summary_warns_about_uncovered_criteria_and_the_unbumped_version(pr_repo):
    result = run_cli("diff", "base", "pr", "--root", str(pr_repo.root), "--format", "md")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("## soc2kit: what this change does to the SOC 2 program\n")
    assert "> :warning: **4 criteria lose their last control:** `CC1.5`, `CC2.1`, `CC2.2`, `CC2.3`" in text
    assert "**POL-ISP** changed but its version stays 1.0." in text
    assert "**Scope narrowed:** `CC3.1` newly excluded." in text
    assert "| changed | `POL-ISP` | Information Security Policy | 1.0 (not bumped) | 2026-01-10 (unchanged) |" in text
    assert "| removed | `TC-02` | Control TC-02 | - |" in text
    assert "| `CC2.1` |" in text


def test_json_shape(pr_repo):
    result = run_cli("diff", "base", "pr", "--root", str(pr_repo.root), "--format", "json")
    data = json.loads(result.stdout)
    assert data["version"] == 1
    assert data["criteria"] == {"newly_uncovered": ["CC1.5", "CC2.1", "CC2.2", "CC2.3"], "newly_covered": []}
    assert data["policies"][0]["version_bumped"] is False
    assert data["policies"][0]["version"] == {"old": "1.0", "new": "1.0"}
    assert data["exclusions"]["added"] == {"CC3.1": "Covered by the parent company."}


def test_bumped_version_and_added_control_that_covers_a_gap(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.remove("controls/TC-03.md")
    repo.remove("evidence/TC-03")
    repo.commit("Lose TC-03")
    repo.git("tag", "gap")
    repo.write("controls/TC-99.md", CONTROL.format(id="TC-99", criteria="CC3.1, CC3.2, CC3.3, CC3.4"))
    repo.replace(POLICY, 'version: "1.0"', 'version: "1.1"')
    repo.replace(POLICY, "last_reviewed: 2026-01-10", "last_reviewed: 2026-02-10")
    repo.commit("Add TC-99 and review the policy")
    diff = diff_revisions(repo.root, "gap", "HEAD")
    assert [(c.change, c.id) for c in diff.controls] == [("added", "TC-99")]
    assert diff.newly_covered == ["CC3.1", "CC3.2", "CC3.3", "CC3.4"]
    policy = diff.policies[0]
    assert policy.fields == ("version", "last_reviewed")
    assert (policy.version_bumped, policy.review_moved) == (True, True)
    text = format_diff(diff, "text")
    assert "version 1.0 -> 1.1; last_reviewed 2026-01-10 -> 2026-02-10" in text
    assert "Criteria newly covered:" in text


def test_without_head_compares_with_the_work_tree(pr_repo):
    pr_repo.checkout("main")
    pr_repo.replace("controls/TC-04.md", "owner: IT Manager", "owner: CISO")
    diff = diff_revisions(pr_repo.root, "HEAD")
    assert diff.head_label == "work tree"
    assert [(c.change, c.id, c.fields) for c in diff.controls] == [("changed", "TC-04", ("owner",))]


def test_identical_revisions_say_nothing_changed(pr_repo):
    result = run_cli("diff", "base", "main", "--root", str(pr_repo.root))
    assert result.returncode == 0
    assert (
        "No change to policies, controls, evidence, the system description, the registers, criteria coverage or scope."
        in result.stdout
    )


def test_program_at_a_date_is_the_last_first_parent_commit_of_that_day(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.replace(POLICY, 'version: "1.0"', 'version: "2.0"')
    repo.commit("Version 2", date="2026-03-01T10:00:00+00:00")
    repo.replace(POLICY, 'version: "2.0"', 'version: "3.0"')
    repo.commit("Version 3", date="2026-04-01T10:00:00+00:00")
    at = load_program_at(repo.root, date(2026, 3, 15))
    assert at.program.policies["POL-ISP"].version == "2.0"
    assert at.date.date() == date(2026, 3, 1)
    assert load_program_at(repo.root, "2026-04-01").program.policies["POL-ISP"].version == "3.0"
    assert (repo.root / POLICY).read_text(encoding="utf-8").count('version: "3.0"') == 1
    with pytest.raises(UsageError, match="no commit on HEAD's first-parent line is dated 2025-12-31 or earlier"):
        resolve_revision(repo.root, "2025-12-31")


def test_program_at_a_revision_is_read_without_touching_the_work_tree(pr_repo):
    pr_repo.checkout("main")
    before = pr_repo.git("status", "--porcelain")
    at = load_program_at(pr_repo.root, "pr")
    assert "TC-02" not in at.program.controls
    assert at.program.root != pr_repo.root
    assert (pr_repo.root / "controls" / "TC-02.md").exists()
    assert pr_repo.git("status", "--porcelain") == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-ref"], "'no-such-ref' is not a commit, tag or branch"),
        (["--", "-x"], "'-x' is not a revision"),
        (["2026-02-30"], "'2026-02-30' is not a real calendar date"),
    ],
)
def test_bad_revisions_are_usage_errors(pr_repo, args, message):
    result = run_cli("diff", "--root", str(pr_repo.root), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_diff_outside_git_is_a_usage_error(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "soc2kit.yml").write_text(CONFIG, encoding="utf-8")
    result = run_cli("diff", "HEAD", "--root", str(folder))
    assert result.returncode == 2
    assert "not inside a Git repository" in result.stderr


def test_program_in_a_subfolder_is_read_from_its_subtree(tmp_path):
    repo = GitRepo.create(tmp_path / "repo")
    program_repo_root = repo.root / "compliance"
    from tests.conftest import make_program

    make_program(program_repo_root)
    repo.commit("Program in a subfolder")
    at = load_program_at(program_repo_root, "HEAD")
    assert "POL-ISP" in at.program.policies
    assert at.program.config.organization == "Test Co"


SUBSERVICE = CARVE_OUT
CUECS = """\
user_entity_controls:
  - id: CUEC-01
    description: Customers keep their API keys secret.
    criteria: [CC6.1]
  - id: CUEC-02
    description: Customers remove their leavers' accounts.
    criteria: [CC6.2]
"""
DEVIATION = """\
deviations:
  - id: DEV-001
    control: TC-02
    window: 2026-Q1
    description: The Q1 review was late.
    cause: c
    effect: e
    remediation: r
    management_response: m
"""
SERVICES = "---\npart: services\ntitle: Services provided\nowner: CTO\n---\n# Services provided\n\n{text}\n"


def test_diff_reports_system_parts_and_register_entries(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write("registers/subservice-organizations.yml", SUBSERVICE)
    repo.write("registers/user-entity-controls.yml", CUECS)
    repo.write("system/services.md", SERVICES.format(text="Test Co runs a payroll service."))
    repo.commit("Registers and the services part")
    repo.git("tag", "base")
    repo.replace("registers/subservice-organizations.yml", "Only authorized staff", "Only badged staff")
    repo.replace("registers/subservice-organizations.yml", "method: carve-out", "method: inclusive")
    repo.replace("registers/user-entity-controls.yml", CUECS[CUECS.index("  - id: CUEC-02") :], "")
    repo.write("registers/deviations.yml", DEVIATION)
    repo.replace("system/services.md", "payroll service", "payroll and time-tracking service")
    repo.write("system/boundaries.md", "---\npart: boundaries\ntitle: System boundaries\nowner: CTO\n---\nWhat is in.\n")
    repo.commit("Approve changes to the registers and the description", author=BOB)

    diff = diff_revisions(repo.root, "base", "HEAD")
    assert [(c.change, c.id, c.fields) for c in diff.system] == [
        ("added", "boundaries", ()),
        ("changed", "services", ("body",)),
    ]
    assert [(c.change, c.id, c.fields, c.path) for c in diff.subservice_organizations] == [
        ("changed", "cloudco", ("method", "csocs"), "registers/subservice-organizations.yml")
    ]
    assert [(c.change, c.id, c.fields, c.title) for c in diff.csocs] == [
        ("changed", "CSOC-CLOUDCO-01", ("description",), "Only badged staff enter the data centers.")
    ]
    assert [(c.change, c.id) for c in diff.user_entity_controls] == [("removed", "CUEC-02")]
    assert [(c.change, c.id, c.path) for c in diff.deviations] == [("added", "DEV-001", "registers/deviations.yml")]
    assert not diff.empty

    data = json.loads(format_diff(diff, "json"))
    assert [d["id"] for d in data["deviations"]] == ["DEV-001"]
    assert data["csocs"][0]["fields"] == ["description"]
    text = format_diff(diff, "text")
    assert "Deviations:\n  added    DEV-001  The Q1 review was late." in text
    assert "Complementary user entity controls:\n  removed  CUEC-02" in text
    markdown = format_diff(diff, "md")
    assert "### System description" in markdown
    assert "| changed | `services` | Services provided | body |" in markdown
    assert "### Subservice organizations" in markdown
