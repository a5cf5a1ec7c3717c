"""On a replica set, set_values is one transaction: a failure midway writes nothing."""

from __future__ import annotations

import subprocess
import time

import pymongo
import pytest

import dataset_core as dc
from dataset_core import adding, db, recovery
from dataset_core import dataset as dataset_module
from dataset_core.config import config
from dataset_core.db import service


@pytest.fixture
def replica_set(mongod, tmp_path, monkeypatch):
    """A one-node replica set of the embedded mongod binary, on its own port."""
    port = service._free_port()
    proc = subprocess.Popen(
        [service.find_mongod(), "--replSet", "rs0", "--dbpath", str(tmp_path), "--port",
         str(port), "--bind_ip", "127.0.0.1", "--nounixsocket", "--logpath",
         str(tmp_path / "mongod.log")],
        env=service._mongod_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = pymongo.MongoClient(port=port, directConnection=True,
                                     serverSelectionTimeoutMS=20000)  # fmt: skip
        client.admin.command("replSetInitiate", {"_id": "rs0", "members": [
            {"_id": 0, "host": f"127.0.0.1:{port}"}]})  # fmt: skip
        deadline = time.monotonic() + 30
        while not client.admin.command("hello").get("isWritablePrimary"):
            assert time.monotonic() < deadline, "the replica set elected no primary"
            time.sleep(0.2)
        client.close()
        monkeypatch.setattr(config, "database_uri",
                            f"mongodb://127.0.0.1:{port}/?directConnection=true")  # fmt: skip
        monkeypatch.setattr(config, "database_name", "rs_test")
        db.reset()
        dataset_module._instances.clear()
        yield
    finally:
        db.reset()
        proc.terminate()
        proc.wait(30)
        dataset_module._instances.clear()


def test_set_values_failing_midway_writes_nothing_on_a_replica_set(replica_set, monkeypatch):
    assert recovery.is_replica_set()
    ds = dc.Dataset("rs")
    ds.add_samples([dc.Sample(f"/data/{i}.jpg", score=0.0) for i in range(300)])
    monkeypatch.setattr(adding, "INSERT_BATCH_SIZE", 50)

    def fail(kind, n):
        if kind == "set_values" and n == 150:
            raise RuntimeError("stopped midway")

    monkeypatch.setattr(recovery, "progress_hook", fail)
    with pytest.raises(RuntimeError):
        ds.set_values("score", [1.0] * 300)
    assert ds.count_values("score") == {0.0: 300}  # on a standalone: 150 would be 1.0
    monkeypatch.setattr(recovery, "progress_hook", None)
    ds.set_values("score", [1.0] * 300)
    assert ds.count_values("score") == {1.0: 300}
