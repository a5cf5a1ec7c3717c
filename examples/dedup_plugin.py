"""Seed 002, the image-deduplication plugin, through the dashboard's operators.

The plugin's eight operators (find exact / approximate duplicates, show their
groups, remove all of them, keep one representative per group) are operators
of our dashboard: open Operators there and run them without code. This script
does what those clicks do, over the same HTTP API, so the whole flow can be
seen (and tested) from a terminal: every destructive step shows its dry run
first, exactly as the dashboard's confirmation does.

Run: ``.venv/bin/python examples/dedup_plugin.py [--port 0]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo import build_tree  # noqa: E402

import dataset_core as dc  # noqa: E402


def operate(client: httpx.Client, name: str, view: list[dict[str, Any]],
            **params: Any) -> dict[str, Any]:  # fmt: skip
    """Preview then run an operator, as the dashboard's Operators panel does."""
    body = {"dataset": "plugin-demo", "view": view, "params": params}
    preview = client.post(f"/api/operators/{name}/preview", json=body).json()
    print(f"[{name}] {preview['message']}")
    # a run confirms its own preview (a destructive operator needs the preview's id)
    job = client.post(f"/api/operators/{name}/run",
                      json={**body, "preview_id": preview["preview_id"]}).json()  # fmt: skip
    while job["status"] == "running":
        time.sleep(0.2)
        job = client.get(f"/api/jobs/{job['id']}").json()
    if job["status"] != "done":
        raise SystemExit(f"[{name}] failed: {job['error']}")
    print(f"[{name}] {job['message']}")
    return job


def main(argv: list[str] | None = None) -> dc.Dataset:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="demo-data/plugin")
    parser.add_argument("--port", type=int, default=5151)
    args = parser.parse_args(argv)
    samples, _ = dc.parse_image_classification_dir_tree(str(build_tree(Path(args.data).resolve())))
    dataset = dc.Dataset.from_image_classification_samples(samples, name="plugin-demo",
                                                           overwrite=True)  # fmt: skip
    session = dc.launch_app(dataset, port=args.port, auto=False)
    auth = {"Authorization": f"Bearer {session.token}"} if session.token else {}
    with httpx.Client(base_url=session.base_url, timeout=600, headers=auth) as client:
        operate(client, "find_exact_duplicates", [])
        operate(client, "find_approximate_duplicates", [])
        print("Saved views:", dataset.list_saved_views())
        operate(client, "display_approximate_duplicate_groups", [])
        print("The dashboard now shows:", session.view)
        operate(client, "deduplicate_exact_duplicates", [], keep="first")
        operate(client, "deduplicate_approximate_duplicates", [], keep="largest")
    print(f"{len(dataset)} samples left; image files untouched")
    session.close()
    return dataset


if __name__ == "__main__":
    main()
