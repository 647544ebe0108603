"""launch publish: upload a report folder to s3://bucket/prefix, and say where its pages are."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(commands: Any) -> None:
    publish = commands.add_parser("publish", help="upload a report folder to s3://bucket/prefix")
    publish.add_argument("folder", metavar="DIR")
    publish.add_argument("target", metavar="s3://bucket/prefix")
    publish.add_argument("--endpoint-url", help="S3-compatible endpoint (default: $AWS_ENDPOINT_URL)")
    publish.add_argument("--url", metavar="BASE",
                         help="the http(s) address s3://bucket/prefix is served at: the address of each page "
                         "published is printed (without it, the address the run recorded, --launch-report-url "
                         "or [reports] url, is printed)")
    publish.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pytest_launch.core.errors import ConfigError
    from pytest_launch.core.settings import http_url_problem
    from pytest_launch.outputs.publish import page_addresses, publish

    if args.url:
        problem = http_url_problem("BASE", args.url)
        if problem:
            raise ConfigError("--url", None, *problem)
    keys = publish(Path(args.folder), args.target, args.endpoint_url)
    bucket = args.target[len("s3://"):].split("/", 1)[0]
    print(f"published {len(keys)} file(s) to s3://{bucket}/")
    for key in keys:
        print(f"  {key}")
    for address, recorded in page_addresses(Path(args.folder), args.url):
        print(f"page: {address}" + (" (as the run recorded it)" if recorded else ""))
    return 0
