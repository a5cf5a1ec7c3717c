"""The ``dsc`` command line: the database, datasets and imports.

A user's error (any ``DatasetCoreError``: a bad name, a bad option, a dead
database; or an ``OSError``: a missing file) prints one line, ``error: <what
was wrong and what to do>``, and exits with status 1; ``--traceback`` shows the
full trace instead. Anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from dataset_core.errors import DatasetCoreError


def _db(args: argparse.Namespace) -> None:
    from dataset_core import db
    from dataset_core.db import install

    if args.action == "status":
        print(json.dumps(db.status(), indent=2))
    elif args.action == "start":
        print(f"MongoDB running at {db.mask_uri(db.ensure_running())}")
    elif args.action == "stop":
        print("stopped" if db.stop() else "not running")
    elif args.action == "install":
        binary = db.find_mongod()
        lib = install.install_libssl()
        print(f"mongod: {binary}\nOpenSSL 1.1 libraries: {lib}")
        print(f"MongoDB running at {db.mask_uri(db.ensure_running())}")


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


def _trash(args: argparse.Namespace) -> None:
    from dataset_core import trash

    entries = trash.list_trash()
    if args.action == "list":
        if not entries:
            print(f"The trash ({trash.trash_root()}) is empty")
        for e in entries:
            files = f"{e['in_trash']}/{e['files']} files in trash"
            print(f"{e['dir']}  {e['state']:<11}  dataset {e['dataset']!r}: {files}, "
                  f"{e['samples']} samples")  # fmt: skip
        return
    target = args.dir
    if target in (None, "latest"):
        pending = [e for e in entries if e["state"] != "restored"]
        if not pending:
            raise DatasetCoreError("Nothing to restore: see `dsc trash list`")
        target = pending[-1]["dir"]
    restored = trash.restore_trash(target)
    print(f"Restored {len(restored)} files and the deleted samples from {target}")


def _import(args: argparse.Namespace) -> None:
    from dataset_core.importers import from_dir

    dataset = from_dir(args.dir, dataset_type=args.type, name=args.name, overwrite=args.overwrite)
    print(dataset.summary())


def _export(args: argparse.Namespace) -> None:
    import dataset_core as dc

    dataset = dc.load_dataset(args.name)
    samples = dataset.load_saved_view(args.view) if args.view else dataset
    media = "symlink" if args.symlink else not args.no_media
    report = samples.export(args.dir, dataset_type=args.type, label_field=args.label_field,
                            export_media=media, overwrite=args.overwrite)  # fmt: skip
    print(
        f"Exported {report.num_samples} samples ({report.num_media} media files, "
        f"{len(report.renamed)} renamed) as {report.dataset_type} to {report.export_dir}"
    )


def _brain(args: argparse.Namespace) -> None:
    import brain  # the CLI sits on the top floor: it may drive the brain
    import dataset_core as dc

    dataset = dc.load_dataset(args.dataset)
    if args.analysis == "uniqueness":
        brain.compute_uniqueness(dataset, model=args.model)
        top = dataset.sort_by("uniqueness", reverse=True).limit(5)
        print("Most unique:", *top.values("filepath"), sep="\n  ")
    elif args.analysis == "similarity":
        index = brain.compute_similarity(dataset, brain_key=args.brain_key, model=args.model)
        print(f"Similarity index {args.brain_key!r}: {index.total_index_size} samples")
    elif args.analysis == "duplicates":
        if args.kind in ("exact", "both"):
            brain.find_exact_duplicates(dataset)
        if args.kind in ("approximate", "both"):
            brain.find_approximate_duplicates(
                dataset, brain_key=args.brain_key, thresh=args.thresh, fraction=args.fraction,
                model=args.model,
            )  # fmt: skip
        print("Saved views:", ", ".join(dataset.list_saved_views()))
    else:
        kinds = ["exact", "approximate"] if args.kind == "both" else [args.kind]
        for kind in kinds:
            brain.deduplicate(dataset, kind=kind, keep=args.keep, dry_run=not args.apply)


def _analyze(args: argparse.Namespace) -> None:
    from brain.analyze import analyze

    analyze(args.dir, name=args.name, labels=args.labels, report_dir=args.report,
            overwrite=args.overwrite, label_field=args.label_field,
            lower_threshold=args.outlier_fraction, cc_threshold=args.cc_threshold,
            visualization=None if args.visualization == "none" else args.visualization,
            num_images=args.num_images, extract_dir=args.extract_dir,
            annotations=args.annotations, objects_field=args.objects_field,
            image_size=args.image_size)  # fmt: skip


def _report(args: argparse.Namespace) -> None:
    import dataset_core as dc
    from brain.reports import create_report

    dataset = dc.load_dataset(args.dataset)
    samples = dataset.load_saved_view(args.view) if args.view else dataset
    path = create_report(samples, args.dir, num_images=args.num_images,
                         label_field=args.label_field, slice=args.slice,
                         lazy_load=args.lazy_load)  # fmt: skip
    print(f"Report: {path}")


def _app(args: argparse.Namespace) -> None:
    import dataset_core as dc

    dataset = dc.load_dataset(args.dataset) if args.dataset else None
    view = dataset.load_saved_view(args.view) if dataset is not None and args.view else None
    session = dc.launch_app(dataset, view=view, port=args.port, address=args.address, auto=False,
                           token=False if args.no_token else None)  # fmt: skip
    if args.open:
        session.open()
    print("Press Ctrl-C to stop the dashboard.", flush=True)
    session.wait(-1)
    session.close()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dsc``."""
    from dataset_core import formats
    from dataset_core.exporters import EXPORT_TYPES
    from dataset_core.importers import DATASET_TYPES, LOSSLESS, PARSERS

    formats.register()  # the labeled formats (fo.types) too
    import_types = sorted(set(DATASET_TYPES) | set(PARSERS) | set(LOSSLESS))

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

    p = sub.add_parser("trash", help="list trash folders, or restore one (files and samples)")
    p.add_argument("action", choices=["list", "restore"])
    p.add_argument("dir", nargs="?", help="restore: a trash folder or its name (default latest)")
    p.set_defaults(func=_trash)

    p = sub.add_parser("import", help="make a dataset from a folder")
    p.add_argument("dir")
    p.add_argument("--name", required=True)
    p.add_argument("--type", default="images", choices=import_types)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_import)

    p = sub.add_parser("export", help="write a dataset (or a saved view) to a folder")
    p.add_argument("name", help="the dataset")
    p.add_argument("dir", help="the export directory")
    p.add_argument(
        "--type",
        choices=sorted(EXPORT_TYPES),
        help="default: the classification tree with --label-field, else manifest",
    )
    p.add_argument("--label-field", help="the Classification field of a classification tree")
    p.add_argument("--view", help="export this saved view instead of the whole dataset")
    media = p.add_mutually_exclusive_group()
    media.add_argument("--symlink", action="store_true", help="link the images, don't copy")
    media.add_argument("--no-media", action="store_true", help="manifest only: keep filepaths")
    p.add_argument("--overwrite", action="store_true", help="write into a non-empty directory")
    p.set_defaults(func=_export)

    p = sub.add_parser("brain", help="run an analysis on a dataset")
    p.add_argument("analysis", choices=["uniqueness", "similarity", "duplicates", "dedup"])
    p.add_argument("dataset")
    p.add_argument("--brain-key", default="sim", help="similarity index to use or create")
    p.add_argument("--model", default=None, help="embedding model (default efficientnet-lite0)")
    p.add_argument("--kind", choices=["exact", "approximate", "both"], default="both")
    p.add_argument("--thresh", type=float, default=None, help="cosine-distance threshold")
    p.add_argument("--fraction", type=float, default=None, help="mark this fraction as dups")
    p.add_argument("--keep", choices=["first", "largest", "most_central"], default="first")
    p.add_argument("--apply", action="store_true", help="dedup: really delete (default: dry run)")
    p.set_defaults(func=_brain)

    p = sub.add_parser("analyze", help="import a folder and run every dataset-health analysis")
    p.add_argument("dir", help="a folder, a <class>/<image> tree, a file list or a tar/zip")
    p.add_argument("--name", help="the dataset's name (default: the folder's)")
    p.add_argument(
        "--labels",
        choices=["none", "dir-tree"],
        default="none",
        help="dir-tree: each image's class is its folder's name",
    )
    p.add_argument("--report", metavar="DIR", help="write the HTML galleries here")
    p.add_argument("--label-field", default="ground_truth")
    p.add_argument(
        "--annotations",
        metavar="PATH",
        help="boxes to analyse as objects too: a COCO .json, a YOLOv5 folder (data.yaml) "
        "or a fastdup annotations .csv (filename,col_x,row_y,width,height,label)",
    )
    p.add_argument(
        "--objects-field",
        default=None,
        help="the Detections field the boxes go into (default: detections)",
    )
    p.add_argument("--outlier-fraction", type=float, default=0.05, help="tag this fraction")
    p.add_argument("--cc-threshold", type=float, default=0.96, help="clusters' similarity")
    p.add_argument(
        "--visualization",
        choices=["auto", "umap", "tsne", "pca", "none"],
        default="auto",
        help="the 2-D map (auto: umap if installed, else pca)",
    )
    p.add_argument("--num-images", type=int, default=20, help="rows per gallery")
    p.add_argument("--extract-dir", help="where an archive is extracted")
    p.add_argument("--image-size", type=int, default=None, help="embedding model input side")
    p.add_argument("--overwrite", action="store_true", help="replace a dataset of that name")
    p.set_defaults(func=_analyze)

    p = sub.add_parser("report", help="write the HTML galleries of an analysed dataset")
    p.add_argument("dataset")
    p.add_argument("dir")
    p.add_argument("--view", help="report on this saved view only")
    p.add_argument("--label-field", default="auto")
    p.add_argument("--slice", help="only rows with this label, or diff / same")
    p.add_argument("--num-images", type=int, default=20, help="rows per gallery")
    p.add_argument("--lazy-load", action="store_true", help="thumbnails as files, not inlined")
    p.set_defaults(func=_report)

    p = sub.add_parser("app", help="the browser dashboard")
    p.add_argument("action", choices=["launch"])
    p.add_argument("dataset", nargs="?", help="the dataset to show")
    p.add_argument("--view", help="show this saved view of the dataset")
    p.add_argument("--port", type=int, default=5151)
    p.add_argument(
        "--address",
        default="127.0.0.1",
        help="interface to listen on (0.0.0.0 exposes it to the network)",
    )
    p.add_argument(
        "--no-token",
        action="store_true",
        help="serve a loopback dashboard without its token (any local account can use it)",
    )
    p.add_argument("--open", action="store_true", help="open it in the system's browser")
    p.set_defaults(func=_app)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``dsc``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (DatasetCoreError, OSError) as e:  # the user's to fix; anything else is a bug
        if args.traceback:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
