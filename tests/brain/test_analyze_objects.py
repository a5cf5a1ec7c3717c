"""`dsc analyze DIR --annotations F`: the object analyses of fastdup's bounding-box mode,
end to end (brain/analyze.py, brain/sources.py, brain/reports/objects.py).

The scenes are tests/brain/object_data.py's: real photo crops pasted onto a real
brick wall, with an object pasted twice, a noise object, a 6-px box and a horse
labelled cat; here they come as a folder of images plus a COCO file, a fastdup
annotations CSV or a YOLOv5 folder.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import brain
import dataset_core as dc
from dataset_core import db
from dataset_core.config import config
from server.cli import main
from tests.brain.object_data import (
    DUPLICATE,
    FLIPPED,
    HEIGHT,
    NOISE,
    TINY,
    WIDTH,
    build_scenes,
)

FIELD = "detections"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scenes(tmp_path_factory) -> tuple[Path, dict]:
    """The six images in ``images/``, and their layout (file -> [(name, label, box)])."""
    root = tmp_path_factory.mktemp("annotated") / "images"
    root.mkdir()
    return root, build_scenes(root)


def _pixels(box: list[float]) -> list[float]:
    x, y, w, h = box
    return [round(x * WIDTH), round(y * HEIGHT), round(w * WIDTH), round(h * HEIGHT)]


def write_coco(layout: dict, path: Path, folder: str = "") -> Path:
    """A COCO detection file of ``layout``; each annotation's ``name`` says which object;
    ``folder`` is put before every file name."""
    classes = sorted({label for dets in layout.values() for _, label, _ in dets})
    images, anns = [], []
    for i, (file, dets) in enumerate(layout.items(), 1):
        images.append({"id": i, "file_name": folder + file, "width": WIDTH, "height": HEIGHT})
        for name, label, box in dets:
            anns.append({"id": len(anns) + 1, "image_id": i, "bbox": _pixels(box), "area": 1,
                         "category_id": classes.index(label) + 1, "iscrowd": 0,
                         "name": name})  # fmt: skip
    cats = [{"id": n + 1, "name": c} for n, c in enumerate(classes)]
    path.write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    return path


def write_fastdup_csv(layout: dict, path: Path) -> Path:
    """fastdup's annotations file of ``layout`` (pixel boxes, file names relative)."""
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["filename", "col_x", "row_y", "width", "height", "label"])
        for file, dets in layout.items():
            for _, label, box in dets:
                out.writerow([file, *_pixels(box), label])
    return path


def per_object(ds: dc.Dataset, attr: str, key: str = "name") -> dict:
    """Object (by its ``key`` attribute) -> its label's ``attr``."""
    keys = ds.values(f"{FIELD}.detections.{key}")
    values = ds.values(f"{FIELD}.detections.{attr}")
    return {k: v for ks, vs in zip(keys, values, strict=True) if ks
            for k, v in zip(ks, vs, strict=True)}  # fmt: skip


def test_analyze_with_coco_annotations_finds_the_planted_objects(database, scenes, tmp_path):
    root, layout = scenes
    coco = write_coco(layout, tmp_path / "instances.json")
    report = tmp_path / "report"
    res = brain.analyze(str(root), name="annotated", annotations=str(coco),
                        report_dir=str(report), visualization=None, verbose=False,
                        progress=False)  # fmt: skip
    c = res.counts
    assert (c["objects"], c["objects_skipped"], c["objects_unreadable"]) == (18, 1, 0)
    assert (c["object_duplicates"], c["object_duplicate_groups"]) == (2, 1)
    assert c["object_outliers"] == 1  # the lowest 5 % of the 17 scored objects
    assert c["object_label_issues"] >= 1  # the flipped horse ranks first or second (below)
    summary = res.summary
    assert "Imported 18 objects of 6 images from the COCO annotations " \
           f"{coco} into 'detections'" in summary  # fmt: skip
    assert "Found 18 objects in 'detections'; skipped 1 objects smaller than 8 px" in summary
    assert any(line.startswith("Found 2 duplicate objects in 1 groups") for line in summary)
    assert any(line.startswith("Found 1 object outliers (lowest 5 %)") for line in summary)
    assert any(line.startswith(f"Found {c['object_label_issues']} objects whose label their "
                               "nearest objects disagree with") for line in summary)  # fmt: skip
    for stage in ("object embeddings + kNN graph", "object near-duplicates", "object outliers",
                  "object uniqueness", "object label issues"):  # fmt: skip
        assert stage in res.stages

    # the values are in the imported labels (the COCO file's own attributes kept)
    ds = dc.load_dataset("annotated")
    assert ds.count(f"{FIELD}.detections") == 18
    assert per_object(ds, "label")[FLIPPED] == "cat"
    groups = per_object(ds, "approx_dup_group_id")
    assert groups["rocket_1"] is not None and groups["rocket_1"] == groups[DUPLICATE]
    assert sum(g is not None for g in groups.values()) == 2
    unique = per_object(ds, "uniqueness")
    assert unique[TINY] is None and max(unique, key=lambda k: unique[k] or 0) == NOISE
    assert per_object(ds, "suggested_label")[FLIPPED] == "horse"
    assert FLIPPED in {n for ns in ds.select_labels(tags="label_issue")
                       .values(f"{FIELD}.detections.name") for n in ns}  # fmt: skip
    outliers = ds.select_labels(tags="outlier").values(f"{FIELD}.detections.name")
    assert [n for ns in outliers for n in ns] == [NOISE]
    assert ds.classes[FIELD] == sorted({lab for d in layout.values() for _, lab, _ in d})
    runs = set(ds.list_brain_runs())
    assert {"sim", f"{FIELD}_sim", f"{FIELD}_duplicates", f"{FIELD}_outliers",
            f"{FIELD}_uniqueness", f"{FIELD}_label_issues"} <= runs  # fmt: skip
    assert sorted(ds.list_brain_runs(type="similarity")) == [f"{FIELD}_sim", "sim"]  # one each

    # the report: the three object galleries, linked from the index with their counts
    ids = per_object(ds, "id")
    index = (report / "index.html").read_text()
    for kind, page, count in (
        ("object-duplicates", "objects_detections_duplicates.html", "2 objects in 1 groups"),
        ("object-outliers", "objects_detections_outliers.html", "1 object outliers of 17 scored"),
        ("object-label-issues", "objects_detections_label_issues.html",
         f"{c['object_label_issues']} objects"),
    ):  # fmt: skip
        entry = re.search(rf'<tr data-gallery="{kind}" data-field="detections">(.*?)</tr>',
                          index)  # fmt: skip
        assert entry and f'href="{page}"' in entry[1] and count in entry[1], kind
    dups = (report / "objects_detections_duplicates.html").read_text()
    in_rows = re.findall(r'data-label-id="([0-9a-f]+)"', dups)
    assert sorted(in_rows) == sorted([ids["rocket_1"], ids[DUPLICATE]])
    assert dups.count('data-kind="object-duplicates"') == 1
    # each object drawn in context: its image inline, its box outlined in SVG
    assert dups.count('<svg class="in-context"') == 2 and dups.count('<rect class="box"') == 2
    assert 'href="data:image/jpeg;base64,' in dups
    crops = re.findall(
        r'<svg class="crop" viewBox="[^"]+" [^>]*><use href="#o-([0-9a-f]+)"/>', dups
    )
    assert sorted(crops) == sorted(in_rows)  # and its crop beside it, the same image by reference
    outl = (report / "objects_detections_outliers.html").read_text()
    assert re.findall(r'data-label-id="([0-9a-f]+)"', outl)[0] == ids[NOISE]
    assert ids[TINY] not in outl  # never embedded, never scored
    issues = (report / "objects_detections_label_issues.html").read_text()
    flagged = re.findall(r'data-label-id="([0-9a-f]+)"', issues)
    assert ids[FLIPPED] in flagged[:2]
    card = issues[issues.index(f'data-label-id="{ids[FLIPPED]}"') :]
    card = card[: card.index("</div>")]
    assert 'data-label="cat"' in card and 'neighbours say <span class="label">horse' in card
    for page in report.glob("*.html"):  # offline: nothing fetched from anywhere
        assert not re.search(r'(src|href)="(https?:)?//', page.read_text()), page.name


def _dsc(*argv: str, home: Path) -> subprocess.CompletedProcess:
    """``dsc ...`` in a new process, on this test's database."""
    env = dict(os.environ, PYTHONPATH=str(REPO), DATASET_CORE_DATABASE_URI=db.database_uri(),
               DATASET_CORE_DATABASE_NAME=config.database_name, DATASET_CORE_HOME=str(home),
               DATASET_CORE_SHOW_PROGRESS="0")  # fmt: skip
    code = "import sys; from server.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *argv], env=env, cwd=str(REPO),
                          capture_output=True, text=True, timeout=600)  # fmt: skip


def test_dsc_analyze_reads_a_fastdup_annotations_csv(database, scenes, tmp_path):
    root, layout = scenes
    table = write_fastdup_csv(layout, tmp_path / "annotations.csv")
    report = tmp_path / "report"
    argv = ["analyze", str(root), "--name", "boxes", "--annotations", str(table),
            "--report", str(report), "--visualization", "none"]  # fmt: skip
    proc = _dsc(*argv, home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert (f"Imported 18 objects of 6 images from the fastdup CSV annotations {table} "
            "into 'detections'") in out  # fmt: skip
    assert "Found 18 objects in 'detections'; skipped 1 objects smaller than 8 px" in out
    assert any(line.startswith("Found 2 duplicate objects in 1 groups") for line in out)
    assert any(line.startswith("Found 1 object outliers") for line in out)
    assert f"Report: {report / 'index.html'}" in out

    ds = dc.load_dataset("boxes")  # written by the other process
    left = {f"{os.path.basename(s.filepath)}@{d.bounding_box[0]:.3f}": d
            for s in ds for d in s[FIELD].detections}  # fmt: skip
    by_name = {name: left[f"{file}@{box[0]:.3f}"] for file, dets in layout.items()
               for name, _, box in dets}  # fmt: skip
    assert by_name["rocket_1"]["approx_dup_group_id"] == by_name[DUPLICATE]["approx_dup_group_id"]
    assert "outlier" in by_name[NOISE].tags and by_name[FLIPPED]["suggested_label"] == "horse"
    assert by_name[TINY]["outlier_score"] is None
    index = (report / "index.html").read_text()
    assert 'href="objects_detections_duplicates.html"' in index
    dups = (report / "objects_detections_duplicates.html").read_text()
    assert f'data-label-id="{by_name[DUPLICATE].id}"' in dups
    assert f'data-label-id="{by_name["rocket_1"].id}"' in dups


def test_analyze_reads_a_yolov5_folder_with_its_splits(database, scenes, tmp_path):
    root, layout = scenes
    yolo = tmp_path / "yolo"
    classes = sorted({label for dets in layout.values() for _, label, _ in dets})
    for n, (file, dets) in enumerate(layout.items()):
        split = "val" if n == 0 else "train"
        (yolo / "images" / split).mkdir(parents=True, exist_ok=True)
        (yolo / "labels" / split).mkdir(parents=True, exist_ok=True)
        shutil.copy(root / file, yolo / "images" / split / file)
        lines = [f"{classes.index(lab)} {x + w / 2:.6f} {y + h / 2:.6f} {w:.6f} {h:.6f}"
                 for _, lab, (x, y, w, h) in dets]  # fmt: skip
        (yolo / "labels" / split / file.replace(".jpg", ".txt")).write_text("\n".join(lines))
    (yolo / "data.yaml").write_text(
        f"path: .\ntrain: images/train\nval: images/val\nnames: {json.dumps(classes)}\n"
    )
    res = brain.analyze(str(yolo / "images"), name="yolo", annotations=str(yolo),
                        visualization=None, verbose=False, progress=False)  # fmt: skip
    assert res.counts["objects"] == 18 and res.counts["object_duplicate_groups"] == 1
    ds = res.dataset
    tags = ds.count_sample_tags()
    assert (tags["train"], tags["val"]) == (5, 1)  # the YAML's splits
    assert "Found 0 train/val leaks" in res.summary
    assert ds.classes[FIELD] == classes


@pytest.mark.parametrize(
    "content, name, message",
    [
        ('{"images": [{"id": 1, "file_name": "planted.jpg"}], "annotations": '
         '[{"id": 7, "image_id": 1, "bbox": [1, 2, -3, 4]}]}', "bad.json",
         "annotations[0] (id 7)"),
        ("filename,col_x,row_y,width,height,label\nplanted.jpg,a,2,3,4,cat\n", "bad.csv",
         "line 2"),
        ("filename,x,y\n", "bad.csv", "lacks columns"),
        ("hello", "boxes.txt", "Cannot tell the format of the annotations"),
    ],
)  # fmt: skip
def test_malformed_annotations_are_one_line_and_import_nothing(
    database, scenes, tmp_path, capsys, content, name, message
):
    root, _ = scenes
    bad = tmp_path / name
    bad.write_text(content)
    assert main(["analyze", str(root), "--name", "never", "--annotations", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1
    assert message in captured.err
    assert not dc.dataset_exists("never") and dc.list_datasets() == []


def test_annotations_join_a_dataset_imported_earlier(database, scenes, tmp_path):
    root, layout = scenes
    first = brain.analyze(str(root), name="again", visualization=None, verbose=False,
                          progress=False)  # fmt: skip
    assert "objects" not in first.counts and FIELD not in first.dataset.get_field_schema()
    coco = write_coco(layout, tmp_path / "coco.json")
    res = brain.analyze(str(root), name="again", annotations=str(coco), visualization=None,
                        verbose=False, progress=False)  # fmt: skip
    assert any(line.startswith("Reusing dataset 'again'") for line in res.summary)
    assert res.counts["objects"] == 18 and res.counts["object_duplicate_groups"] == 1
    assert dc.list_datasets() == ["again"] and len(res.dataset) == 6
    # and the dataset itself, given with annotations: the boxes are replaced, runs redone
    res = brain.analyze(res.dataset, annotations=str(coco), visualization=None, verbose=False,
                        progress=False)  # fmt: skip
    assert res.counts["objects"] == 18 and res.counts["object_duplicates"] == 2
    groups = per_object(res.dataset, "approx_dup_group_id")
    assert groups["rocket_1"] is not None and groups["rocket_1"] == groups[DUPLICATE]


def test_annotations_without_boxes_analyse_the_images_alone(database, scenes, tmp_path):
    root, _ = scenes
    table = tmp_path / "annotations.csv"
    table.write_text("filename,col_x,row_y,width,height,label\n")
    res = brain.analyze(str(root), name="bare", annotations=str(table), visualization=None,
                        verbose=False, progress=False, report_dir=str(tmp_path / "r"))  # fmt: skip
    assert res.counts["objects"] == 0 and "object_duplicates" not in res.counts
    assert "Found 0 objects in 'detections'" in res.summary
    assert "6 images have no annotations (no objects in 'detections')" in res.summary
    assert "Object duplicates" not in (tmp_path / "r" / "index.html").read_text()


def test_annotations_naming_files_of_another_machine_match_by_file_name(database, scenes,
                                                                        tmp_path):  # fmt: skip
    root, layout = scenes
    coco = write_coco(layout, tmp_path / "coco.json", folder="/data/of/someone/else/")
    res = brain.analyze(str(root), name="moved", annotations=str(coco), visualization=None,
                        verbose=False, progress=False)  # fmt: skip
    assert "Matched 6 annotated images by file name alone (the paths the annotations give " \
           "do not exist here)" in res.summary  # fmt: skip
    assert res.counts["objects"] == 18 and res.counts["object_duplicate_groups"] == 1
