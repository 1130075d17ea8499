"""soc2kit.github against a GitHub API on 127.0.0.1 that checks every request and answer against GitHub's
own OpenAPI description (tests/github_server.py)."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soc2kit.github import (
    GitHub,
    GitHubError,
    PullRequest,
    Review,
    judge_reviews,
    parse_repository,
    repository_from_remote,
)
from tests.github_server import (
    ALL_PERMISSIONS,
    EPOCH,
    TOKEN,
    CheckRun,
    Fault,
    GitHubServer,
    Scenario,
    Status,
    protection_rules,
    pull_json,
    validation_problems,
)

YEAR = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
MERGED = EPOCH + timedelta(days=10)


def client(server: GitHubServer, **options: object) -> GitHub:
    options.setdefault("token", TOKEN)
    return GitHub(server.scenario.full_name, api_url=server.url, retry_backoff=0.05, **options)  # type: ignore[arg-type]


def reviewed(scenario: Scenario, number: int = 1, **options: object) -> None:
    options.setdefault("reviews", [("bob", "APPROVED", MERGED - timedelta(hours=1), None)])
    scenario.add_pull(number, author="alice", merged_at=MERGED + timedelta(minutes=number), **options)  # type: ignore[arg-type]


# judge_reviews ---------------------------------------------------------------------------------------------


def review(number: int, reviewer: str, state: str, hours_before_merge: float | None, commit: str = "head") -> Review:
    when = None if hours_before_merge is None else MERGED - timedelta(hours=hours_before_merge)
    return Review(id=number, reviewer=reviewer, state=state, submitted_at=when, commit=commit)


def pull(*reviews: Review, author: str = "alice", commit_authors: tuple[str, ...] = ("alice",)) -> PullRequest:
    return PullRequest(
        number=7,
        title="Change",
        author=author,
        commit_authors=commit_authors,
        commit_shas=("old", "head"),
        base="main",
        head_sha="head",
        merged_at=MERGED,
        merged_by="carol",
        merge_commit_sha="merge",
        url="https://github.com/o/r/pull/7",
        reviews=reviews,
    )


def test_an_approval_by_someone_else_before_the_merge_counts() -> None:
    counted, ignored = judge_reviews(pull(review(1, "bob", "APPROVED", 1)))
    assert [(a.reviewer, a.source, a.stale, a.commit) for a in counted] == [("bob", "github", False, "head")]
    assert ignored == []


def test_a_dismissed_review_does_not_count() -> None:
    dismissed = review(1, "bob", "DISMISSED", 1)
    counted, ignored = judge_reviews(pull(dismissed))
    assert counted == []
    assert ignored == [(dismissed, "dismissed")]


def test_an_approval_of_an_older_commit_counts_and_is_marked_stale() -> None:
    counted, _ = judge_reviews(pull(review(1, "bob", "APPROVED", 3, commit="old")))
    assert [(a.reviewer, a.stale, a.commit) for a in counted] == [("bob", True, "old")]


def test_an_approval_after_the_merge_does_not_count() -> None:
    late = review(1, "bob", "APPROVED", -2)
    counted, ignored = judge_reviews(pull(late))
    assert counted == []
    assert ignored == [(late, "after the merge")]


@pytest.mark.parametrize(
    ("reviewer", "author", "commit_authors"),
    [("alice", "alice", ("alice",)), ("dave", "alice", ("alice", "dave")), ("ALICE", "alice", ())],
    ids=["pull-request-author", "commit-author", "login-case"],
)
def test_an_approval_by_an_author_of_the_change_does_not_count(
    reviewer: str, author: str, commit_authors: tuple[str, ...]
) -> None:
    own = review(1, reviewer, "APPROVED", 1)
    counted, ignored = judge_reviews(pull(own, author=author, commit_authors=commit_authors))
    assert counted == []
    assert ignored == [(own, "by an author of the change")]


def test_changes_requested_then_approved_counts_the_approval() -> None:
    asked = review(1, "bob", "CHANGES_REQUESTED", 5)
    approved = review(2, "bob", "APPROVED", 1)
    counted, ignored = judge_reviews(pull(approved, asked))
    assert [a.reviewer for a in counted] == ["bob"]
    assert ignored == [(asked, "not an approval")]


def test_approved_then_changes_requested_withdraws_the_approval() -> None:
    approved = review(1, "bob", "APPROVED", 5)
    asked = review(2, "bob", "CHANGES_REQUESTED", 1)
    counted, ignored = judge_reviews(pull(approved, asked))
    assert counted == []
    assert ignored == [(approved, "withdrawn by a later request for changes"), (asked, "not an approval")]


def test_comments_pending_reviews_and_repeated_approvals() -> None:
    comment = review(1, "carol", "COMMENTED", 4)
    pending = review(2, "dave", "PENDING", None)
    first = review(3, "bob", "APPROVED", 3, commit="old")
    second = review(4, "bob", "APPROVED", 1)
    counted, ignored = judge_reviews(pull(comment, pending, first, second))
    assert [(a.reviewer, a.stale) for a in counted] == [("bob", False)]
    assert ignored == [
        (comment, "not an approval"),
        (pending, "not submitted"),
        (first, "replaced by a later approval from the same reviewer"),
    ]


# Reading a repository --------------------------------------------------------------------------------------


def test_pull_request_reads_reviews_and_commits_over_several_pages(github_server: GitHubServer) -> None:
    scenario = github_server.scenario
    scenario.page_size = 3
    commits = [("alice", MERGED - timedelta(hours=9 - k)) for k in range(7)] + [("dave", MERGED - timedelta(hours=1))]
    reviews = [("carol", "COMMENTED", MERGED - timedelta(hours=5, minutes=k), None) for k in range(6)]
    scenario.add_pull(
        12,
        author="alice",
        commits=commits,
        merged_at=MERGED,
        merged_by="carol",
        reviews=[*reviews, ("bob", "APPROVED", MERGED, None)],
    )
    pr = client(github_server).pull_request(12)
    assert pr is not None
    assert len(pr.commit_shas) == 8
    assert pr.commit_authors == ("alice", "dave")
    assert [r.reviewer for r in pr.reviews] == ["carol"] * 6 + ["bob"]
    assert (pr.author, pr.merged_by, pr.base, pr.merge_commit_sha) == (
        "alice",
        "carol",
        "main",
        scenario.pulls[12].merge_commit_sha,
    )
    assert pr.merged_at == MERGED
    review_pages = [r.query for r in github_server.requests if r.path.endswith("/pulls/12/reviews")]
    assert len(review_pages) == 3
    assert "page=3" in review_pages[-1]


def test_merged_pull_requests_follows_link_headers_and_keeps_to_the_period(github_server: GitHubServer) -> None:
    scenario = Scenario.generate(pull_requests=25, page_size=4, seed=3)
    github_server.scenario = scenario
    start = datetime(2026, 3, 1, tzinfo=UTC)
    end = datetime(2026, 10, 1, tzinfo=UTC)
    pulls = list(client(github_server).merged_pull_requests("main", start, end))
    expected = sorted((p.merged_at, n) for n, p in scenario.pulls.items() if p.merged_at and start <= p.merged_at < end)
    assert [(p.merged_at, p.number) for p in pulls] == expected
    assert len(expected) >= 8
    listing = [r for r in github_server.requests if r.path.endswith("/pulls")]
    assert len(listing) > 3
    assert all("per_page=100" in r.query for r in listing)


def test_a_missing_pull_request_is_none(github_server: GitHubServer) -> None:
    assert client(github_server).pull_request(404) is None


def test_pull_requests_for_commit_names_only_merged_pull_requests_with_that_merge_commit(github_server: GitHubServer) -> None:
    scenario = github_server.scenario
    reviewed(scenario, 1)
    reviewed(scenario, 2, method="squash")
    github = client(github_server)
    assert github.pull_requests_for_commit(scenario.pulls[2].merge_commit_sha or "") == [2]
    assert github.pull_requests_for_commit(scenario.pulls[1].head_sha) == []


def test_default_branch_is_the_repository_s(github_server: GitHubServer) -> None:
    github_server.scenario.default_branch = "trunk"
    assert client(github_server).default_branch() == "trunk"
    assert [r.path for r in github_server.requests] == ["/repos/octo-org/product"]


def test_default_branch_of_an_unseen_repository_is_a_clear_error(github_server: GitHubServer) -> None:
    github = GitHub("octo-org/elsewhere", token=TOKEN, api_url=github_server.url)
    with pytest.raises(GitHubError, match=r"404 Not Found .*read the repository in octo-org/elsewhere.*metadata: read"):
        github.default_branch()


def test_merged_pull_requests_with_commit_names_every_merged_pull_request_that_brought_it(
    github_server: GitHubServer,
) -> None:
    scenario = github_server.scenario
    reviewed(
        scenario, 1, commits=[("alice", MERGED - timedelta(hours=3)), ("alice", MERGED - timedelta(hours=2))], method="rebase"
    )
    reviewed(scenario, 2)
    scenario.add_pull(3, author="alice", merged_at=MERGED, base="release")
    scenario.add_pull(4, author="alice")  # open
    rebase = scenario.pulls[1]
    assert len(rebase.landed) == 2
    assert rebase.merge_commit_sha == rebase.landed[-1]
    assert not set(rebase.landed) & set(rebase.commits)
    github = client(github_server)
    first = github.merged_pull_requests_with_commit(rebase.landed[0], "main")
    assert [(p.number, p.base, p.merged_at) for p in first] == [(1, "main", rebase.merged_at)]
    # The merge commit's own pull request only: pull_requests_for_commit does not see the rebased first commit.
    assert github.pull_requests_for_commit(rebase.landed[0]) == []
    assert [p.number for p in github.merged_pull_requests_with_commit(scenario.pulls[2].commits[0], "main")] == [2]
    assert github.merged_pull_requests_with_commit(scenario.pulls[3].merge_commit_sha or "", "main") == ()
    assert github.merged_pull_requests_with_commit(scenario.pulls[4].head_sha, "main") == ()


def test_branch_commits_lists_merges_squashes_and_direct_pushes(github_server: GitHubServer) -> None:
    scenario = github_server.scenario
    reviewed(scenario, 1)
    reviewed(scenario, 2, method="squash")
    pushed = scenario.push(author="mallory", when=MERGED + timedelta(hours=2), message="Quick fix\n\nNo review")
    commits = list(client(github_server).branch_commits("main", *YEAR))
    by_sha = {c.sha: c for c in commits}
    merge = by_sha[scenario.pulls[1].merge_commit_sha or ""]
    assert (len(merge.parents), merge.committer, merge.committer_email) == (2, "web-flow", "noreply@github.com")
    squash = by_sha[scenario.pulls[2].merge_commit_sha or ""]
    assert (len(squash.parents), squash.author, squash.subject) == (1, "alice", "Change 2 (#2)")
    direct = by_sha[pushed.sha]
    assert (direct.author, direct.committer, direct.subject) == ("mallory", "mallory", "Quick fix")
    assert commits[0].sha == pushed.sha
    assert direct.date == MERGED + timedelta(hours=2)


def test_check_results_combine_check_runs_and_the_latest_status_per_context(github_server: GitHubServer) -> None:
    scenario = github_server.scenario
    scenario.check_runs["abc"] = [CheckRun("test"), CheckRun("build", status="in_progress", conclusion=None)]
    scenario.statuses["abc"] = [Status("ci/lint", "failure", MERGED), Status("ci/lint", "success", EPOCH)]
    results = client(github_server).check_results("abc")
    assert [(r.name, r.conclusion, r.source) for r in results] == [
        ("build", "in_progress", "check_run"),
        ("ci/lint", "failure", "status"),
        ("test", "success", "check_run"),
    ]


def test_branch_protection_is_the_raw_rules_or_empty(github_server: GitHubServer) -> None:
    scenario = github_server.scenario
    scenario.protection["main"] = protection_rules(scenario, ["test"])
    github = client(github_server)
    rules = github.branch_protection("main")
    assert rules["required_pull_request_reviews"]["dismiss_stale_reviews"] is True
    assert rules["enforce_admins"]["enabled"] is True
    assert github.branch_protection("release/1.0") == {}
    assert any(r.path.endswith("/branches/release%2F1.0/protection") for r in github_server.requests)


@pytest.mark.parametrize("github_server", [Scenario(prefix="/api/v3")], indirect=True)
def test_a_github_enterprise_server_base_url_keeps_its_path(github_server: GitHubServer) -> None:
    github_server.scenario.page_size = 2
    for number in range(1, 6):
        reviewed(github_server.scenario, number)
    assert github_server.url.endswith("/api/v3")
    assert len(list(client(github_server).merged_pull_requests("main", *YEAR))) == 5
    assert github_server.requests
    assert all(r.path.startswith("/api/v3/repos/octo-org/product/") for r in github_server.requests)


# Limits, faults and diagnostics ----------------------------------------------------------------------------


def test_a_secondary_rate_limit_is_waited_out_and_retried(github_server: GitHubServer) -> None:
    reviewed(github_server.scenario)
    github_server.scenario.faults = [Fault("secondary", on_request=1, seconds=1)]
    assert client(github_server).pull_request(1) is not None
    assert [r.status for r in github_server.requests[:2]] == [403, 200]
    assert github_server.over_budget == 0


def test_a_spent_primary_rate_limit_waits_for_the_reset(github_server: GitHubServer) -> None:
    reviewed(github_server.scenario)
    github_server.scenario.faults = [Fault("primary", on_request=2, seconds=1)]
    pr = client(github_server).pull_request(1)
    assert pr is not None
    assert pr.reviews
    assert [r.status for r in github_server.requests] == [200, 403, 200, 200]
    assert github_server.over_budget == 0  # no request came before the announced reset


def test_the_client_never_exceeds_the_announced_budget(github_server: GitHubServer) -> None:
    scenario = Scenario.generate(pull_requests=5, page_size=2, seed=5, rate_limit=6, rate_window=1)
    github_server.scenario = scenario
    github = client(github_server)
    pulls = list(github.merged_pull_requests("main", *YEAR))
    assert len(pulls) == 5
    assert len(github_server.requests) > 2 * scenario.rate_limit
    assert github_server.over_budget == 0
    assert all(r.status == 200 for r in github_server.requests)
    assert github.rate_limit_waited > 0


def test_a_rate_limit_spent_for_longer_than_the_client_waits_is_a_clear_error(github_server: GitHubServer) -> None:
    reviewed(github_server.scenario)
    github_server.scenario.faults = [Fault("primary", on_request=1, seconds=3600)]
    with pytest.raises(GitHubError, match=r"rate limit for this token is spent until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"):
        client(github_server, max_wait=5).pull_request(1)
    assert len(github_server.requests) == 1


def test_a_502_is_retried(github_server: GitHubServer) -> None:
    reviewed(github_server.scenario)
    github_server.scenario.faults = [Fault("server", on_request=1, times=2)]
    assert client(github_server).pull_request(1) is not None
    assert [r.status for r in github_server.requests[:3]] == [502, 502, 200]


def test_a_lasting_502_gives_up_with_a_clear_error(github_server: GitHubServer) -> None:
    github_server.scenario.faults = [Fault("server", times=100)]
    with pytest.raises(GitHubError, match=r"GitHub failed 5 times when asked to read pull request #1 .*\(502"):
        client(github_server).pull_request(1)
    assert len(github_server.requests) == 5


def test_a_slow_answer_is_retried_then_reported_as_a_timeout(github_server: GitHubServer) -> None:
    reviewed(github_server.scenario)
    github_server.scenario.faults = [Fault("slow", on_request=1, seconds=1.0)]
    assert client(github_server, timeout=0.3).pull_request(1) is not None
    github_server.scenario.faults = [Fault("slow", on_request=1, times=100, seconds=1.0)]
    github_server.requests.clear()
    with pytest.raises(GitHubError, match=r"did not answer within 0.3 s \(3 tries\)"):
        client(github_server, timeout=0.3).pull_request(1)


def test_a_bad_token_says_so_without_showing_it(github_server: GitHubServer) -> None:
    wrong = "ghp_" + "W" * 36
    with pytest.raises(GitHubError) as caught:
        client(github_server, token=wrong).pull_request(1)
    message = str(caught.value)
    assert "GitHub rejected GITHUB_TOKEN (401 Bad credentials)" in message
    assert "wrong, expired or revoked" in message
    assert wrong not in message
    assert wrong not in "".join(traceback.format_exception(caught.value))


def test_an_injected_401_is_a_bad_token(github_server: GitHubServer) -> None:
    github_server.scenario.faults = [Fault("unauthorized")]
    with pytest.raises(GitHubError, match="401 Bad credentials"):
        client(github_server).pull_requests_for_commit("abc")


@pytest.mark.parametrize(
    ("missing", "call", "needed"),
    [
        ("pull_requests", lambda g: g.pull_request(1), "pull-requests: read"),
        ("contents", lambda g: list(g.branch_commits("main", *YEAR)), "contents: read"),
        ("checks", lambda g: g.check_results("abc"), "checks: read"),
        ("statuses", lambda g: g.check_results("abc"), "statuses: read"),
        ("administration", lambda g: g.branch_protection("main"), "administration: read"),
    ],
)
def test_an_under_scoped_token_names_the_missing_permission(github_server: GitHubServer, missing: str, call, needed: str) -> None:
    github_server.scenario.permissions = ALL_PERMISSIONS - {missing}
    reviewed(github_server.scenario)
    with pytest.raises(GitHubError) as caught:
        call(client(github_server))
    message = str(caught.value)
    assert "403 Resource not accessible by integration" in message
    assert f"the token lacks {needed}" in message


def test_an_unknown_repository_is_not_a_missing_pull_request(github_server: GitHubServer) -> None:
    github = GitHub("octo-org/elsewhere", token=TOKEN, api_url=github_server.url)
    with pytest.raises(GitHubError, match=r"404 Not Found.*does not exist or the token cannot see it.*--repo"):
        github.pull_request(1)


def test_nothing_listening_is_a_clear_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has nobody listening now
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(GitHubError, match=r"cannot reach GitHub at http://127\.0\.0\.1"):
        GitHub("octo-org/product", token=TOKEN, api_url=url, timeout=2).pull_request(1)


def test_the_token_never_leaks(
    github_server: GitHubServer,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    scenario = github_server.scenario
    reviewed(scenario)
    scenario.faults = [Fault("secondary", on_request=1), Fault("server", on_request=3), Fault("slow", on_request=5, seconds=0.6)]
    github = client(github_server, timeout=0.3)
    seen = [repr(github.pull_request(1)), repr(list(github.branch_commits("main", *YEAR)))]
    errors: list[BaseException] = []
    for attempt in (
        lambda: client(github_server, token="ghp_other").pull_request(1),
        lambda: GitHub("octo-org/elsewhere", token=TOKEN, api_url=github_server.url).pull_request(1),
        lambda: GitHub("octo-org/product", token=TOKEN, api_url="http://example.com"),
    ):
        with pytest.raises(GitHubError) as caught:
            attempt()
        errors.append(caught.value)
    scenario.permissions = frozenset()
    with pytest.raises(GitHubError) as caught:
        github.branch_protection("main")
    errors.append(caught.value)
    captured = capfd.readouterr()
    produced = [
        *seen,
        captured.out,
        captured.err,
        caplog.text,
        *(record.getMessage() for record in caplog.records),
        *(str(e) + repr(e) + "".join(traceback.format_exception(e)) for e in errors),
        *(p.read_bytes().decode("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()),
    ]
    assert caplog.records, "the retries should have logged something to search"
    assert all(TOKEN not in text for text in produced)
    assert list(tmp_path.rglob("*")) == []


# Configuration ---------------------------------------------------------------------------------------------


def test_from_environment_needs_a_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    assert GitHub.from_environment(tmp_path, repository="o/r") is None
    monkeypatch.setenv("GITHUB_TOKEN", "  ")
    assert GitHub.from_environment(tmp_path, repository="o/r") is None


def test_from_environment_reads_the_repository_and_api_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo-org/from-env")
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example.com/api/v3/")
    github = GitHub.from_environment(tmp_path)
    assert github is not None
    assert (github.repository, github.api_url) == ("octo-org/from-env", "https://ghe.example.com/api/v3")
    chosen = GitHub.from_environment(tmp_path, repository="octo-org/option", api_url="https://api.github.com")
    assert chosen is not None
    assert (chosen.repository, chosen.api_url) == ("octo-org/option", "https://api.github.com")


def test_from_environment_falls_back_to_the_origin_remote_without_showing_its_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    secret_url = f"https://x-access-token:{TOKEN}@github.com/octo-org/remote-repo.git"
    subprocess.run(["git", "remote", "add", "origin", secret_url], cwd=tmp_path, check=True)
    github = GitHub.from_environment(tmp_path)
    assert github is not None
    assert github.repository == "octo-org/remote-repo"
    subprocess.run(["git", "remote", "set-url", "origin", f"https://{TOKEN}@example.com/"], cwd=tmp_path, check=True)
    with pytest.raises(GitHubError, match="pass --repo OWNER/NAME") as caught:
        GitHub.from_environment(tmp_path)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git@github.com:octo-org/product.git", "octo-org/product"),
        ("ssh://git@github.example.com:2222/octo-org/product", "octo-org/product"),
        ("https://github.com/octo-org/product/", "octo-org/product"),
        ("https://github.com/", None),
        ("/srv/git/product.git", None),
        ("https://[broken/", None),
    ],
)
def test_repository_from_remote(url: str, expected: str | None) -> None:
    assert repository_from_remote(url) == expected


@pytest.mark.parametrize("text", ["product", "a/b/c", "o/..", "-o/r", "o/r x", "o/\n"])
def test_a_malformed_repository_is_refused(text: str) -> None:
    with pytest.raises(GitHubError, match="is not OWNER/NAME"):
        parse_repository(text)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com", "must use https"),
        ("https://user:secret@ghe.example.com/api/v3", "must not contain a user name or password"),
        ("ftp://example.com", "must look like"),
        ("https://example.com/api?x=1", "must look like"),
        ("https://example.com:99999", "must look like"),
    ],
)
def test_a_bad_api_url_is_refused(url: str, reason: str) -> None:
    with pytest.raises(GitHubError, match=reason) as caught:
        GitHub("o/r", token=TOKEN, api_url=url)
    assert "secret" not in str(caught.value)


def test_a_token_with_a_line_break_is_refused_without_showing_it() -> None:
    with pytest.raises(GitHubError, match="characters no GitHub token has") as caught:
        GitHub("o/r", token=TOKEN + "\nX-Injected: 1", api_url="https://api.github.com")
    assert TOKEN not in str(caught.value)


def test_importing_the_module_does_not_import_githubkit() -> None:
    code = "import sys, soc2kit.github; print('githubkit' in sys.modules, 'httpx' in sys.modules)"
    result = subprocess.run([os.sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


# The description itself ------------------------------------------------------------------------------------


def test_an_invented_answer_shape_fails_the_description(github_server: GitHubServer) -> None:
    scenario = github_server.scenario
    reviewed(scenario)

    def drop_merge_commit(path: str, body: object) -> object:
        if isinstance(body, dict) and path.endswith("/pulls/1"):
            return {key: value for key, value in body.items() if key != "merge_commit_sha"}
        return body

    scenario.tamper = drop_merge_commit
    with pytest.raises(GitHubError, match=r"does not match GitHub's API description"):  # githubkit's models agree
        client(github_server).pull_request(1)
    assert any("'merge_commit_sha'" in p or '"merge_commit_sha" is a required property' in p for p in github_server.problems)
    github_server.problems.clear()


def test_the_description_checks_requests_and_answers() -> None:
    scenario = Scenario()
    scenario.add_pull(1, author="alice", merged_at=MERGED)
    good = pull_json(scenario, scenario.pulls[1], full=True)
    assert validation_problems("GET", "/repos/o/r/pulls/1", "", 200, good) == []
    invented = {**good, "merged": "yes"}
    del invented["merge_commit_sha"]
    problems = validation_problems("GET", "/repos/o/r/pulls/1", "", 200, invented)
    assert any("merge_commit_sha" in p for p in problems)
    assert any("merged" in p and "boolean" in p for p in problems)
    assert validation_problems("GET", "/repos/o/r/pulls", "per_page=abc&state=merged&colour=red") == [
        'GET /repos/{owner}/{repo}/pulls: query per_page=\'abc\': (top): "abc" is not of type "integer"',
        'GET /repos/{owner}/{repo}/pulls: query state=\'merged\': (top): "merged" is not one of "open", "closed" or "all"',
        "GET /repos/{owner}/{repo}/pulls: query parameter 'colour' is not in the description",
    ]
    assert validation_problems("GET", "/repos/o/r/pull-requests", "") == [
        "GET /repos/o/r/pull-requests: no such operation in GitHub's API description"
    ]
