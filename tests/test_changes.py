from __future__ import annotations

import json

from soc2kit.changes import check_commit, same_person
from soc2kit.history import Change, Commit
from tests.conftest import CONFIG, run_cli
from tests.gitrepo import ALICE, BOB, GitRepo, program_repo

POLICY = "policies/information-security.md"


def _check(repo: GitRepo, *args: str):
    result = run_cli("changes", "check", "--root", str(repo.root), "--format", "json", *args)
    report = json.loads(result.stdout) if result.stdout.startswith("{") else None
    return result, report


def _codes(report) -> list[tuple[str, str]]:
    return [(d["code"], d["path"]) for d in report["diagnostics"]]


def _reviewed_pr_repo(tmp_path) -> GitRepo:
    repo = program_repo(tmp_path / "repo")
    repo.branch("edit-policy")
    repo.replace(POLICY, "Why.", "Why we do it.")
    repo.commit("Explain the purpose", author=BOB)
    repo.checkout("main")
    repo.merge_pr("edit-policy", 7)
    repo.branch("bump")
    repo.replace(POLICY, 'version: "1.0"', 'version: "1.1"')
    repo.commit("Bump", author=BOB)
    repo.checkout("main")
    repo.squash_pr("bump", 8, "Bump the policy", author=BOB, trailers=(("Approved-by", "Alice Adams <alice@example.com>"),))
    return repo


def test_changes_through_merged_and_squashed_pull_requests_pass(tmp_path):
    repo = _reviewed_pr_repo(tmp_path)
    result, report = _check(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert report["diagnostics"] == []


def test_direct_push_to_main_is_flagged_on_the_changed_file(tmp_path):
    repo = _reviewed_pr_repo(tmp_path)
    repo.replace("controls/TC-03.md", "owner: IT Manager", "owner: CTO")
    sha = repo.commit("Quick owner fix", author=BOB)
    result, report = _check(repo)
    assert result.returncode == 1
    assert _codes(report) == [("SK601", "controls/TC-03.md")]
    message = report["diagnostics"][0]["message"]
    assert sha[:12] in message
    assert "pushed directly" in message
    assert "Bob Brown" in message
    assert report["diagnostics"][0]["line"] == 1


def test_merge_commit_without_a_pull_request_is_flagged(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.branch("local")
    repo.write("policies/new.md", "draft\n")
    repo.commit("Draft a policy")
    repo.checkout("main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'local'", "local", date=repo.tick())
    result, report = _check(repo)
    assert result.returncode == 1
    assert _codes(report) == [("SK601", "policies/new.md")]
    assert "merged without a pull request" in report["diagnostics"][0]["message"]


def test_approval_by_the_author_is_flagged(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.branch("self")
    repo.replace(POLICY, "Yearly.", "Every year.")
    repo.commit("Reword review")
    repo.checkout("main")
    repo.squash_pr("self", 9, "Reword review", author=ALICE, trailers=(("Reviewed-by", "A. Adams <ALICE@example.com>"),))
    result, report = _check(repo)
    assert result.returncode == 1
    assert _codes(report) == [("SK602", POLICY)]
    assert "approved by its own author" in report["diagnostics"][0]["message"]


def test_evidence_and_config_commits_are_not_gated(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write("evidence/TC-01/q2-review.txt", "q2\n")
    repo.commit("Add Q2 evidence")
    repo.replace("soc2kit.yml", "Test Co", "Test Company")
    repo.commit("Rename the company")
    result, report = _check(repo)
    assert result.returncode == 0
    assert report["diagnostics"] == []


def test_since_skips_older_direct_pushes(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write("policies/old.md", "old\n")
    repo.commit("Old direct push", date="2026-01-10T10:00:00+00:00")
    repo.write("policies/new.md", "new\n")
    repo.commit("New direct push", date="2026-03-10T10:00:00+00:00")
    result, report = _check(repo, "--since", "2026-02-01")
    assert result.returncode == 1
    assert _codes(report) == [("SK601", "policies/new.md")]


def test_enforced_from_in_the_config_skips_history_before_pull_requests_were_adopted(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write("policies/old.md", "old\n")
    repo.commit("Old direct push", date="2026-01-10T10:00:00+00:00")
    repo.write("soc2kit.yml", repo.read("soc2kit.yml") + "change_management:\n  enforced_from: 2026-02-01\n")
    repo.write("policies/new.md", "new\n")
    repo.commit("New direct push", date="2026-03-10T10:00:00+00:00")
    result, report = _check(repo)
    assert result.returncode == 1
    assert _codes(report) == [("SK601", "policies/new.md")]
    _, later = _check(repo, "--since", "2026-04-01")  # --since narrows further, never widens
    assert later["diagnostics"] == []
    _, earlier = _check(repo, "--since", "2026-01-01")
    assert _codes(earlier) == [("SK601", "policies/new.md")]


def test_rule_settings_apply_to_changes_check(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write("policies/new.md", "new\n")
    repo.commit("Direct push", date="2026-03-10T10:00:00+00:00")
    repo.write("soc2kit.yml", repo.read("soc2kit.yml") + "rules:\n  change-without-pull-request: warning\n")
    result, report = _check(repo)
    assert result.returncode == 0
    assert [(d["code"], d["severity"]) for d in report["diagnostics"]] == [("SK601", "warning")]


def test_branch_option_checks_that_branch_and_unknown_branches_are_usage_errors(tmp_path):
    repo = _reviewed_pr_repo(tmp_path)
    repo.branch("wild")
    repo.write("policies/wild.md", "x\n")
    repo.commit("Wild change")
    result, report = _check(repo, "--branch", "main")
    assert result.returncode == 0
    assert report["diagnostics"] == []
    result, report = _check(repo)
    assert _codes(report) == [("SK601", "policies/wild.md")]
    result, _ = _check(repo, "--branch", "no-such-branch")
    assert result.returncode == 2
    assert "no branch or revision 'no-such-branch'" in result.stderr


def test_detached_head_checks_main_or_asks_for_a_branch(tmp_path):
    repo = _reviewed_pr_repo(tmp_path)
    repo.detach()
    result, report = _check(repo)
    assert result.returncode == 0
    assert report["diagnostics"] == []
    repo.git("branch", "-m", "main", "trunk")
    result, _ = _check(repo)
    assert result.returncode == 2
    assert "HEAD is detached" in result.stderr
    assert "--branch" in result.stderr


def test_shallow_clone_warns_that_history_is_cut(tmp_path):
    repo = _reviewed_pr_repo(tmp_path)
    clone = repo.shallow_clone(tmp_path / "clone", depth=1)
    result, report = _check(clone)
    assert result.returncode == 0
    assert _codes(report) == [("SK603", "soc2kit.yml")]
    assert report["diagnostics"][0]["severity"] == "warning"


def test_outside_git_and_without_commits_is_exit_2(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "soc2kit.yml").write_text(CONFIG, encoding="utf-8")
    result = run_cli("changes", "check", "--root", str(plain))
    assert result.returncode == 2
    assert "not inside a Git repository" in result.stderr
    empty = GitRepo.create(tmp_path / "empty")
    (empty.root / "soc2kit.yml").write_text(CONFIG, encoding="utf-8")
    result = run_cli("changes", "check", "--root", str(empty.root))
    assert result.returncode == 2
    assert "no commits" in result.stderr
    assert "Traceback" not in result.stderr


def test_non_iso_since_is_a_usage_error(tmp_path):
    repo = program_repo(tmp_path / "repo")
    result = run_cli("changes", "check", "--root", str(repo.root), "--since", "01/02/2026")
    assert result.returncode == 2
    assert "is not an ISO date" in result.stderr


def test_rule_severity_overrides_in_soc2kit_yml_apply(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write("soc2kit.yml", repo.read("soc2kit.yml") + "rules:\n  change-without-pull-request: warning\n")
    repo.write("policies/direct.md", "x\n")
    repo.commit("Direct")
    result, report = _check(repo)
    assert result.returncode == 0
    assert [(d["code"], d["severity"]) for d in report["diagnostics"]] == [("SK601", "warning")]


def test_github_format_annotates_the_changed_file(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write("policies/direct.md", "x\n")
    repo.commit("Direct")
    result = run_cli("changes", "check", "--root", str(repo.root), "--format", "github")
    assert result.returncode == 1
    assert "::error file=policies/direct.md,line=1,title=SK601" in result.stdout


def _commit(signature: str = "N", trailers: tuple[tuple[str, str], ...] = ()) -> Commit:
    when = "2026-02-01T00:00:00+00:00"
    return Commit(
        sha="a" * 40,
        parents=("b" * 40,),
        author_name="Bob Brown",
        author_email="bob@example.com",
        author_iso=when,
        committer_name="Bob Brown",
        committer_email="bob@example.com",
        committer_iso=when,
        signature=signature,
        signer="",
        subject="Tighten access (#4)",
        trailers=trailers,
        changes=(Change("modified", "policies/b.md"), Change("added", "controls/AC-01.md")),
    )


def test_bad_and_revoked_signatures_are_warnings():
    assert [d.code for d in check_commit(_commit("B"), "main")] == ["SK604"]
    revoked = check_commit(_commit("R"), "main")
    assert [(d.code, d.path) for d in revoked] == [("SK604", "controls/AC-01.md")]
    assert "revoked" in revoked[0].message
    assert check_commit(_commit("G"), "main") == []


def test_same_person_compares_emails_then_names():
    assert same_person("Bob Brown <Bob@Example.com>", "Robert <bob@example.com>")
    assert not same_person("Bob Brown <bob@example.com>", "Bob Brown <bob@other.example>")
    assert same_person("bob brown", "Bob Brown <bob@example.com>")
    assert same_person("bob@example.com", "Bob Brown <bob@example.com>")
    assert not same_person("", "Bob Brown <bob@example.com>")


def test_a_direct_push_whose_text_spells_the_log_separators_is_still_flagged(tmp_path):
    from soc2kit.changes import check_changes

    repo = _reviewed_pr_repo(tmp_path)
    pushed = []
    for number, hostile in enumerate(("\x1e\x1fsoc2kit\x1f", "\x1esoc2kit", "\x1e", "\x1f", "R100")):
        repo.replace(
            "controls/TC-03.md", "owner: IT Manager" if number == 0 else f"owner: Role {number - 1}", f"owner: Role {number}"
        )
        pushed.append(
            repo.commit(
                f"Quick fix {hostile} (#9",
                body=f"{hostile}\n{hostile}",
                author=(f"Bob {hostile}", "bob@example.com"),
                trailers=[("Signed-off-by", f"Bob {hostile} <bob@example.com>")],
            )
        )
    report = check_changes(repo.root)
    flagged = [d for d in report.diagnostics if d.code == "SK601"]
    assert report.commits == 3 + len(pushed)
    assert [d.path for d in flagged] == ["controls/TC-03.md"] * len(pushed)
    assert {sha[:12] for sha in pushed} == {d.message.split()[1] for d in flagged}
