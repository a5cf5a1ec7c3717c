"""Seed 000, "Exploring Image Uniqueness with FiftyOne", with our API.

Part 1 finds near-duplicates by uniqueness in the zoo's CIFAR-10 test split;
part 2 ranks a folder of unlabeled images. The code is the walkthrough's with
the import lines changed. Without the internet the zoo reads a local copy of
the official archive: ``--cifar-dir`` names the folder holding
``cifar-10-python.tar.gz``; by default a small archive in the official layout
is written from the real photos that ship inside the scikit-image and
scikit-learn wheels, with planted copies (``demo.build_cifar_archive``). Part 2
uses those photos in place of the Flickr download. Where it asks you to tick
duplicates in the dashboard, ``--auto`` ticks the two least unique images for
you instead of waiting.

Run: ``.venv/bin/python examples/walkthrough_uniqueness.py [--auto] [--port 0] [--cifar-dir D]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo import build_cifar_archive, build_tree  # noqa: E402

import brain as fob  # noqa: E402  (import fiftyone.brain as fob)
import dataset_core as fo  # noqa: E402  (import fiftyone as fo)
import dataset_core.zoo as foz  # noqa: E402  (import fiftyone.zoo as foz)


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="demo-data/uniqueness")
    parser.add_argument("--port", type=int, default=5151)
    parser.add_argument("--auto", action="store_true", help="tick for me; never wait for Enter")
    parser.add_argument("--cifar-dir", help="a folder holding the official cifar-10-python.tar.gz")
    args = parser.parse_args(argv)
    root = build_tree(Path(args.data).resolve())

    # Part 1: finding duplicate and near-duplicate images
    cifar_dir = args.cifar_dir or build_cifar_archive(root.parent / "zoo-cifar10", root)
    # Load the test split (automatically download if needed)
    dataset = foz.load_zoo_dataset("cifar10", split="test", dataset_dir=cifar_dir)
    fob.compute_uniqueness(dataset)
    # Now the samples have a "uniqueness" field on them
    print(dataset.summary())
    print(dataset.view().first())
    # Sort in increasing order of uniqueness (least unique first)
    dups_view = dataset.view().sort_by("uniqueness")
    session = fo.launch_dashboard(view=dups_view, port=args.port, auto=False)
    if args.auto:
        session.selected = dups_view.limit(2).values("id")  # what two ticks do
    else:
        input(f"Tick the duplicates at {session.url}, then press Enter here ")
    dup_ids = session.selected
    dups_view = dataset.view().select(dup_ids)
    for sample in dups_view:
        sample.add_tag("dup")
        sample.save()
    session.view = dups_view
    print("Tagged as dup:", [Path(p).name for p in dups_view.values("filepath")])

    # Part 2: finding unique samples in a folder of images
    dataset = fo.Dataset.from_images_dir(str(root), recursive=True, name="flickr-images",
                                         overwrite=True)  # fmt: skip
    print(dataset.summary())
    print(dataset.view().first())
    session.dataset = dataset
    fob.compute_uniqueness(dataset)
    print(dataset.summary())
    print(dataset.view().first())
    rank_view = dataset.view().sort_by("uniqueness", reverse=True)
    session.view = rank_view
    print(rank_view.first())  # the most unique sample: uniqueness exactly 1.0
    ten_best = [x.filepath for x in rank_view.limit(10)]
    for filepath in ten_best:
        print(filepath)
    session.close()
    return ten_best


if __name__ == "__main__":
    main()
