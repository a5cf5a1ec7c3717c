"""One error tree: every error class says its HTTP status; a bug is a 500 with
its traceback logged, never a "bad request"."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import brain
import brain.errors
import dataset_core.errors
import server.errors
import server.serve
import server.state
import server.thumbnails
from dataset_core import runs
from dataset_core.errors import DatasetCoreError
from server import errors
from server.cli import main

MODULES = (dataset_core.errors, runs, brain.errors, server.errors, server.state,
           server.thumbnails, server.serve)  # fmt: skip


def error_classes() -> list[type]:
    found = [v for m in MODULES for v in vars(m).values() if isinstance(v, type)]
    return [v for v in found if issubclass(v, Exception) and v.__module__.startswith(
        ("dataset_core", "brain", "server"))]  # fmt: skip


@pytest.mark.unit
def test_every_error_class_is_under_the_root_with_its_status():
    classes = error_classes()
    assert len(classes) >= 20
    for cls in classes:
        assert issubclass(cls, DatasetCoreError), cls
        assert isinstance(cls.http_status, int) and 400 <= cls.http_status < 600, cls
        if cls.__bases__[0] is DatasetCoreError:  # each branch says its own status
            assert "http_status" in vars(cls), cls
    assert issubclass(brain.errors.BrainError, ValueError)
    status = {c.__name__: c.http_status for c in classes}
    assert status == {**status, **{  # the statuses the server answered before, and the new 404s
        "MediaForbiddenError": 403, "DatasetNotFoundError": 404, "SampleNotFoundError": 404,
        "SavedViewNotFoundError": 404, "BrainRunNotFoundError": 404, "ThumbnailError": 422,
        "DatasetExistsError": 409, "DuplicateSampleError": 409, "JobConflictError": 409,
        "DatabaseError": 503, "StateError": 400, "FieldNotFoundError": 400, "ViewError": 400,
        "BrainError": 400, "JobNotFoundError": 404, "OperatorNotFoundError": 404}}  # fmt: skip


def app_raising(exc: BaseException) -> TestClient:
    app = FastAPI()
    errors.install(app)

    @app.get("/boom")
    def boom() -> None:
        raise exc

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.unit
@pytest.mark.parametrize(("exc", "status"), [
    (brain.errors.BrainError("thresh must be in [0, 2]"), 400),
    (server.state.StateError("Unknown state keys ['x']"), 400),
    (runs.BrainRunNotFoundError("no brain run 'x'"), 404),
    (dataset_core.errors.DatabaseError("database down"), 503),
    (server.errors.MediaForbiddenError("not the filepath of a sample"), 403),
])  # fmt: skip
def test_our_errors_answer_their_status_and_one_line(exc, status):
    r = app_raising(exc).get("/boom")
    assert r.status_code == status and r.json() == {"error": str(exc)}


@pytest.mark.unit
def test_a_bug_is_a_500_with_its_traceback_logged(caplog):
    def bug() -> None:
        np.zeros(3) @ np.zeros(4)  # a plain ValueError from numpy: not the user's fault

    try:
        bug()
    except ValueError as e:
        exc = e
    with caplog.at_level(logging.ERROR, logger="server"):
        r = app_raising(exc).get("/boom")
    assert r.status_code == 500 and "ValueError" in r.json()["error"]
    logged = [rec for rec in caplog.records if rec.name == "server"]
    assert logged and logged[0].exc_info and logged[0].exc_info[0] is ValueError


def test_cli_shows_a_bug_with_its_traceback_and_a_user_error_in_one_line(
    database, capsys, monkeypatch
):
    assert main(["datasets", "info", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err

    def broken(*_a, **_k):
        raise ValueError("operands could not be broadcast together")

    monkeypatch.setattr("dataset_core.list_datasets", broken)
    with pytest.raises(ValueError, match="broadcast"):
        main(["datasets", "list"])


def test_brain_argument_errors_are_brain_errors(database, tmp_path):
    from tests.conftest import write_image

    for i in range(3):
        write_image(tmp_path / f"{i}.png", seed=i, fmt="PNG")
    ds = dataset_core.Dataset.from_images_dir(str(tmp_path))
    index = brain.compute_similarity(ds, brain_key="s", embeddings=np.eye(3, 4))
    with pytest.raises(brain.errors.BrainError, match="fraction"):
        index.find_duplicates(fraction=2.0)
