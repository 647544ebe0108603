"""launch publish: upload a report folder to s3://bucket/prefix."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(commands: Any) -> None:
    publish = commands.add_parser("publish", help="upload a report folder to s3://bucket/prefix")
    publish.add_argument("folder", metavar="DIR")
    publish.add_argument("target", metavar="s3://bucket/prefix")
    publish.add_argument("--endpoint-url", help="S3-compatible endpoint (default: $AWS_ENDPOINT_URL)")
    publish.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pytest_launch.outputs.publish import publish

    keys = publish(Path(args.folder), args.target, args.endpoint_url)
    bucket = args.target[len("s3://"):].split("/", 1)[0]
    print(f"published {len(keys)} file(s) to s3://{bucket}/")
    for key in keys:
        print(f"  {key}")
    return 0
