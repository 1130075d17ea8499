"""The AWS collector against moto's server on 127.0.0.1, through boto3 with a real endpoint URL.

One moto server serves the module (reset before each test). Throttling, server errors and expired
credentials, which moto does not produce, come from a small proxy in front of it that answers the
first requests itself, as AWS would, and forwards the rest.
"""

from __future__ import annotations

import http.client
import http.server
import json
import re
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Self

import boto3
import pytest
from moto.server import ThreadedMotoServer

from soc2kit.collectors.aws import DATASETS, AwsCollector, iam_policy
from soc2kit.collectors.base import CollectContext, CollectorError, Finding

ROOT = Path(__file__).resolve().parent.parent
REGIONS = "us-east-1,eu-west-1"
FULL_BLOCK = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)
ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}


def _post(url: str, path: str, body: str = "") -> None:
    connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=10)
    connection.request("POST", path, body=body.encode())
    response = connection.getresponse()
    response.read()
    assert response.status == 200, path
    connection.close()


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A fresh moto account, and a process environment where boto3 finds nothing of this machine's
    (no profile, no config file, no instance metadata): only 127.0.0.1 is ever asked."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_SESSION_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    _post(moto_url, "/moto-api/reset")
    yield moto_url
    _post(moto_url, "/moto-api/reset-auth", "inf")


def _environ(url: str, **extra: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": url,
        "SOC2KIT_AWS_REGIONS": REGIONS,
        **extra,
    }


def _context(url: str, **extra: str) -> CollectContext:
    return CollectContext(environ=_environ(url, **extra), today=date.today(), timeout=10.0)


def _client(url: str, service: str, region: str = "us-east-1") -> Any:
    return boto3.client(
        service, region_name=region, endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def build_scenario(url: str) -> None:
    """The account of the issue: 3 users (carol has console access and no MFA), one public bucket,
    CloudTrail logging in us-east-1 and not in eu-west-1; everything else as the checks want it."""
    iam = _client(url, "iam")
    for user in ("alice", "bob", "carol"):
        iam.create_user(UserName=user)
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-Battery-1")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
    iam.enable_mfa_device(
        UserName="alice", SerialNumber=device["SerialNumber"], AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    iam.create_access_key(UserName="bob")
    iam.create_login_profile(UserName="carol", Password="Correct-Horse-Battery-2")
    iam.update_account_password_policy(MinimumPasswordLength=16, RequireSymbols=True)

    s3 = _client(url, "s3")
    s3.create_bucket(Bucket="acme-public-site")
    s3.put_bucket_encryption(Bucket="acme-public-site", ServerSideEncryptionConfiguration=ENCRYPTION)
    s3.create_bucket(Bucket="acme-logs")
    s3.put_public_access_block(Bucket="acme-logs", PublicAccessBlockConfiguration=FULL_BLOCK)
    s3.put_bucket_encryption(Bucket="acme-logs", ServerSideEncryptionConfiguration=ENCRYPTION)
    s3.create_bucket(Bucket="acme-eu-data", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_public_access_block(Bucket="acme-eu-data", PublicAccessBlockConfiguration=FULL_BLOCK)
    s3.put_bucket_encryption(Bucket="acme-eu-data", ServerSideEncryptionConfiguration=ENCRYPTION)

    cloudtrail = _client(url, "cloudtrail")
    cloudtrail.create_trail(Name="us-trail", S3BucketName="acme-logs", EnableLogFileValidation=True)
    cloudtrail.start_logging(Name="us-trail")

    for region in ("us-east-1", "eu-west-1"):
        _client(url, "guardduty", region).create_detector(Enable=True)
    kms = _client(url, "kms")
    key = kms.create_key(Description="data")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key)
    _client(url, "rds").create_db_instance(
        DBInstanceIdentifier="orders",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="Correct-Horse-Battery-3",
        AllocatedStorage=20,
        StorageEncrypted=True,
        BackupRetentionPeriod=7,
    )


def _collect_all(url: str, collector: AwsCollector | None = None, **extra: str) -> dict[str, Any]:
    collector = collector or AwsCollector()
    return {snapshot.dataset: snapshot for snapshot in collector.collect(list(DATASETS), _context(url, **extra))}


def _findings(url: str, snapshots: dict[str, Any]) -> list[Finding]:
    collector = AwsCollector()
    context = _context(url)
    findings: list[Finding] = []
    for dataset, snapshot in snapshots.items():
        # check() reads the data as soc2kit recorded it: through JSON.
        findings.extend(collector.check(dataset, json.loads(json.dumps(snapshot.data)), context))
    return findings


def test_scenario_account_findings_name_exactly_the_offending_items(aws: str) -> None:
    build_scenario(aws)
    snapshots = _collect_all(aws)
    assert set(snapshots) == set(DATASETS)
    assert {snapshot.system for snapshot in snapshots.values()} == {"AWS account 123456789012"}
    findings = _findings(aws, snapshots)
    assert sorted((finding.check, finding.items) for finding in findings) == [
        ("aws.cloudtrail-region-not-logging", ("eu-west-1",)),
        ("aws.iam-console-user-without-mfa", ("carol",)),
        ("aws.s3-bucket-without-public-access-block", ("acme-public-site",)),
    ]
    report = {user["user"]: user for user in snapshots["iam-credential-report"].data["users"]}
    assert sorted(report) == ["alice", "bob", "carol"]
    assert report["alice"]["mfa_active"] is True
    assert report["bob"]["access_key_1_active"] is True
    buckets = {bucket["Name"]: bucket["Region"] for bucket in snapshots["s3-buckets"].data["Buckets"]}
    assert buckets == {"acme-eu-data": "eu-west-1", "acme-logs": "us-east-1", "acme-public-site": "us-east-1"}
    assert snapshots["iam-credential-report"].query == "iam:GenerateCredentialReport; iam:GetCredentialReport"


def test_unchanged_account_gives_byte_identical_snapshots_and_a_change_shows(aws: str) -> None:
    build_scenario(aws)

    def files() -> dict[str, str]:
        return {
            dataset: json.dumps(snapshot.data, indent=2, sort_keys=True, ensure_ascii=False)
            for dataset, snapshot in _collect_all(aws).items()
        }

    first = files()
    assert files() == first
    _client(aws, "cloudtrail", "eu-west-1").create_trail(Name="eu-trail", S3BucketName="acme-eu-data")
    _client(aws, "cloudtrail", "eu-west-1").start_logging(Name="eu-trail")
    changed = files()
    assert [dataset for dataset in DATASETS if changed[dataset] != first[dataset]] == ["cloudtrail"]
    assert "RequestId" not in "".join(changed.values())


def test_every_check_fires_on_a_misconfigured_account(aws: str) -> None:
    _client(aws, "iam").update_account_password_policy(MinimumPasswordLength=8)
    _client(aws, "kms", "eu-west-1").create_key(Description="no rotation")
    _client(aws, "rds").create_db_instance(
        DBInstanceIdentifier="legacy",
        DBInstanceClass="db.t3.micro",
        Engine="mysql",
        MasterUsername="admin",
        MasterUserPassword="Correct-Horse-Battery-4",
        AllocatedStorage=20,
        StorageEncrypted=False,
        BackupRetentionPeriod=1,
    )
    ec2 = _client(aws, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ssh = ec2.create_security_group(GroupName="bastion", Description="ssh", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=ssh,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        ],
    )
    web = ec2.create_security_group(GroupName="web", Description="https only", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=web, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    anything = ec2.create_security_group(GroupName="anything", Description="all", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=anything, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    s3 = _client(aws, "s3")
    s3.create_bucket(Bucket="plain")
    s3.put_public_access_block(Bucket="plain", PublicAccessBlockConfiguration=FULL_BLOCK)
    cloudtrail = _client(aws, "cloudtrail")
    cloudtrail.create_trail(Name="unvalidated", S3BucketName="plain", IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name="unvalidated")

    findings = _findings(aws, _collect_all(aws))
    by_check: dict[str, list[tuple[str, ...]]] = {}
    for finding in findings:
        by_check.setdefault(finding.check, []).append(finding.items)
    kms_key = by_check.pop("aws.kms-key-rotation-off")
    assert len(kms_key) == 1
    assert ":eu-west-1:" in kms_key[0][0]
    assert by_check.pop("aws.rds-not-encrypted") == by_check.pop("aws.rds-backup-retention-short")
    groups = by_check.pop("aws.security-group-open-to-world")
    assert sorted(groups) == sorted([(f"us-east-1/{ssh}",), (f"us-east-1/{anything}",)])
    assert by_check == {
        "aws.cloudtrail-log-validation-off": [("arn:aws:cloudtrail:us-east-1:123456789012:trail/unvalidated",)],
        "aws.guardduty-off": [("eu-west-1",), ("us-east-1",)],
        "aws.password-policy-weak": [("MinimumPasswordLength",)],
        "aws.s3-bucket-not-encrypted": [("plain",)],
    }
    messages = "\n".join(finding.message for finding in findings)
    assert "port 22 (SSH)" in messages
    assert "all ports" in messages
    assert "port 443" not in messages


def test_pagination_follows_every_page(aws: str) -> None:
    rds = _client(aws, "rds", "eu-west-1")
    for number in range(45):
        rds.create_db_instance(
            DBInstanceIdentifier=f"db-{number:02d}",
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            AllocatedStorage=20,
            StorageEncrypted=True,
            BackupRetentionPeriod=7,
        )
    # 20 is the smallest page DescribeDBInstances takes: 45 instances are three pages.
    snapshot = next(AwsCollector(page_size=20).collect(["rds-instances"], _context(aws)))
    identifiers = [instance["DBInstanceIdentifier"] for instance in snapshot.data["DBInstances"]]
    assert identifiers == [f"db-{number:02d}" for number in range(45)]


def test_check_reads_root_use_old_keys_and_missing_policy_from_recorded_data() -> None:
    today = date(2026, 6, 30)
    report = {
        "users": [
            {
                "user": "<root_account>",
                "password_enabled": None,
                "mfa_active": False,
                "password_last_used": "2026-06-01",
                "access_key_1_active": True,
                "access_key_1_last_rotated": "2019-01-01T00:00:00Z",
                "access_key_2_active": False,
            },
            {
                "user": "deploy",
                "password_enabled": False,
                "mfa_active": False,
                "access_key_1_active": True,
                "access_key_1_last_rotated": "2026-03-31T10:00:00Z",
                "access_key_2_active": True,
                "access_key_2_last_rotated": "2026-04-01T10:00:00Z",
            },
        ]
    }
    context = CollectContext(environ={}, today=today)
    findings = list(AwsCollector().check("iam-credential-report", report, context))
    assert [(finding.check, finding.items) for finding in findings] == [
        ("aws.root-without-mfa", ("<root_account>",)),
        ("aws.root-access-key", ("<root_account>",)),
        ("aws.root-used", ("<root_account>",)),
        # 91 days old on 2026-06-30; the key of 2026-04-01 is exactly 90 days old and passes.
        ("aws.iam-access-key-older-than-90-days", ("deploy",)),
    ]
    missing = list(AwsCollector().check("password-policy", {"PasswordPolicy": None}, context))
    assert [finding.check for finding in missing] == ["aws.password-policy-missing"]


@pytest.mark.parametrize("data", [{"users": "not a list"}, [], None, {"wrong": 1}])
def test_check_of_data_it_does_not_recognise_is_a_finding_not_a_crash(data: Any) -> None:
    findings = list(AwsCollector().check("iam-credential-report", data, CollectContext(environ={}, today=date(2026, 1, 1))))
    assert [finding.check for finding in findings] == ["aws.snapshot-unrecognised"]
    unknown = list(AwsCollector().check("lambda-functions", {}, CollectContext(environ={}, today=date(2026, 1, 1))))
    assert [finding.check for finding in unknown] == ["aws.dataset-unknown"]


def _restricted_user(url: str, allowed: list[str]) -> dict[str, str]:
    iam = _client(url, "iam")
    iam.create_user(UserName="auditor")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": allowed, "Resource": "*"}]}
    iam.put_user_policy(UserName="auditor", PolicyName="read", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def test_access_denied_names_the_missing_iam_action(aws: str) -> None:
    keys = _restricted_user(aws, ["sts:GetCallerIdentity", "iam:GenerateCredentialReport", "iam:GetCredentialReport"])
    _client(aws, "s3").create_bucket(Bucket="some-bucket")
    _post(aws, "/moto-api/reset-auth", "0")
    context = _context(aws, **keys)
    report = next(AwsCollector().collect(["iam-credential-report"], context))
    assert "auditor" in {user["user"] for user in report.data["users"]}
    with pytest.raises(CollectorError) as denied:
        list(AwsCollector().collect(["password-policy"], context))
    assert denied.value.permission == "iam:GetAccountPasswordPolicy"
    assert "iam:GetAccountPasswordPolicy" in str(denied.value)
    assert keys["AWS_SECRET_ACCESS_KEY"] not in str(denied.value)
    assert keys["AWS_ACCESS_KEY_ID"] not in str(denied.value)
    with pytest.raises(CollectorError) as listing:
        list(AwsCollector().collect(["s3-buckets"], context))
    # The IAM action, not the API operation's name (ListBuckets).
    assert listing.value.permission in {"s3:ListAllMyBuckets", "s3:GetAccountPublicAccessBlock"}


def test_policy_in_the_docs_is_enough_for_every_dataset(aws: str) -> None:
    build_scenario(aws)
    documented = re.search(r"```json\n(.*?)```", (ROOT / "docs" / "collectors-aws.md").read_text(encoding="utf-8"), re.DOTALL)
    assert documented is not None
    policy = json.loads(documented.group(1))
    assert policy == iam_policy()
    actions = policy["Statement"][0]["Action"]
    # Read-only: Describe, Get and List, and the report IAM builds for GetCredentialReport.
    writes = [action for action in actions if not re.fullmatch(r"[a-z0-9-]+:(Describe|Get|List)\w+", action)]
    assert writes == ["iam:GenerateCredentialReport"]
    # moto 5.2 authorises three S3 calls under other names than IAM does: the bucket's encryption and
    # public access block (IAM: s3:GetEncryptionConfiguration, s3:GetBucketPublicAccessBlock) as
    # s3:ListBucket, the account's block (IAM: s3:GetAccountPublicAccessBlock) as s3:GetPublicAccessBlock.
    # Every other action is checked by moto under the documented name.
    moto_names = ["s3:ListBucket", "s3:GetPublicAccessBlock"]
    keys = _restricted_user(aws, [*actions, *moto_names, "sts:GetCallerIdentity"])
    _post(aws, "/moto-api/reset-auth", "0")
    # moto 5.2 cannot check the signature of GuardDuty's GET requests (it answers SignatureDoesNotMatch
    # whatever the policy), so GuardDuty's two actions are left to the name check above.
    datasets = [dataset for dataset in DATASETS if dataset != "guardduty"]
    snapshots = list(AwsCollector().collect(datasets, _context(aws, **keys)))
    assert [snapshot.dataset for snapshot in snapshots] == datasets


def test_unknown_access_key_is_rejected_clearly(aws: str) -> None:
    _post(aws, "/moto-api/reset-auth", "0")
    with pytest.raises(CollectorError) as rejected:
        list(AwsCollector().collect(["password-policy"], _context(aws, AWS_ACCESS_KEY_ID="AKIAUNKNOWNKEY000000")))
    assert "rejected the credentials" in str(rejected.value)
    assert "AKIAUNKNOWNKEY000000" not in str(rejected.value)


class _Proxy:
    """Answers the first `count` requests with `status` and an AWS query-protocol error `code`, then
    forwards every request to moto unchanged."""

    def __init__(self, upstream: str, status: int, code: str, count: int) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.status, self.code, self.remaining = status, code, count
        self.answered = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy.remaining > 0:
                    proxy.remaining -= 1
                    proxy.answered += 1
                    error = (
                        "<ErrorResponse><Error><Type>Sender</Type>"
                        f"<Code>{proxy.code}</Code><Message>said by the test proxy</Message></Error>"
                        "<RequestId>proxy</RequestId></ErrorResponse>"
                    ).encode()
                    self.send_response(proxy.status)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(error)))
                    self.end_headers()
                    self.wfile.write(error)
                    return
                upstream = http.client.HTTPConnection(proxy.upstream, timeout=10)
                upstream.request("POST", self.path, body=body, headers=dict(self.headers.items()))
                answer = upstream.getresponse()
                payload = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in {"content-length", "transfer-encoding", "connection", "server", "date"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                upstream.close()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _password_policy_through(proxy: _Proxy, **extra: str) -> Any:
    return next(AwsCollector().collect(["password-policy"], _context(proxy.url, **extra)))


def test_throttling_is_retried_by_the_standard_retry_mode(aws: str) -> None:
    _client(aws, "iam").update_account_password_policy(MinimumPasswordLength=20)
    with _Proxy(aws, 400, "Throttling", count=2) as proxy:
        snapshot = _password_policy_through(proxy)
    assert proxy.answered == 2
    assert snapshot.data["PasswordPolicy"]["MinimumPasswordLength"] == 20


def test_throttling_that_does_not_end_is_a_clear_error(aws: str) -> None:
    with _Proxy(aws, 400, "Throttling", count=100) as proxy, pytest.raises(CollectorError) as throttled:
        _password_policy_through(proxy, AWS_MAX_ATTEMPTS="2")
    assert proxy.answered == 2
    assert "throttling" in str(throttled.value)
    assert "after 2 attempts" in str(throttled.value)


def test_server_errors_are_retried_then_reported(aws: str) -> None:
    with _Proxy(aws, 500, "InternalFailure", count=1) as proxy:
        assert _password_policy_through(proxy).data == {"PasswordPolicy": None}
    with _Proxy(aws, 503, "ServiceUnavailable", count=100) as proxy, pytest.raises(CollectorError) as failed:
        _password_policy_through(proxy, AWS_MAX_ATTEMPTS="2")
    assert "HTTP 503" in str(failed.value)


def test_expired_credentials_are_a_clear_error(aws: str) -> None:
    with _Proxy(aws, 403, "ExpiredToken", count=100) as proxy, pytest.raises(CollectorError) as expired:
        _password_policy_through(proxy, AWS_SESSION_TOKEN="session-token-value")
    assert "expired" in str(expired.value)
    assert "session-token-value" not in str(expired.value)
    assert proxy.answered == 1


def test_no_credentials_anywhere_is_a_clear_error(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    environ = {"AWS_ENDPOINT_URL": aws, "SOC2KIT_AWS_REGIONS": "us-east-1"}
    with pytest.raises(CollectorError) as missing:
        list(AwsCollector().collect(["password-policy"], CollectContext(environ=environ, today=date.today())))
    assert "no AWS credentials found" in str(missing.value)


@pytest.mark.parametrize(
    ("regions", "message"),
    [("us-east-1,not a region", "'not' in SOC2KIT_AWS_REGIONS is not an AWS region"), ("", "no region to read")],
)
def test_regions_come_from_the_environment(aws: str, regions: str, message: str) -> None:
    environ = {"AWS_ENDPOINT_URL": aws, "SOC2KIT_AWS_REGIONS": regions}
    with pytest.raises(CollectorError, match=message):
        list(AwsCollector().collect(["guardduty"], CollectContext(environ=environ, today=date.today())))


def test_regions_all_reads_every_enabled_region_and_aws_region_one(aws: str) -> None:
    every = next(AwsCollector().collect(["guardduty"], _context(aws, SOC2KIT_AWS_REGIONS="all")))
    listed = [region["RegionName"] for region in _client(aws, "ec2").describe_regions()["Regions"]]
    assert [region["Region"] for region in every.data["Regions"]] == sorted(listed)
    one = next(AwsCollector().collect(["guardduty"], _context(aws, SOC2KIT_AWS_REGIONS="", AWS_REGION="eu-west-1")))
    assert [region["Region"] for region in one.data["Regions"]] == ["eu-west-1"]


def test_unknown_dataset_is_refused() -> None:
    with pytest.raises(CollectorError, match="unknown dataset 'lambda'"):
        list(AwsCollector().collect(["lambda"], CollectContext(environ={}, today=date.today())))


def aws_requirements(datasets: list[str]) -> str:
    """Evidence requirements, one per dataset, each fed by the AWS collector."""
    return "".join(
        f"  - id: aws-{dataset}\n    description: AWS {dataset} snapshot\n    collector: aws/{dataset}\n" for dataset in datasets
    )


def write_program(root: Path, datasets: list[str]) -> Path:
    """A program (tests/conftest.py's make_program) whose control TC-01 names the AWS datasets."""
    from conftest import make_program

    program = make_program(root)
    program.replace(
        "controls/TC-01.md", "    description: Signed review\n", "    description: Signed review\n" + aws_requirements(datasets)
    )
    return program.root


FINDING = re.compile(r"\[(aws\.[a-z0-9-]+)\]; \d+ items?: (.+)$")


def test_soc2kit_collect_aws_writes_verifiable_records_check_names_the_items_and_a_rerun_writes_nothing(
    aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import run_cli

    build_scenario(aws)
    monkeypatch.setenv("SOC2KIT_AWS_REGIONS", REGIONS)
    root = str(write_program(tmp_path / "program", list(DATASETS)))
    first = run_cli("collect", "aws", "--root", root, "--format", "json")
    second = run_cli("collect", "aws", "--root", root, "--format", "json")
    assert first.returncode == 1, first.stderr  # the checks found the scenario's three problems
    written = json.loads(first.stdout)["records"]
    assert sorted((record["dataset"], record["written"]) for record in written) == [
        (dataset, True) for dataset in sorted(DATASETS)
    ]
    assert [record["written"] for record in json.loads(second.stdout)["records"]] == [False] * len(DATASETS)
    files = sorted((tmp_path / "program" / "evidence").rglob("*.json"))
    assert sorted(path.name for path in files) == sorted(f"{dataset}.json" for dataset in DATASETS)
    assert all("testing" not in path.read_text(encoding="utf-8") for path in files)  # the access key and secret
    records = [path.read_text(encoding="utf-8") for path in (tmp_path / "program" / "evidence").rglob("*.yaml")]
    assert any("AWS account 123456789012" in text and "iam:GetCredentialReport" in text for text in records)

    verify = run_cli("evidence", "verify", "--root", root, "--no-history", "--format", "json")
    # verify accepts the records (every digest matches); the checks' findings are check's to report, not verify's.
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["diagnostics"] == [], verify.stdout
    check = run_cli("check", root, "--no-cache", "--format", "json")
    found = sorted(
        match.groups()
        for diagnostic in json.loads(check.stdout)["diagnostics"]
        if diagnostic["code"] == "SK421" and (match := FINDING.search(diagnostic["message"]))
    )
    assert found == [
        ("aws.cloudtrail-region-not-logging", "eu-west-1"),
        ("aws.iam-console-user-without-mfa", "carol"),
        ("aws.s3-bucket-without-public-access-block", "acme-public-site"),
    ], check.stdout


def test_soc2kit_collect_aws_without_a_permission_is_a_finding_naming_it_and_writes_nothing(
    aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import run_cli

    keys = _restricted_user(aws, ["sts:GetCallerIdentity"])
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SOC2KIT_AWS_REGIONS", "us-east-1")
    program = write_program(tmp_path / "program", ["password-policy"])
    before = sorted(program.rglob("*"))
    _post(aws, "/moto-api/reset-auth", "0")
    failed = run_cli("collect", "aws", "--root", str(program), "--format", "json")
    assert failed.returncode == 1, failed.stderr
    messages = [d["message"] for d in json.loads(failed.stdout)["diagnostics"]]
    assert any("AWS account 123456789012" in m and "iam:GetAccountPasswordPolicy" in m for m in messages), messages
    assert keys["AWS_SECRET_ACCESS_KEY"] not in failed.stdout + failed.stderr
    assert sorted(program.rglob("*")) == before


def test_credential_report_rows_are_normalised_as_recorded() -> None:
    from soc2kit.collectors.aws import _report_row

    # The root row as AWS writes it: no console flag of its own, times with offsets, a key used today.
    row = {
        "user": "<root_account>",
        "arn": "arn:aws:iam::123456789012:root",
        "user_creation_time": "2019-04-01T08:30:00+02:00",
        "password_enabled": "not_supported",
        "password_last_used": "2026-11-30T23:59:59+00:00",
        "password_last_changed": "not_supported",
        "mfa_active": "true",
        "access_key_1_active": "false",
        "access_key_1_last_rotated": "N/A",
        "access_key_1_last_used_date": "no_information",
        "access_key_1_last_used_region": "us-east-1",
        "access_key_1_last_used_service": "s3",
        "cert_1_last_rotated": "sometime soon",
    }
    assert _report_row(row) == {
        "user": "<root_account>",
        "arn": "arn:aws:iam::123456789012:root",
        "user_creation_time": "2019-04-01T06:30:00Z",
        "password_enabled": None,
        "password_last_used": "2026-11-30",
        "password_last_changed": None,
        "mfa_active": True,
        "access_key_1_active": False,
        "access_key_1_last_rotated": None,
        "access_key_1_last_used_date": None,
        "cert_1_last_rotated": "sometime soon",
    }
