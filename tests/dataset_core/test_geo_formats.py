"""GeoLocation and GeoJSONDataset: locations survive an export and an import."""

from __future__ import annotations

import json

import pytest

import dataset_core as fo
from tests.conftest import write_image


@pytest.fixture
def located(database, tmp_path):
    ds = fo.Dataset("located")
    ds.add_samples(
        [
            fo.Sample(
                str(write_image(tmp_path / "_images" / "a.jpg", seed=1)),
                coordinates=fo.GeoLocation(point=[-73.77, 40.76]),
                weather=fo.Classification(label="sunny"),
            ),
            fo.Sample(
                str(write_image(tmp_path / "_images" / "b.jpg", seed=2)),
                coordinates=fo.GeoLocation(point=[-74.0, 40.72], line=[[-74, 40], [-73, 41]]),
                weather=fo.Classification(label="cloudy"),
            ),
            fo.Sample(str(write_image(tmp_path / "_images" / "c.jpg", seed=3))),
        ]
    )
    return ds


def test_geolocation_checks_coordinates():
    loc = fo.GeoLocation(point=[1, 2], polygon=[[[0, 0], [1, 0], [1, 1], [0, 0]]])
    assert loc.point == [1.0, 2.0]
    assert fo.GeoLocation.from_dict(loc.to_dict()) == loc
    with pytest.raises(fo.LabelValidationError, match="point"):
        fo.GeoLocation(point=[1, 2, 3])


def test_geojson_round_trip_with_properties(located, tmp_path):
    out = tmp_path / "geo"
    located.export(
        str(out),
        dataset_type=fo.types.GeoJSONDataset,
        property_makers={"weather": lambda lab: lab.label if lab else None},
    )
    content = json.loads((out / "labels.json").read_text())
    assert content["type"] == "FeatureCollection"
    first = content["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [-73.77, 40.76]}
    assert first["properties"] == {"filename": "a.jpg", "weather": "sunny"}
    assert content["features"][1]["geometry"]["type"] == "GeometryCollection"
    back = fo.Dataset.from_dir(
        str(out),
        fo.types.GeoJSONDataset,
        location_field="coordinates",
        property_parsers={"weather": lambda v: fo.Classification(label=v)},
    )
    assert len(back) == 3
    assert back.count("coordinates") == 2  # the third has no geometry
    by_name = {s.filepath.rsplit("/", 1)[-1]: s for s in back}
    assert by_name["b.jpg"].coordinates.line == [[-74.0, 40.0], [-73.0, 41.0]]
    assert by_name["a.jpg"].weather.label == "sunny"


def test_geojson_labels_only_with_and_without_abs_paths(located, tmp_path):
    labels = tmp_path / "only" / "labels.json"
    located.export(labels_path=str(labels), dataset_type="GeoJSONDataset")
    back = fo.Dataset.from_dir(
        data_path=str(tmp_path / "_images"),
        labels_path=str(labels),
        dataset_type=fo.types.GeoJSONDataset,
    )
    assert sorted(back.values("filepath")) == sorted(located.values("filepath"))
    assert back.count("location") == 2
    labels2 = tmp_path / "abs" / "labels.json"
    located.export(labels_path=str(labels2), dataset_type=fo.types.GeoJSONDataset, abs_paths=True)
    back2 = fo.Dataset.from_dir(labels_path=str(labels2), dataset_type=fo.types.GeoJSONDataset)
    assert sorted(back2.values("filepath")) == sorted(located.values("filepath"))


def test_geojson_export_needs_a_location_field(database, tmp_path):
    ds = fo.Dataset("nowhere")
    ds.add_sample(fo.Sample(str(write_image(tmp_path / "x.jpg", seed=1))))
    with pytest.raises(fo.ExportError, match="GeoLocation"):
        ds.export(str(tmp_path / "out"), dataset_type=fo.types.GeoJSONDataset)
