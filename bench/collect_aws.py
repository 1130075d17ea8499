"""Benchmark the AWS collector's largest dataset: S3 buckets, from moto's server on 127.0.0.1.

usage: python bench/collect_aws.py [--buckets 10000] [--workers 8] [--cli]

Starts moto's server in this process, creates the buckets through boto3 (every other one with a public
access block, every third with default encryption), then collects `s3-buckets` in a child process and
reads the child's peak RSS from the kernel: the numbers are the collector's (boto3 included), not the
server's. Each bucket costs three requests (location, public access block, encryption) after the
listing, so 10,000 buckets are about 30,000 requests, made `--workers` at a time; the server, a single
Python process, is the bottleneck, as AWS's own rate limits would be.

The child runs twice: the second run must give a byte-identical file. With --cli the child is
`soc2kit collect aws` on a one-control program instead of the collector class alone.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

CHILD = """
import hashlib, json, resource, sys, time
from datetime import date
from soc2kit.collectors.aws import AwsCollector
from soc2kit.collectors.base import CollectContext
import os
started = time.perf_counter()
collector = AwsCollector(workers=int(sys.argv[1]))
snapshot = next(collector.collect(["s3-buckets"], CollectContext(environ=dict(os.environ), today=date.today())))
text = json.dumps(snapshot.data, indent=2, sort_keys=True, ensure_ascii=False) + "\\n"
findings = list(collector.check("s3-buckets", json.loads(text), CollectContext(environ={}, today=date.today())))
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "buckets": len(snapshot.data["Buckets"]),
    "findings": len(findings),
    "bytes": len(text.encode()),
    "sha256": hashlib.sha256(text.encode()).hexdigest(),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def populate(url: str, count: int) -> None:
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=url, aws_access_key_id="bench", aws_secret_access_key="bench")
    block = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)
    encryption = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}

    def create(number: int) -> None:
        name = f"bench-bucket-{number:06d}"
        s3.create_bucket(Bucket=name)
        if number % 2 == 0:
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
        if number % 3 == 0:
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=encryption)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(create, range(count)))


def run_child(environ: dict[str, str], workers: int) -> dict[str, float]:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(workers)], env=environ, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"collector failed:\n{completed.stderr}")
    result: dict[str, float] = json.loads(completed.stdout)
    result["wall_seconds"] = wall
    return result


def run_cli(environ: dict[str, str], program: Path) -> dict[str, float]:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "soc2kit", "collect", "aws"], cwd=program, env=environ, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(completed.stdout[-2000:], completed.stderr[-2000:])
    return {"wall_seconds": wall, "peak_rss_mb_all_children": usage.ru_maxrss / 1024, "exit": completed.returncode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buckets", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--cli", action="store_true", help="run `soc2kit collect aws` on a one-control program")
    arguments = parser.parse_args()

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        started = time.perf_counter()
        populate(url, arguments.buckets)
        print(f"created {arguments.buckets} buckets in {time.perf_counter() - started:.1f} s")
        with tempfile.TemporaryDirectory() as scratch:
            environ = {
                **os.environ,
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_ENDPOINT_URL": url,
                "SOC2KIT_AWS_REGIONS": "us-east-1",
                "AWS_CONFIG_FILE": str(Path(scratch) / "none"),
                "AWS_SHARED_CREDENTIALS_FILE": str(Path(scratch) / "none"),
                "AWS_EC2_METADATA_DISABLED": "true",
            }
            environ.pop("AWS_PROFILE", None)
            if arguments.cli:
                sys.path.insert(0, str(REPO))
                sys.path.insert(0, str(REPO / "tests"))
                from tests.test_collector_aws import write_program

                program = write_program(Path(scratch) / "program", ["s3-buckets"])
                for run in (1, 2):
                    print(f"run {run}:", json.dumps(run_cli(environ, program)))
                return
            first = run_child(environ, arguments.workers)
            second = run_child(environ, arguments.workers)
    finally:
        server.stop()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; moto server in the parent")
    for label, result in (("first run", first), ("second run", second)):
        print(
            f"{label}: {result['buckets']} buckets, {result['findings']} findings, {result['bytes'] / 1e6:.1f} MB of JSON, "
            f"collect {result['seconds']:.1f} s (process {result['wall_seconds']:.1f} s), peak RSS {result['peak_rss_mb']:.0f} MB"
        )
    print("second run byte-identical:", first["sha256"] == second["sha256"])


if __name__ == "__main__":
    main()
