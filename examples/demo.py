"""Demo: a dataset of real photos, built offline, with exact duplicates found.

The photos are the ones that ship inside the scikit-image and scikit-learn
wheels. The demo copies them into a classification tree under ``demo-data/``,
adds a few exact copies (so there is something to find), imports the tree,
computes file hashes and image metadata, and prints what it found.

Run: ``bash scripts/demo.sh`` (or ``.venv/bin/python examples/demo.py``).
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
from pathlib import Path

import dataset_core as dc

#: class -> photos (file names inside skimage/data or sklearn/datasets/images)
PHOTOS = {
    "animals": ["chelsea.png", "horse.png"],
    "people": ["astronaut.png", "camera.png"],
    "objects": ["coffee.png", "rocket.jpg", "motorcycle_left.png", "motorcycle_right.png",
                "clock_motion.png", "coins.png"],
    "scenes": ["china.jpg", "flower.jpg", "hubble_deep_field.jpg", "moon.png"],
    "textures": ["brick.png", "grass.png", "gravel.png"],
}  # fmt: skip
#: photos copied a second time under another name: the exact duplicates to find
COPIES = {"animals": "chelsea.png", "objects": "coffee.png", "scenes": "china.jpg"}


def _photo_dirs() -> list[Path]:
    dirs = []
    for pkg, sub in (("skimage", "data"), ("sklearn", "datasets/images")):
        spec = importlib.util.find_spec(pkg)
        if spec and spec.origin:
            dirs.append(Path(spec.origin).parent / sub)
    return dirs


def build_tree(root: Path) -> Path:
    """Copy the photos into ``root/<class>/<photo>``; returns ``root``."""
    sources = {p.name: p for d in _photo_dirs() if d.is_dir() for p in d.iterdir()}
    missing = [n for names in PHOTOS.values() for n in names if n not in sources]
    if len(missing) == sum(len(v) for v in PHOTOS.values()):
        sys.exit("error: no photos found; install the demo extra: pip install -e '.[demo]'")
    if root.exists():
        shutil.rmtree(root)
    for label, names in PHOTOS.items():
        (root / label).mkdir(parents=True)
        for name in names:
            if name in sources:
                shutil.copy(sources[name], root / label / name)
    for label, name in COPIES.items():
        if (root / label / name).exists():
            stem, ext = name.rsplit(".", 1)
            shutil.copy(root / label / name, root / label / f"{stem}_copy.{ext}")
    (root / "scenes" / "README.txt").write_text("not an image: the import skips it\n")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="demo-data/photos", help="where to put the photos")
    parser.add_argument("--name", default="demo-photos", help="dataset name")
    args = parser.parse_args()

    root = build_tree(Path(args.data).resolve())
    samples, classes = dc.parse_image_classification_dir_tree(str(root))
    dataset = dc.Dataset.from_image_classification_samples(samples, name=args.name, overwrite=True)
    print(f"\nImported {len(dataset)} photos in {len(classes)} classes: {classes}")

    print(dataset.compute_metadata())
    hashes = {}
    for sample in dataset:
        sample["file_hash"] = dc.compute_filehash(sample.filepath)
        sample.save()
        hashes.setdefault(sample.file_hash, []).append(sample)
    for group in (g for g in hashes.values() if len(g) > 1):
        for sample in group[1:]:
            sample.add_tag("dup")
            sample.save()
        names = ", ".join(Path(s.filepath).name for s in group)
        print(f"Exact duplicates: {names}")

    print()
    print(dataset.summary())
    print()
    for sample in dataset.head(2):
        print(sample)
    print(f"\nDataset '{dataset.name}' is stored in MongoDB ({dc.db.database_uri()}).")
    print(f"Inspect it again with: .venv/bin/dsc datasets info {dataset.name}")


if __name__ == "__main__":
    main()
