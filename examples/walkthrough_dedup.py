"""Seed 001, "Image Deduplication with FiftyOne", step by step with our API.

The walkthrough's CIFAR-100 subset needs a download; this runs the same steps
on the real photos that ship inside the scikit-image and scikit-learn wheels,
copied into a ``<class>/<image>`` tree with planted exact copies (see
``demo.build_tree``). Where the walkthrough asks you to tick images in the
dashboard, ``--auto`` ticks two for you (as a browser would, through the shared
session state) instead of waiting for Enter.

Run: ``.venv/bin/python examples/walkthrough_dedup.py [--auto] [--port 0]``
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo import build_tree  # noqa: E402

import dataset_core as dc  # noqa: E402
from dataset_core import parse_image_classification_dir_tree  # noqa: E402


def main(argv: list[str] | None = None) -> dc.Dataset:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="demo-data/cifar100_with_duplicates")
    parser.add_argument("--export", default="demo-data/export")
    parser.add_argument("--label", default="scenes", help="the walkthrough's 'mountain'")
    parser.add_argument("--port", type=int, default=5151)
    parser.add_argument("--auto", action="store_true", help="tick for me; never wait for Enter")
    args = parser.parse_args(argv)

    # 1. Create a Dataset
    dataset_name = "cifar100_with_duplicates"
    src_data_dir = str(build_tree(Path(args.data).resolve()))
    samples, _ = parse_image_classification_dir_tree(src_data_dir)
    dataset = dc.Dataset.from_image_classification_samples(
        samples, name=dataset_name, overwrite=True
    )

    # 2. Explore the dataset
    print(dataset.summary())
    print(dataset.take(1))
    view = dataset.view().match({"ground_truth.label": args.label})
    print(view.summary())
    print(view.first())
    view = dataset.view().sort_by("ground_truth.label", reverse=True)
    print(view.summary())
    print(view.first())

    # 3. Visualize the dataset
    session = dc.launch_dashboard(dataset=dataset, port=args.port, auto=False)
    session.view = dataset.view().take(10)
    if args.auto:
        session.selected = dataset.view().take(10).limit(2).values("id")  # what two ticks do
    else:
        input(f"Tick a few images at {session.url}, then press Enter here ")
    sample_ids = session.selected
    print(f"Selected in the dashboard: {sample_ids}")
    selected_view = dataset.view().select(session.selected)
    session.view = selected_view

    # 4. Compute file hashes
    for sample in dataset:
        sample["file_hash"] = dc.compute_filehash(sample.filepath)
        sample.save()
    print(dataset.summary())
    print(dataset.view().first())
    session.dataset = dataset  # the dashboard shows the new field

    # 5. Check for duplicates
    pipeline = [
        {"$group": {"_id": "$file_hash", "count": {"$sum": 1}}},
        {"$match": {"count": {"$gt": 1}}},
    ]
    dup_filehashes = [d["_id"] for d in dataset.aggregate(pipeline)]
    print(f"Number of duplicate file hashes: {len(dup_filehashes)}")
    dup_view = dataset.view().match({"file_hash": {"$in": dup_filehashes}}).sort_by("file_hash")
    print(f"Number of images that have a duplicate: {len(dup_view)}")
    print(f"Number of duplicates: {len(dup_view) - len(dup_filehashes)}")
    session.view = dup_view

    # 6. Delete duplicates
    print(f"Length of dataset before: {len(dataset)}")
    _dup_filehashes = set()
    for sample in dup_view:
        if sample.file_hash not in _dup_filehashes:
            _dup_filehashes.add(sample.file_hash)
            continue
        del dataset[sample.id]
    print(f"Length of dataset after: {len(dataset)}")
    print(f"Number of unique file hashes: {len({s.file_hash for s in dataset})}")

    # 7. Export
    dataset.export(label_field="ground_truth", export_dir=args.export, overwrite=True)
    print(f"Exported to {os.path.abspath(args.export)}")
    session.close()
    return dataset


if __name__ == "__main__":
    main()
