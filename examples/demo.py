"""Demo: a dataset of real photos, built offline, cleaned of its duplicates.

The photos are the ones that ship inside the scikit-image and scikit-learn
wheels. The demo copies them into a classification tree under ``demo-data/``,
plants exact and near copies (so there is something to find), imports the
tree, computes metadata, then runs the brain: file hashes, embeddings,
uniqueness, exact and near duplicates, and a dedup dry run; and it ends by
serving the dashboard on the photos, printing its URL.

Run: ``bash scripts/demo.sh`` (or ``.venv/bin/python examples/demo.py``).
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
from pathlib import Path

from PIL import Image, ImageOps

import brain
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
    rocket = root / "objects" / "rocket.jpg"
    if rocket.exists():  # a near copy: smaller, mirrored, re-encoded
        img = Image.open(rocket)
        img = ImageOps.mirror(img.resize((img.width * 2 // 3, img.height * 2 // 3)))
        img.save(root / "objects" / "rocket_small.jpg", quality=40)
    (root / "scenes" / "README.txt").write_text("not an image: the import skips it\n")
    return root


def build_cifar_archive(folder: Path, root: Path) -> Path:
    """Write ``folder/cifar-10-python.tar.gz`` in CIFAR-10's official layout.

    Its test batch holds the photos of ``root`` (from :func:`build_tree`, copies
    included) at CIFAR's 32x32, labelled by their folder; the zoo then reads it
    through the same code as the real archive. Returns ``folder``.
    """
    import io
    import pickle
    import tarfile

    import numpy as np

    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".png", ".jpg"))
    classes = sorted({p.parent.name for p in paths})
    rows = [np.asarray(Image.open(p).convert("RGB").resize((32, 32))) for p in paths]
    data = np.stack(rows).transpose(0, 3, 1, 2).reshape(len(rows), -1)  # CIFAR's row layout
    batch = {b"data": data, b"labels": [classes.index(p.parent.name) for p in paths],
             b"filenames": [p.name.encode() for p in paths]}  # fmt: skip
    members = {"batches.meta": {b"label_names": [c.encode() for c in classes]},
               "test_batch": batch}  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / "cifar-10-python.tar.gz", "w:gz") as tar:
        for name, obj in members.items():
            blob = pickle.dumps(obj)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="demo-data/photos", help="where to put the photos")
    parser.add_argument("--name", default="demo-photos", help="dataset name")
    parser.add_argument("--port", type=int, default=5151, help="the dashboard's port")
    parser.add_argument(
        "--no-serve",
        action="store_true",
        help="print the summary and exit instead of serving the dashboard",
    )
    args = parser.parse_args()

    root = build_tree(Path(args.data).resolve())
    samples, classes = dc.parse_image_classification_dir_tree(str(root))
    dataset = dc.Dataset.from_image_classification_samples(samples, name=args.name, overwrite=True)
    print(f"\nImported {len(dataset)} photos in {len(classes)} classes: {classes}")

    print(dataset.compute_metadata())
    brain.find_exact_duplicates(dataset)
    brain.compute_similarity(dataset, brain_key="sim")
    brain.compute_uniqueness(dataset, brain_key="sim")
    index = brain.find_approximate_duplicates(dataset, brain_key="sim")
    for rep, dups in index.neighbors_map.items():
        names = [Path(dataset[i].filepath).name for i in [rep] + [d for d, _ in dups]]
        print(f"  near-duplicate group: {', '.join(names)}")
    rank = dataset.sort_by("uniqueness", reverse=True)
    print("Most unique:", ", ".join(Path(p).name for p in rank.limit(3).values("filepath")))
    least = dataset.sort_by("uniqueness").limit(3)
    print("Least unique:", ", ".join(Path(p).name for p in least.values("filepath")))
    brain.deduplicate(dataset, kind="approximate", keep="largest")  # dry run: prints the plan
    print()
    print(dataset.summary())
    print()
    for sample in dataset.head(2):
        print(sample)
    where = dc.db.mask_uri(dc.db.database_uri())
    print(f"\nDataset '{dataset.name}' is stored in MongoDB ({where}).")
    print(f"Saved views: {dataset.list_saved_views()}")
    print(f"Inspect it again with: .venv/bin/dsc datasets info {dataset.name}")
    if args.no_serve:
        print(f"Look at it with: .venv/bin/dsc app launch {dataset.name}")
        return
    session = dc.launch_app(dataset, view=rank, port=args.port, auto=False)
    print("The dashboard shows the photos, most unique first; Ctrl-C stops it.")
    print(f"Open {session.url}", flush=True)
    session.wait(-1)


if __name__ == "__main__":
    main()
