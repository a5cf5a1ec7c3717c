"""The ``dsc`` command line: the database, datasets and imports.

Every failure prints one line, ``error: <what was wrong and what to do>``, and
exits with status 1; ``--traceback`` shows the full trace instead.
"""

from __future__ import annotations

import argparse
import json
import sys

from .errors import DatasetCoreError


def _db(args: argparse.Namespace) -> None:
    from . import db
    from .db import install

    if args.action == "status":
        print(json.dumps(db.status(), indent=2))
    elif args.action == "start":
        print(f"MongoDB running at {db.ensure_running()}")
    elif args.action == "stop":
        print("stopped" if db.stop() else "not running")
    elif args.action == "install":
        binary = db.find_mongod()
        lib = install.install_libssl()
        print(f"mongod: {binary}\nOpenSSL 1.1 libraries: {lib}")
        print(f"MongoDB running at {db.ensure_running()}")


def _datasets(args: argparse.Namespace) -> None:
    import dataset_core as dc

    if args.action == "list":
        for name in dc.list_datasets():
            print(name)
    elif args.action == "info":
        _require_name(args)
        print(dc.load_dataset(args.name).summary())
    elif args.action == "delete":
        _require_name(args)
        dc.delete_dataset(args.name)
        print(f"Deleted dataset {args.name!r} (image files untouched)")


def _require_name(args: argparse.Namespace) -> None:
    if not args.name:
        raise DatasetCoreError(f"`dsc datasets {args.action}` needs a dataset name")


def _import(args: argparse.Namespace) -> None:
    from .importers import from_dir

    dataset = from_dir(args.dir, dataset_type=args.type, name=args.name, overwrite=args.overwrite)
    print(dataset.summary())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dsc``."""
    from .importers import DATASET_TYPES

    parser = argparse.ArgumentParser(prog="dsc", description="Image datasets in MongoDB")
    parser.add_argument("--traceback", action="store_true", help="show full tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("db", help="the embedded MongoDB")
    p.add_argument("action", choices=["status", "start", "stop", "install"])
    p.set_defaults(func=_db)

    p = sub.add_parser("datasets", help="list, describe or delete datasets")
    p.add_argument("action", choices=["list", "info", "delete"])
    p.add_argument("name", nargs="?")
    p.set_defaults(func=_datasets)

    p = sub.add_parser("import", help="make a dataset from a folder")
    p.add_argument("dir")
    p.add_argument("--name", required=True)
    p.add_argument("--type", default="images", choices=sorted(DATASET_TYPES))
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_import)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``dsc``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (DatasetCoreError, ValueError, OSError) as e:
        if args.traceback:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
