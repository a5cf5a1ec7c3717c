"""Images and thumbnails, only of files that samples of the dataset reference.

Files are addressed by sample id (``/media/<dataset>/<id>``,
``/thumb/<dataset>/<id>``, and ``/crop/<dataset>/<id>/<label id>`` for the box of
one of its labels), so a URL can never name a path of its own; the
``/api/media?dataset=&filepath=`` form (for links users paste) serves a path
only when a sample of that dataset has exactly that filepath.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from typing import Any

from bson import ObjectId
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response

from dataset_core.config import config
from dataset_core.errors import DatasetNotFoundError, SampleNotFoundError

from ..context import get_dataset
from ..errors import MediaForbiddenError
from ..thumbnails import (
    MAX_THUMBNAIL_SIZE,
    MEMORY_CACHE_BYTES,
    CachedThumbnail,
    MemoryCache,
    ThumbnailError,
)
from ..thumbnails import load as load_thumbnail

router = APIRouter(tags=["media"])

#: seconds a dataset's collection handle is reused before its name is looked up again
_COLLECTION_TTL = 5.0
#: browsers may keep a thumbnail this long without asking; ids never change files
#: in place, and an edited image gets a new cache key (see server/thumbnails.py)
THUMB_CACHE_CONTROL = "private, max-age=86400"
MEDIA_CACHE_CONTROL = "private, max-age=3600"

#: seconds the filepaths of a page just served stand for its samples' thumbnails
#: (the browser asks for them within milliseconds; later, the database is asked)
VOUCHED_SECONDS = 10.0
#: filepaths kept so: a few screens of pages
VOUCHED_MAX = 20_000

_collections: dict[tuple[str, str], tuple[Any, float]] = {}
_vouched: OrderedDict[tuple[str, str, str], tuple[str, float]] = OrderedDict()
_lock = threading.Lock()


def vouch_filepaths(dataset: str, docs: list[dict[str, Any]]) -> None:
    """Remember the filepaths of sample documents of ``dataset`` just read for a
    page, so that their thumbnails skip one database query each (a screen of
    cold thumbnails is ~60 of them at once)."""
    until = time.monotonic() + VOUCHED_SECONDS
    db = config.database_name
    with _lock:
        for d in docs:
            if isinstance(d.get("filepath"), str):
                key = (db, dataset, str(d["_id"]))
                _vouched[key] = (d["filepath"], until)
                _vouched.move_to_end(key)
        while len(_vouched) > VOUCHED_MAX:
            _vouched.popitem(last=False)


def _vouched_filepath(dataset: str, sample_id: str) -> str | None:
    with _lock:
        hit = _vouched.get((config.database_name, dataset, sample_id))
    return hit[0] if hit is not None and hit[1] > time.monotonic() else None


def _collection(dataset: str, fresh: bool = False) -> Any:
    key = (config.database_name, dataset)
    now = time.monotonic()
    with _lock:
        hit = _collections.get(key)
    if hit and hit[1] > now and not fresh:
        return hit[0]
    coll = get_dataset(dataset)  # DatasetNotFoundError -> 404
    with _lock:
        _collections[key] = (coll, now + _COLLECTION_TTL)
    return coll


def _find_one(dataset: str, query: dict[str, Any], fields: dict[str, int]) -> Any:
    """One sample document; a miss asks again with a fresh handle (the dataset may
    have been deleted and made anew under the same name)."""
    try:
        doc = _collection(dataset).find_sample_doc(**query, fields=fields)
    except DatasetNotFoundError:  # deleted in this process since it was cached
        doc = None
    return (
        doc
        if doc is not None
        else _collection(dataset, fresh=True).find_sample_doc(**query, fields=fields)
    )


def sample_filepath(dataset: str, sample_id: str) -> str:
    """The filepath of sample ``sample_id`` of ``dataset``.

    Raises:
        SampleNotFoundError: no such sample (404).
    """
    if not ObjectId.is_valid(sample_id):
        raise SampleNotFoundError(f"{sample_id!r} is not a sample id (24 hex digits)")
    vouched = _vouched_filepath(dataset, sample_id)
    if vouched is not None:
        return vouched
    doc = _find_one(dataset, {"sample_id": sample_id}, {"filepath": 1})
    if doc is None:
        raise SampleNotFoundError(f"No sample {sample_id} in dataset {dataset!r}")
    return doc["filepath"]


#: the image formats served, by Pillow's name, with their content type
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
               "WEBP": "image/webp", "BMP": "image/bmp", "TIFF": "image/tiff"}  # fmt: skip
_types: dict[tuple[str, int, int], str] = {}


def image_type(path: str, st: os.stat_result) -> str:
    """The content type of the image at ``path``, from its bytes (never its name).

    Raises:
        ThumbnailError: the bytes are not an image of a format in IMAGE_TYPES.
    """
    key = (path, st.st_size, st.st_mtime_ns)
    hit = _types.get(key)
    if hit:
        return hit
    from PIL import Image

    try:
        with Image.open(path) as img:
            fmt = img.format
            img.verify()  # structure and checksums, without decoding the pixels
    except Exception:  # noqa: BLE001 - whatever Pillow says, it is not an image we serve
        fmt = None
    if fmt not in IMAGE_TYPES:
        raise ThumbnailError(
            f"{path} is not an image in a format the dashboard serves ({sorted(IMAGE_TYPES)})"
        )
    _types[key] = IMAGE_TYPES[fmt]
    return IMAGE_TYPES[fmt]


def _file(path: str, cache_control: str, request: Request) -> Response:
    """The file, or 304 Not Modified when the browser's copy (by ETag) is current."""
    try:
        st = os.stat(path)
    except OSError:
        raise ThumbnailError(
            f"Image {path} is missing on disk; the sample still refers to it"
        ) from None
    media_type = image_type(path, st)
    response = FileResponse(path, media_type=media_type, stat_result=st,
                            headers={"Cache-Control": cache_control})  # fmt: skip
    etag = response.headers.get("etag")
    if etag and etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache_control})
    return response


@router.get("/media/{dataset}/{sample_id}")
def media(dataset: str, sample_id: str, request: Request) -> Response:
    """The original image of a sample."""
    return _file(sample_filepath(dataset, sample_id), MEDIA_CACHE_CONTROL, request)


_memory = MemoryCache(MEMORY_CACHE_BYTES)


def _load_thumb(dataset: str, sample_id: str, size: int) -> CachedThumbnail:
    return load_thumbnail(sample_filepath(dataset, sample_id), size)


@router.get("/thumb/{dataset}/{sample_id}")
async def thumb(
    dataset: str, sample_id: str, request: Request,
    size: int = Query(MAX_THUMBNAIL_SIZE, ge=16, le=MAX_THUMBNAIL_SIZE),
) -> Response:  # fmt: skip
    """A JPEG thumbnail (longer side ≤ 256 px), made on first request and cached on
    disk and in memory; a memory hit is answered on the event loop itself. A
    source that is small already is its own thumbnail (``PASSTHROUGH_BYTES``)."""
    key = (config.database_name, dataset, sample_id, size)
    item = _memory.get(key)
    if item is None:
        item = await run_in_threadpool(_load_thumb, dataset, sample_id, size)
        _memory.put(key, item)
    headers = {"ETag": item.etag, "Cache-Control": THUMB_CACHE_CONTROL}
    if item.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(item.data, media_type=item.media_type, headers=headers)


#: label types a crop can be cut from: boxes, alone (a patch) or in a list
_BOXES = {"Detections": "detections", "Detection": None}


def label_box(dataset: str, sample_id: str, label_id: str) -> tuple[str, tuple[float, ...]]:
    """``(filepath, bounding box)`` of label ``label_id`` of sample ``sample_id``.

    Raises:
        SampleNotFoundError: a malformed id, no such sample, or no box with that
            id in its Detections fields (404).
    """
    for what, value in (("sample", sample_id), ("label", label_id)):
        if not ObjectId.is_valid(value) or len(value) != 24:
            raise SampleNotFoundError(f"{value!r:.40} is not a {what} id (24 hex digits)")
    schema = _collection(dataset).get_field_schema()
    fields = {k: _BOXES[f.document_type] for k, f in schema.items()
              if f.ftype == "embedded" and f.document_type in _BOXES}  # fmt: skip
    doc = _find_one(dataset, {"sample_id": sample_id}, {"filepath": 1, **dict.fromkeys(fields, 1)})
    if doc is None:
        raise SampleNotFoundError(f"No sample {sample_id} in dataset {dataset!r}")
    oid = ObjectId(label_id)
    for name, list_field in fields.items():
        value = doc.get(name) or {}
        labels = (value.get(list_field) or []) if list_field else [value]
        for label in labels:
            if not isinstance(label, dict) or label.get("_id") != oid:
                continue
            box = label.get("bounding_box")
            if isinstance(box, list) and len(box) == 4:
                return doc["filepath"], tuple(float(v) for v in box)
    raise SampleNotFoundError(
        f"Sample {sample_id} of dataset {dataset!r} has no box with id {label_id}; "
        f"its box fields: {sorted(fields)}"
    )


def _load_crop(dataset: str, sample_id: str, label_id: str, size: int) -> CachedThumbnail:
    filepath, box = label_box(dataset, sample_id, label_id)
    return load_thumbnail(filepath, size, box)  # type: ignore[arg-type]


@router.get("/crop/{dataset}/{sample_id}/{label_id}")
async def crop(
    dataset: str, sample_id: str, label_id: str, request: Request,
    size: int = Query(MAX_THUMBNAIL_SIZE, ge=16, le=MAX_THUMBNAIL_SIZE),
) -> Response:  # fmt: skip
    """A JPEG thumbnail of one object's box (a patch's tile), cached as thumbnails are."""
    key = (config.database_name, dataset, sample_id, label_id, size)
    item = _memory.get(key)
    if item is None:
        item = await run_in_threadpool(_load_crop, dataset, sample_id, label_id, size)
        _memory.put(key, item)
    headers = {"ETag": item.etag, "Cache-Control": THUMB_CACHE_CONTROL}
    if item.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(item.data, media_type="image/jpeg", headers=headers)


@router.get("/api/media")
def media_by_path(dataset: str, filepath: str, request: Request) -> Response:
    """A file by path, served only if a sample of ``dataset`` references exactly it."""
    if _find_one(dataset, {"filepath": filepath}, {"_id": 1}) is None:
        raise MediaForbiddenError(
            f"{filepath!r} is not the filepath of any sample of dataset {dataset!r}; "
            "the server only serves the dataset's own images"
        )
    return _file(filepath, MEDIA_CACHE_CONTROL, request)
