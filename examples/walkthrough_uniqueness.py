"""Seed 000, "Exploring Image Uniqueness with FiftyOne", with our API.

Part 1 finds near-duplicates by uniqueness in a labelled dataset; part 2 ranks
a folder of unlabeled images. The walkthrough's CIFAR-10 (zoo) and Flickr
downloads need the internet, so both parts run on the real photos that ship
inside the scikit-image and scikit-learn wheels, with planted copies (see
``demo.build_tree``). Where it asks you to tick duplicates in the dashboard,
``--auto`` ticks the two least unique images for you instead of waiting.

Run: ``.venv/bin/python examples/walkthrough_uniqueness.py [--auto] [--port 0]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo import build_tree  # noqa: E402

import brain as fob  # noqa: E402  (the walkthrough's name for the brain)
import dataset_core as dc  # noqa: E402


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="demo-data/uniqueness")
    parser.add_argument("--port", type=int, default=5151)
    parser.add_argument("--auto", action="store_true", help="tick for me; never wait for Enter")
    args = parser.parse_args(argv)
    root = build_tree(Path(args.data).resolve())

    # Part 1: finding duplicate and near-duplicate images
    samples, _ = dc.parse_image_classification_dir_tree(str(root))
    dataset = dc.Dataset.from_image_classification_samples(samples, name="photos-test",
                                                           overwrite=True)  # fmt: skip
    fob.compute_uniqueness(dataset)
    print(dataset.summary())
    print(dataset.view().first())
    dups_view = dataset.view().sort_by("uniqueness")
    session = dc.launch_dashboard(view=dups_view, port=args.port, auto=False)
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
    dataset = dc.Dataset.from_images_dir(str(root), recursive=True, name="flickr-images",
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
