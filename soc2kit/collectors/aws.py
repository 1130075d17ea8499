"""The AWS collector: IAM, CloudTrail, S3, KMS, RDS, GuardDuty and security groups of one account, read
through boto3 with read-only calls, and the checks over what it read.

Credentials come from boto3's usual chain (environment keys, AWS_PROFILE and the shared config, SSO,
container and instance roles); soc2kit never writes them. Regions: `SOC2KIT_AWS_REGIONS` (a comma or
space separated list, or `all` for every region enabled in the account), else `AWS_REGION`, else
`AWS_DEFAULT_REGION`, else the profile's region. Throttling and server errors are retried by botocore's
standard retry mode (`AWS_MAX_ATTEMPTS` attempts, 5 unless set).

Every snapshot keeps AWS's own field names, drops what changes without the account changing (request
ids, report generation times, delivery times, statuses in flight) and sorts every list, so an
unchanged account gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

from soc2kit import __version__
from soc2kit.collectors.base import CollectContext, CollectorError, Finding, Snapshot

__all__ = ["AwsCollector", "iam_policy"]

DATASETS: Mapping[str, str] = MappingProxyType(
    {
        "iam-credential-report": "IAM users and the root user: console access, MFA, access key ages and last use",
        "password-policy": "the account's IAM password policy",
        "cloudtrail": "CloudTrail trails (multi-region, log file validation) and which regions a logging trail covers",
        "s3-buckets": "S3 buckets with their public access block (and the account's) and default encryption",
        "kms-keys": "KMS keys with their manager, state and automatic rotation",
        "rds-instances": "RDS database instances: storage encryption and backup retention",
        "guardduty": "GuardDuty detectors per region",
        "security-groups": "EC2 security groups and their ingress rules",
    }
)

# The IAM actions each dataset's calls need: the source of `permissions`, of the policy in
# docs/collectors-aws.md and of the action an AccessDenied error names.
ACTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "iam-credential-report": ("iam:GenerateCredentialReport", "iam:GetCredentialReport"),
        "password-policy": ("iam:GetAccountPasswordPolicy",),
        "cloudtrail": ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"),
        "s3-buckets": (
            "s3:ListAllMyBuckets",
            "s3:GetAccountPublicAccessBlock",
            "s3:GetBucketLocation",
            "s3:GetBucketPublicAccessBlock",
            "s3:GetEncryptionConfiguration",
        ),
        "kms-keys": ("kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus"),
        "rds-instances": ("rds:DescribeDBInstances",),
        "guardduty": ("guardduty:ListDetectors", "guardduty:GetDetector"),
        "security-groups": ("ec2:DescribeSecurityGroups",),
    }
)
# Only with SOC2KIT_AWS_REGIONS=all; sts:GetCallerIdentity needs no permission.
REGION_LISTING_ACTION = "ec2:DescribeRegions"

# API operations whose IAM action is named differently from the operation.
_ACTION_OF_OPERATION: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
        ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
        ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
        ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    }
)

_ACCESS_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "UnauthorizedAccess"}
)
_EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
_REJECTED = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AuthFailure",
        "InvalidToken",
        "IncompleteSignature",
    }
)
# What botocore's standard retry mode retries as throttling; still there after the last attempt.
_THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "EC2ThrottledException",
    }
)
_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")

DEFAULT_MAX_ATTEMPTS = 5
_MAX_BUCKETS_PER_PAGE = 10_000
ACCESS_KEY_MAX_AGE_DAYS = 90
ROOT_USE_LOOKBACK_DAYS = 90
# AC-03 of the starter program: passwords of at least 14 characters.
PASSWORD_MIN_LENGTH = 14
# BAK-01 of the starter program: point-in-time recovery spans 7 days.
RDS_MIN_BACKUP_RETENTION_DAYS = 7
# Ports whose services should never face the whole internet: remote shells and desktops, databases,
# caches, search engines, file sharing.
SENSITIVE_PORTS: Mapping[int, str] = MappingProxyType(
    {
        20: "FTP data",
        21: "FTP",
        22: "SSH",
        23: "Telnet",
        135: "RPC",
        139: "NetBIOS",
        445: "SMB",
        1433: "SQL Server",
        1521: "Oracle",
        2375: "Docker",
        2379: "etcd",
        3306: "MySQL",
        3389: "RDP",
        5432: "PostgreSQL",
        5601: "Kibana",
        5900: "VNC",
        6379: "Redis",
        9200: "Elasticsearch",
        11211: "Memcached",
        27017: "MongoDB",
    }
)
_WORLD = frozenset({"0.0.0.0/0", "::/0"})
_NO_VALUE = frozenset({"N/A", "not_supported", "no_information", ""})


def iam_policy() -> dict[str, Any]:
    """The least-privilege IAM policy every dataset needs: read-only actions only."""
    actions = sorted({action for dataset_actions in ACTIONS.values() for action in dataset_actions} | {REGION_LISTING_ACTION})
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Soc2kitCollectAws", "Effect": "Allow", "Action": actions, "Resource": "*"}],
    }


class AwsCollector:
    """Reads one AWS account (the one the credentials belong to) in the configured regions."""

    name = "aws"
    version = __version__
    datasets = DATASETS
    permissions: Mapping[str, str] = MappingProxyType({dataset: ", ".join(actions) for dataset, actions in ACTIONS.items()})

    def __init__(self, *, page_size: int | None = None, workers: int = 8) -> None:
        # page_size: items per page where the API takes one (tests use small pages to cross several);
        # None keeps each API's default. workers: concurrent per-bucket requests.
        self.page_size = page_size
        self.workers = workers

    def collect(self, datasets: Sequence[str], context: CollectContext) -> Iterator[Snapshot]:
        unknown = [dataset for dataset in datasets if dataset not in DATASETS]
        if unknown:
            raise CollectorError("AWS", f"unknown dataset {unknown[0]!r}; known: {', '.join(DATASETS)}")
        account = _Account(context, self.page_size, self.workers)
        readers: dict[str, Callable[[], tuple[str, Any]]] = {
            "iam-credential-report": account.credential_report,
            "password-policy": account.password_policy,
            "cloudtrail": account.cloudtrail,
            "s3-buckets": account.s3_buckets,
            "kms-keys": account.kms_keys,
            "rds-instances": account.rds_instances,
            "guardduty": account.guardduty,
            "security-groups": account.security_groups,
        }
        for dataset in datasets:
            query, data = readers[dataset]()
            yield Snapshot(dataset=dataset, system=account.system, query=query, data=_canonical(data))

    def check(self, dataset: str, data: Any, context: CollectContext) -> Iterator[Finding]:
        checker = _CHECKS.get(dataset)
        if checker is None:
            yield Finding("aws.dataset-unknown", f"the AWS collector has no dataset {dataset!r}", (dataset,))
            return
        try:
            findings = list(checker(data, context.today))
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            yield Finding(
                "aws.snapshot-unrecognised",
                f"the recorded {dataset} data is not what the AWS collector writes ({type(error).__name__}: {error})",
                (dataset,),
            )
            return
        yield from findings


class _Api:
    """One boto3 client, with every failure turned into a CollectorError naming the IAM action."""

    def __init__(self, client: Any, service: str, system: Callable[[], str]) -> None:
        self.client = client
        self.service = service
        self._system = system

    def call(self, operation: str, allow: frozenset[str] = frozenset(), **params: Any) -> dict[str, Any] | None:
        """The operation's response, or None when AWS answers with an error code in `allow` (such as
        "no password policy"), which is data, not a failure."""
        from botocore.exceptions import BotoCoreError, ClientError

        method = getattr(self.client, _snake(operation))
        try:
            response: dict[str, Any] = method(**params)
        except ClientError as error:
            if _error_code(error) in allow:
                return None
            raise self._failure(operation, error) from None
        except BotoCoreError as error:
            raise _client_failure(self._system(), error) from None
        return response

    def pages(self, operation: str, key: str, page_size: int | None = None, **params: Any) -> Iterator[Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        paginator = self.client.get_paginator(_snake(operation))
        config = {"PageSize": page_size} if page_size else {}
        try:
            for page in paginator.paginate(**params, PaginationConfig=config):
                yield from page.get(key, [])
        except ClientError as error:
            raise self._failure(operation, error) from None
        except BotoCoreError as error:
            raise _client_failure(self._system(), error) from None

    def _failure(self, operation: str, error: Any) -> CollectorError:
        action = _ACTION_OF_OPERATION.get((self.service, operation), f"{self.service}:{operation}")
        if getattr(error, "operation_name", operation) != operation:
            # The credential chain's own call failed (a profile's role, web identity): STS's AssumeRole*.
            action = f"sts:{error.operation_name}"
        code = _error_code(error)
        response = error.response
        status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        attempts = int(response.get("ResponseMetadata", {}).get("RetryAttempts") or 0) + 1
        first_line = next(iter(str(response.get("Error", {}).get("Message") or "").splitlines()), "")
        message = _ACCESS_KEY_ID.sub("<access key id>", first_line)
        system = self._system()
        # A 403 without a code AWS names is a refusal too (S3 Control answers some with an empty body).
        if code in _ACCESS_DENIED or (status == 403 and code not in _EXPIRED | _REJECTED):
            return CollectorError(
                system, f"access denied to {action} ({code or 'HTTP 403'}); the credentials need {action}", permission=action
            )
        if code in _EXPIRED:
            return CollectorError(
                system,
                f"the AWS credentials have expired ({code} on {action}); renew them (a new role session, "
                "`aws sso login`) and run again",
            )
        if code in _REJECTED:
            return CollectorError(
                system,
                f"AWS rejected the credentials ({code} on {action}); check AWS_PROFILE or AWS_ACCESS_KEY_ID "
                "and the account the credentials belong to",
            )
        if code in _THROTTLED:
            return CollectorError(system, f"AWS kept throttling {action} ({code}) after {attempts} attempts; run again later")
        if status >= 500:
            return CollectorError(
                system, f"AWS failed {action} with HTTP {status} ({code or 'no error code'}) after {attempts} attempts"
            )
        return CollectorError(system, f"{action} failed: {code or f'HTTP {status}'}: {message}".rstrip(": "))


def _error_code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code") or "")


def _client_failure(system: str, error: Exception) -> CollectorError:
    from botocore.exceptions import (
        ConnectionError as BotoConnectionError,
    )
    from botocore.exceptions import (
        NoCredentialsError,
        PartialCredentialsError,
        ProfileNotFound,
        SSOError,
        TokenRetrievalError,
        UnauthorizedSSOTokenError,
    )

    if isinstance(error, NoCredentialsError):
        message = (
            "no AWS credentials found: set AWS_PROFILE (a profile of ~/.aws/config), run where a role is "
            "available (CI with OIDC, ECS, EC2), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    elif isinstance(error, PartialCredentialsError | ProfileNotFound):
        message = str(error)
    elif isinstance(error, TokenRetrievalError | UnauthorizedSSOTokenError | SSOError):
        message = f"the AWS SSO session has expired or is missing ({type(error).__name__}); run `aws sso login` and run again"
    elif isinstance(error, BotoConnectionError):
        message = f"could not reach AWS: {error}"
    else:
        message = f"{type(error).__name__}: {error}"
    return CollectorError(system, _ACCESS_KEY_ID.sub("<access key id>", message))


def _snake(operation: str) -> str:
    from botocore import xform_name

    return str(xform_name(operation))


_LOADER: list[Any] = []


def _botocore_session() -> Any:
    """A fresh botocore session reading the API models through one loader per process: loading them
    takes about a second, once, not once per collection."""
    import botocore.loaders
    import botocore.session

    if not _LOADER:
        _LOADER.append(botocore.loaders.create_loader())
    session = botocore.session.get_session()
    session.register_component("data_loader", _LOADER[0])
    return session


class _Account:
    """The calls behind each dataset, against the account the credentials belong to."""

    def __init__(self, context: CollectContext, page_size: int | None, workers: int) -> None:
        try:
            import boto3
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError
        except ImportError:
            raise CollectorError("AWS", "the AWS collector needs boto3: pip install 'soc2kit[aws]'") from None

        environ = context.environ
        self._page_size = page_size
        self._workers = max(1, workers)
        self._endpoint = environ.get("AWS_ENDPOINT_URL") or None
        self._account_id = ""
        attempts = environ.get("AWS_MAX_ATTEMPTS", "")
        retries: dict[str, Any] = {
            "mode": "standard",
            "total_max_attempts": int(attempts) if attempts.isdecimal() and int(attempts) > 0 else DEFAULT_MAX_ATTEMPTS,
        }
        self._config = Config(
            retries=retries,
            connect_timeout=context.timeout,
            read_timeout=context.timeout,
            user_agent_extra=f"soc2kit/{__version__}",
            # A local endpoint (a test server, a proxy) has no bucket subdomains.
            s3={"addressing_style": "path"} if self._endpoint else {},
        )
        keys: dict[str, str] = {}
        if environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"):
            keys = {
                "aws_access_key_id": environ["AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": environ["AWS_SECRET_ACCESS_KEY"],
            }
            if environ.get("AWS_SESSION_TOKEN"):
                keys["aws_session_token"] = environ["AWS_SESSION_TOKEN"]
        try:
            self._session = boto3.Session(
                botocore_session=_botocore_session(), profile_name=environ.get("AWS_PROFILE") or None, **keys
            )
        except BotoCoreError as error:
            raise _client_failure("AWS", error) from None
        self._clients: dict[tuple[str, str], _Api] = {}
        self._lock = threading.Lock()
        self.regions = self._regions(environ)
        self.home = self.regions[0]
        identity = self.api("sts", self.home).call("GetCallerIdentity")
        self._account_id = str((identity or {}).get("Account", ""))

    @property
    def system(self) -> str:
        return f"AWS account {self._account_id}" if self._account_id else "AWS"

    def api(self, service: str, region: str) -> _Api:
        with self._lock:
            api = self._clients.get((service, region))
            if api is None:
                client = self._session.client(service, region_name=region, endpoint_url=self._endpoint, config=self._config)
                if service == "s3control" and self._endpoint:
                    client.meta.events.register("before-sign.s3-control", _EndpointHost(self._endpoint))
                api = self._clients[(service, region)] = _Api(client, service, lambda: self.system)
            return api

    def _regions(self, environ: Mapping[str, str]) -> list[str]:
        listed = environ.get("SOC2KIT_AWS_REGIONS", "").replace(",", " ").split()
        if listed == ["all"]:
            first = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or self._session.region_name or "us-east-1"
            answer = self.api("ec2", first).call("DescribeRegions") or {}
            listed = [str(region["RegionName"]) for region in answer.get("Regions", [])]
        elif not listed:
            single = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or self._session.region_name
            listed = [single] if single else []
        if not listed:
            raise CollectorError(
                "AWS",
                "no region to read: set SOC2KIT_AWS_REGIONS (for example `us-east-1,eu-west-1` or `all`) or AWS_REGION",
            )
        wrong = [region for region in listed if not _REGION.match(region)]
        if wrong:
            raise CollectorError("AWS", f"{wrong[0]!r} in SOC2KIT_AWS_REGIONS is not an AWS region name such as us-east-1")
        return sorted(set(listed))

    def credential_report(self) -> tuple[str, Any]:
        iam = self.api("iam", self.home)
        # AWS builds the report asynchronously: ask until it is complete (at most every 4 hours a new one).
        deadline = time.monotonic() + 120.0
        delay = 0.2
        while True:
            state = (iam.call("GenerateCredentialReport") or {}).get("State")
            if state == "COMPLETE":
                report = iam.call("GetCredentialReport", allow=frozenset({"ReportInProgress", "ReportNotPresent"}))
                if report is not None:
                    break
            if time.monotonic() > deadline:
                raise CollectorError(self.system, "the IAM credential report was not ready within 120 seconds; run again")
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
        content = report.get("Content", b"")
        text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
        users = [_report_row(row) for row in csv.DictReader(io.StringIO(text))]
        return "iam:GenerateCredentialReport; iam:GetCredentialReport", {"users": users}

    def password_policy(self) -> tuple[str, Any]:
        answer = self.api("iam", self.home).call("GetAccountPasswordPolicy", allow=frozenset({"NoSuchEntity"}))
        return "iam:GetAccountPasswordPolicy", {"PasswordPolicy": None if answer is None else answer["PasswordPolicy"]}

    def cloudtrail(self) -> tuple[str, Any]:
        trails: dict[str, dict[str, Any]] = {}
        regions: list[dict[str, Any]] = []
        for region in self.regions:
            api = self.api("cloudtrail", region)
            answer = api.call("DescribeTrails", includeShadowTrails=True) or {}
            covering = []
            for trail in answer.get("trailList", []):
                arn = str(trail["TrailARN"])
                covering.append(arn)
                if arn not in trails:
                    # The status of a trail is asked in its home region, where it is authoritative.
                    home = self.api("cloudtrail", str(trail.get("HomeRegion") or region))
                    status = home.call("GetTrailStatus", Name=arn) or {}
                    trails[arn] = {**trail, "IsLogging": bool(status.get("IsLogging"))}
            regions.append({"Region": region, "TrailARNs": covering})
        query = f"cloudtrail:DescribeTrails(includeShadowTrails=true); cloudtrail:GetTrailStatus per trail; regions {', '.join(self.regions)}"
        return query, {"Regions": regions, "Trails": list(trails.values())}

    def s3_buckets(self) -> tuple[str, Any]:
        s3 = self.api("s3", self.home)
        account_block = self.api("s3control", self.home).call(
            "GetPublicAccessBlock", allow=frozenset({"NoSuchPublicAccessBlockConfiguration"}), AccountId=self._account_id
        )
        # Paginated requests, in AWS's largest pages: accounts allowed more than 10,000 buckets get no
        # answer to an unpaginated ListBuckets.
        listed = list(s3.pages("ListBuckets", "Buckets", _MAX_BUCKETS_PER_PAGE))
        pool = ThreadPoolExecutor(max_workers=self._workers)
        try:
            buckets = [bucket for bucket in pool.map(self._bucket, listed) if bucket is not None]
        finally:
            # After a failure, the buckets not yet asked about are not asked about at all.
            pool.shutdown(wait=True, cancel_futures=True)
        query = (
            "s3:ListBuckets; s3control:GetPublicAccessBlock; per bucket s3:GetBucketLocation, "
            "s3:GetPublicAccessBlock, s3:GetBucketEncryption"
        )
        account = None if account_block is None else account_block["PublicAccessBlockConfiguration"]
        return query, {"AccountPublicAccessBlock": account, "Buckets": buckets}

    def _bucket(self, listed: Mapping[str, Any]) -> dict[str, Any] | None:
        name = str(listed["Name"])
        gone = frozenset({"NoSuchBucket"})
        region = listed.get("BucketRegion")
        if not region:
            location = self.api("s3", self.home).call("GetBucketLocation", allow=gone, Bucket=name)
            if location is None:
                return None
            constraint = location.get("LocationConstraint") or "us-east-1"
            region = "eu-west-1" if constraint == "EU" else constraint
        s3 = self.api("s3", str(region))
        block = s3.call("GetPublicAccessBlock", allow=gone | {"NoSuchPublicAccessBlockConfiguration"}, Bucket=name)
        encryption = s3.call("GetBucketEncryption", allow=gone | {"ServerSideEncryptionConfigurationNotFoundError"}, Bucket=name)
        return {
            "Name": name,
            "Region": region,
            "PublicAccessBlock": None if block is None else block["PublicAccessBlockConfiguration"],
            "ServerSideEncryptionConfiguration": None if encryption is None else encryption["ServerSideEncryptionConfiguration"],
        }

    def kms_keys(self) -> tuple[str, Any]:
        keys = []
        for region in self.regions:
            kms = self.api("kms", region)
            for listed in kms.pages("ListKeys", "Keys", self._page_size):
                described = (kms.call("DescribeKey", KeyId=listed["KeyId"]) or {})["KeyMetadata"]
                rotation: bool | None = None
                if described.get("KeyManager") == "CUSTOMER" and described.get("KeyState") == "Enabled":
                    # Asymmetric, HMAC, imported and custom-key-store keys cannot rotate automatically.
                    status = kms.call(
                        "GetKeyRotationStatus",
                        allow=frozenset({"UnsupportedOperationException", "KMSInvalidStateException"}),
                        KeyId=listed["KeyId"],
                    )
                    rotation = None if status is None else bool(status.get("KeyRotationEnabled"))
                keys.append(
                    {
                        **{field: described.get(field) for field in _KMS_FIELDS},
                        "Region": region,
                        "KeyRotationEnabled": rotation,
                    }
                )
        query = f"kms:ListKeys; kms:DescribeKey and kms:GetKeyRotationStatus per key; regions {', '.join(self.regions)}"
        return query, {"Regions": self.regions, "Keys": keys}

    def rds_instances(self) -> tuple[str, Any]:
        instances = [
            {**{field: instance.get(field) for field in _RDS_FIELDS}, "Region": region}
            for region in self.regions
            for instance in self.api("rds", region).pages("DescribeDBInstances", "DBInstances", self._page_size)
        ]
        return f"rds:DescribeDBInstances; regions {', '.join(self.regions)}", {"Regions": self.regions, "DBInstances": instances}

    def guardduty(self) -> tuple[str, Any]:
        regions = []
        for region in self.regions:
            guardduty = self.api("guardduty", region)
            detectors = []
            for detector_id in guardduty.pages("ListDetectors", "DetectorIds"):
                detector = guardduty.call("GetDetector", DetectorId=detector_id) or {}
                detectors.append(
                    {
                        "DetectorId": detector_id,
                        "Status": detector.get("Status"),
                        "FindingPublishingFrequency": detector.get("FindingPublishingFrequency"),
                    }
                )
            regions.append({"Region": region, "Detectors": detectors})
        return f"guardduty:ListDetectors; guardduty:GetDetector; regions {', '.join(self.regions)}", {"Regions": regions}

    def security_groups(self) -> tuple[str, Any]:
        groups = [
            {
                "GroupId": group.get("GroupId"),
                "GroupName": group.get("GroupName"),
                "VpcId": group.get("VpcId"),
                "Region": region,
                "IpPermissions": group.get("IpPermissions", []),
            }
            for region in self.regions
            for group in self.api("ec2", region).pages("DescribeSecurityGroups", "SecurityGroups", self._page_size)
        ]
        query = f"ec2:DescribeSecurityGroups; regions {', '.join(self.regions)}"
        return query, {"Regions": self.regions, "SecurityGroups": groups}


class _EndpointHost:
    """S3 Control puts the account id in front of any endpoint's host (`123456789012.127.0.0.1`), a
    name a local endpoint cannot resolve: send such requests to the endpoint's own host instead."""

    def __init__(self, endpoint: str) -> None:
        from urllib.parse import urlsplit

        self._netloc = urlsplit(endpoint).netloc

    def __call__(self, request: Any, **_: Any) -> None:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(request.url)
        if parts.netloc.endswith("." + self._netloc):
            request.url = urlunsplit(parts._replace(netloc=self._netloc))


_KMS_FIELDS = ("KeyId", "Arn", "KeyManager", "KeyState", "KeySpec", "KeyUsage", "Origin", "MultiRegion", "CreationDate")
_RDS_FIELDS = (
    "DBInstanceIdentifier",
    "DBInstanceArn",
    "Engine",
    "StorageEncrypted",
    "KmsKeyId",
    "BackupRetentionPeriod",
    "MultiAZ",
    "PubliclyAccessible",
    "DeletionProtection",
)
# Columns that change whenever a password or key is used; kept to the day (see _report_row).
_LAST_USED_COLUMNS = frozenset({"password_last_used", "access_key_1_last_used_date", "access_key_2_last_used_date"})
# Where and with which service a key was last used changes with every use: not the account's configuration.
_DROPPED_COLUMNS = frozenset(
    {
        "access_key_1_last_used_region",
        "access_key_1_last_used_service",
        "access_key_2_last_used_region",
        "access_key_2_last_used_service",
    }
)


def _report_row(row: Mapping[str, str]) -> dict[str, Any]:
    """A credential report row: booleans as booleans, "N/A"-like values as null, times as ISO UTC and
    last-use times to the day, so the collector's own use of a key changes the file at most daily."""
    normalised: dict[str, Any] = {}
    for column, raw in row.items():
        if column in _DROPPED_COLUMNS:
            continue
        value: Any = raw
        if raw in _NO_VALUE:
            value = None
        elif raw in {"true", "false"}:
            value = raw == "true"
        elif column.endswith(("_time", "_last_used", "_last_changed", "_next_rotation", "_last_rotated", "_last_used_date")):
            try:
                moment = _iso_utc(datetime.fromisoformat(raw))
            except ValueError:
                moment = ""  # a time AWS writes some new way: recorded as it came
            value = raw if not moment else moment[:10] if column in _LAST_USED_COLUMNS else moment
        normalised[column] = value
    return normalised


def _iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _canonical(value: Any) -> Any:
    """JSON-ready data with datetimes as ISO UTC and every list in one stable order."""
    if isinstance(value, datetime):
        return _iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        items = [_canonical(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    return value


# Checks: each reads a snapshot's data as recorded and yields one finding per offending item.


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _check_credential_report(data: Any, today: date) -> Iterator[Finding]:
    for user in data["users"]:
        name = str(user["user"])
        if name == "<root_account>":
            yield from _check_root(user, today)
            continue
        if user.get("password_enabled") is True and user.get("mfa_active") is not True:
            yield Finding("aws.iam-console-user-without-mfa", f"IAM user {name} has console access and no MFA", (name,))
        for slot in (1, 2):
            rotated = _day(user.get(f"access_key_{slot}_last_rotated"))
            if user.get(f"access_key_{slot}_active") is True and rotated is not None:
                age = (today - rotated).days
                if age > ACCESS_KEY_MAX_AGE_DAYS:
                    yield Finding(
                        "aws.iam-access-key-older-than-90-days",
                        f"IAM user {name} has an active access key {age} days old (rotated {rotated.isoformat()})",
                        (name,),
                    )


def _check_root(root: Mapping[str, Any], today: date) -> Iterator[Finding]:
    if root.get("mfa_active") is not True:
        yield Finding("aws.root-without-mfa", "the root user has no MFA device", ("<root_account>",))
    if root.get("access_key_1_active") is True or root.get("access_key_2_active") is True:
        yield Finding("aws.root-access-key", "the root user has an active access key", ("<root_account>",))
    used = [
        day
        for day in (_day(root.get(column)) for column in sorted(_LAST_USED_COLUMNS))
        if day is not None and (today - day).days <= ROOT_USE_LOOKBACK_DAYS
    ]
    if used:
        yield Finding(
            "aws.root-used",
            f"the root user was used on {max(used).isoformat()}, within the last {ROOT_USE_LOOKBACK_DAYS} days",
            ("<root_account>",),
        )


def _check_password_policy(data: Any, _today: date) -> Iterator[Finding]:
    policy = data["PasswordPolicy"]
    if policy is None:
        yield Finding("aws.password-policy-missing", "the account has no IAM password policy", ("password-policy",))
        return
    length = int(policy.get("MinimumPasswordLength") or 0)
    if length < PASSWORD_MIN_LENGTH:
        yield Finding(
            "aws.password-policy-weak",
            f"the IAM password policy allows passwords of {length} characters (at least {PASSWORD_MIN_LENGTH} expected)",
            ("MinimumPasswordLength",),
        )


def _check_cloudtrail(data: Any, _today: date) -> Iterator[Finding]:
    trails = {str(trail["TrailARN"]): trail for trail in data["Trails"]}
    for region in data["Regions"]:
        if not any(trails[arn].get("IsLogging") is True for arn in region["TrailARNs"] if arn in trails):
            name = str(region["Region"])
            yield Finding("aws.cloudtrail-region-not-logging", f"no logging CloudTrail trail covers region {name}", (name,))
    for arn, trail in sorted(trails.items()):
        if trail.get("LogFileValidationEnabled") is not True:
            yield Finding("aws.cloudtrail-log-validation-off", f"CloudTrail trail {arn} does not validate its log files", (arn,))


_BLOCK_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _check_s3(data: Any, _today: date) -> Iterator[Finding]:
    account = data.get("AccountPublicAccessBlock") or {}
    for bucket in data["Buckets"]:
        name = str(bucket["Name"])
        own = bucket.get("PublicAccessBlock") or {}
        # A flag the account sets applies to every bucket, whatever the bucket says.
        open_flags = [flag for flag in _BLOCK_FLAGS if own.get(flag) is not True and account.get(flag) is not True]
        if open_flags:
            yield Finding(
                "aws.s3-bucket-without-public-access-block",
                f"S3 bucket {name} is not covered by a full public access block (off: {', '.join(open_flags)})",
                (name,),
            )
        if not (bucket.get("ServerSideEncryptionConfiguration") or {}).get("Rules"):
            yield Finding("aws.s3-bucket-not-encrypted", f"S3 bucket {name} has no default encryption", (name,))


def _check_kms(data: Any, _today: date) -> Iterator[Finding]:
    for key in data["Keys"]:
        if key.get("KeyRotationEnabled") is False:
            arn = str(key.get("Arn") or key["KeyId"])
            yield Finding("aws.kms-key-rotation-off", f"customer-managed KMS key {arn} does not rotate automatically", (arn,))


def _check_rds(data: Any, _today: date) -> Iterator[Finding]:
    for instance in data["DBInstances"]:
        item = str(instance.get("DBInstanceArn") or instance["DBInstanceIdentifier"])
        name = f"{instance['DBInstanceIdentifier']} ({instance.get('Region')})"
        if instance.get("StorageEncrypted") is not True:
            yield Finding("aws.rds-not-encrypted", f"RDS instance {name} does not encrypt its storage", (item,))
        retention = int(instance.get("BackupRetentionPeriod") or 0)
        if retention < RDS_MIN_BACKUP_RETENTION_DAYS:
            yield Finding(
                "aws.rds-backup-retention-short",
                f"RDS instance {name} keeps automated backups {retention} days (at least {RDS_MIN_BACKUP_RETENTION_DAYS} expected)",
                (item,),
            )


def _check_guardduty(data: Any, _today: date) -> Iterator[Finding]:
    for region in data["Regions"]:
        if not any(detector.get("Status") == "ENABLED" for detector in region["Detectors"]):
            name = str(region["Region"])
            yield Finding("aws.guardduty-off", f"GuardDuty is not enabled in region {name}", (name,))


def _check_security_groups(data: Any, _today: date) -> Iterator[Finding]:
    for group in data["SecurityGroups"]:
        item = f"{group['Region']}/{group['GroupId']}"
        exposed = sorted({what for permission in group["IpPermissions"] for what in _world_exposure(permission)})
        if exposed:
            yield Finding(
                "aws.security-group-open-to-world",
                f"security group {group['GroupId']} ({group.get('GroupName')}, {group['Region']}) allows the whole "
                f"internet to {', '.join(exposed)}",
                (item,),
            )


def _world_exposure(permission: Mapping[str, Any]) -> Iterable[str]:
    sources = {str(entry.get("CidrIp")) for entry in permission.get("IpRanges", [])}
    sources |= {str(entry.get("CidrIpv6")) for entry in permission.get("Ipv6Ranges", [])}
    if not sources & _WORLD:
        return []
    protocol = str(permission.get("IpProtocol"))
    if protocol in {"-1", "all"}:
        return ["all ports"]
    if protocol not in {"tcp", "udp", "6", "17"}:
        return []
    low, high = int(permission.get("FromPort", 0)), int(permission.get("ToPort", 65535))
    if low <= 0 and high >= 65535:
        return ["all ports"]
    return [f"port {port} ({service})" for port, service in SENSITIVE_PORTS.items() if low <= port <= high]


_CHECKS: Mapping[str, Callable[[Any, date], Iterator[Finding]]] = MappingProxyType(
    {
        "iam-credential-report": _check_credential_report,
        "password-policy": _check_password_policy,
        "cloudtrail": _check_cloudtrail,
        "s3-buckets": _check_s3,
        "kms-keys": _check_kms,
        "rds-instances": _check_rds,
        "guardduty": _check_guardduty,
        "security-groups": _check_security_groups,
    }
)
