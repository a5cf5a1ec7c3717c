"""The ``dsc`` command line, run in-process against the real database."""

from __future__ import annotations

import pytest

import dataset_core as dc
from server.cli import main


def test_import_info_list_delete(database, image_tree, capsys):
    assert (
        main(["import", str(image_tree), "--name", "t", "--type", "classification-dir-tree"]) == 0
    )
    assert "Num samples: 6" in capsys.readouterr().out
    assert dc.load_dataset("t").values("ground_truth.label").count("apple") == 3
    assert main(["datasets", "list"]) == 0
    assert capsys.readouterr().out.split() == ["t"]
    assert main(["datasets", "info", "t"]) == 0
    assert "ground_truth:" in capsys.readouterr().out
    assert main(["datasets", "delete", "t"]) == 0
    assert "image files untouched" in capsys.readouterr().out
    assert dc.list_datasets() == []
    assert all(p.exists() for p in image_tree.rglob("*.jpg"))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["datasets", "info", "nope"], "error: Dataset 'nope' not found; datasets: []"),
        (
            ["import", "/no/such/dir", "--name", "x"],
            "error: Directory '/no/such/dir' does not exist",
        ),
        (["datasets", "delete"], "error: `dsc datasets delete` needs a dataset name"),
    ],
)
def test_errors_are_one_line(database, capsys, argv, message):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_db_status(database, capsys):
    assert main(["db", "status"]) == 0
    assert '"mode": "embedded"' in capsys.readouterr().out


def test_db_start_and_status_never_show_the_password(database, capsys):
    from dataset_core.config import config
    from dataset_core.db import credentials

    if config.database_uri:
        pytest.skip("the suite runs against an external MongoDB")
    creds = credentials.load(config.database_dir)
    assert creds is not None
    assert main(["db", "start"]) == 0
    assert main(["db", "status"]) == 0
    out = capsys.readouterr().out
    assert "MongoDB running at mongodb://dataset_core:***@127.0.0.1:" in out
    assert '"auth": true' in out and creds.password not in out


def test_brain_duplicates_and_dedup_from_the_shell(database, tmp_path, capsys):
    import shutil

    from tests.conftest import write_image

    write_image(tmp_path / "a.png", fmt="PNG", seed=1)
    write_image(tmp_path / "b.png", fmt="PNG", seed=2)
    shutil.copy(tmp_path / "a.png", tmp_path / "a2.png")
    assert main(["import", str(tmp_path), "--name", "t"]) == 0
    assert main(["brain", "duplicates", "t", "--kind", "exact"]) == 0
    out = capsys.readouterr().out
    assert "Found 1 groups of exact duplicates (1 redundant samples)" in out
    assert "exact_dup_view" in out
    assert main(["brain", "dedup", "t", "--kind", "exact"]) == 0
    assert "Would remove 1 samples" in capsys.readouterr().out
    assert len(dc.load_dataset("t")) == 3
    assert main(["brain", "dedup", "t", "--kind", "exact", "--apply"]) == 0
    assert len(dc.load_dataset("t")) == 2


def test_export_and_import_a_fiftyone_dataset_from_the_shell(database, image_tree, tmp_path):
    tree = ["import", str(image_tree), "--name", "t", "--type", "classification-dir-tree"]
    assert main(tree) == 0
    saved = dc.load_dataset("t").values("ground_truth.label")
    out = str(tmp_path / "fo")
    assert main(["export", "t", out, "--type", "fiftyone-dataset"]) == 0
    assert main(["import", out, "--name", "copy", "--type", "fiftyone-dataset"]) == 0
    assert dc.load_dataset("copy").values("ground_truth.label") == saved
