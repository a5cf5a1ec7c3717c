"""The HTML of the galleries: one page template, image cards and rows, thumbnails.

Pages are self-contained: CSS inline, no scripts, no network. Thumbnails are
inlined as base64 JPEGs by default, or, with ``lazy_load=True``, written once
into ``images/`` beside the page and loaded lazily by the browser (smaller
pages for big galleries), which is what fastdup's ``lazy_load`` does too.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

#: longest side of a thumbnail, pixels (fastdup's galleries show ~150-200 px)
DEFAULT_THUMB_SIZE = 160
#: JPEG quality of thumbnails: small pages, no visible artefacts at this size
THUMB_QUALITY = 80
#: folder beside the pages that lazy-loaded thumbnails go to
ASSETS_DIR = "images"

CSS = """
body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:14px 24px}
header a{color:#9cc3ff;margin-right:14px;text-decoration:none}
h1{font-size:20px;margin:0 0 6px} h2{font-size:16px;margin:24px 24px 8px}
main{padding:8px 0 40px} p.intro{margin:10px 24px;color:#4a5468;max-width:70em}
.row{background:#fff;margin:10px 24px;padding:10px 12px;border-radius:8px;
  box-shadow:0 1px 2px #0002}
.row h3{font-size:13px;margin:0 0 8px;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{width:var(--w);font-size:11px;line-height:1.35;word-break:break-all}
.card img{width:var(--w);height:var(--w);object-fit:contain;background:#eceef2;
  border-radius:4px;display:block}
.card .missing{width:var(--w);height:var(--w);display:flex;align-items:center;
  justify-content:center;background:#fde8e8;color:#a33;border-radius:4px}
.label{display:inline-block;background:#e4ecff;color:#1b3f94;border-radius:3px;padding:0 4px}
.bad{background:#ffe3e0;color:#9b1c0c}
table.summary{margin:10px 24px;border-collapse:collapse;background:#fff}
table.summary td{padding:6px 14px;border-bottom:1px solid #eee}
.empty{margin:10px 24px;color:#667}
svg{background:#fff;margin:10px 0 10px 24px;border-radius:8px;vertical-align:top}
table.summary th{padding:6px 14px;text-align:left;font-size:13px;border-bottom:1px solid #ddd}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.skipped{margin:10px 24px;color:#8a5a00} .caption{margin:10px 24px;color:#4a5468}
.card svg.in-context{width:var(--w);height:var(--w);margin:0;background:#eceef2;
  border-radius:4px;display:block}
svg.in-context rect.box{fill:none;stroke:#ff2d55;stroke-width:2px}
.card svg.crop{width:calc(var(--w) / 3);height:calc(var(--w) / 3);margin:4px 0 0;
  background:#eceef2;border-radius:4px;float:right}
"""


def esc(text: object) -> str:
    """``text`` escaped for HTML."""
    return html.escape(str(text), quote=True)


@dataclass
class Thumbnails:
    """Makes (and caches) the ``src`` of each image's thumbnail for one report.

    Args:
        save_dir: the folder the pages are written to.
        lazy_load: write thumbnail files under ``images/`` instead of inlining.
        size: the longest side of a thumbnail.
    """

    save_dir: str
    lazy_load: bool = False
    size: int = DEFAULT_THUMB_SIZE
    _cache: dict[str, str | None] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    #: path -> (width, height) of its thumbnail, for drawing boxes onto it
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)

    def src(self, path: str) -> str | None:
        """The ``src`` attribute for ``path``'s thumbnail; None when it cannot be read."""
        if path not in self._cache:
            self._cache[path] = self._make(path)
        return self._cache[path]

    def _make(self, path: str) -> str | None:
        from brain.decode import load_image

        try:
            img = load_image(path, self.size)
            img.thumbnail((self.size, self.size))
            self.sizes[path] = img.size
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=THUMB_QUALITY)
        except Exception as e:  # noqa: BLE001 - the card shows the image as unreadable
            self.failures[path] = f"{type(e).__name__}: {e}"
            return None
        data = buf.getvalue()
        if not self.lazy_load:
            return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
        name = hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:16] + ".jpg"
        folder = os.path.join(self.save_dir, ASSETS_DIR)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        return f"{ASSETS_DIR}/{name}"


def card(thumbs: Thumbnails, sample_id: str, path: str, lines: Iterable[str] = (),
         label: str | None = None, bad_label: bool = False) -> str:  # fmt: skip
    """One image with its file name, label and caption lines (already HTML)."""
    src = thumbs.src(path)
    name = os.path.basename(path)
    lazy = ' loading="lazy"' if thumbs.lazy_load else ""
    img = (f'<img src="{esc(src)}" alt="{esc(name)}"{lazy}>' if src
           else '<div class="missing">unreadable</div>')  # fmt: skip
    lab = ""
    if label is not None:
        lab = f'<span class="label{" bad" if bad_label else ""}">{esc(label)}</span><br>'
    caption = "".join(f"{line}<br>" for line in lines)
    return (f'<div class="card" data-sample-id="{esc(sample_id)}" data-name="{esc(name)}" '
            f'title="{esc(path)}">{img}{lab}{caption}<span>{esc(name)}</span></div>')  # fmt: skip


def row(title: str, cards: Iterable[str], attrs: str = "") -> str:
    """A titled row of cards."""
    return (
        f'<div class="row"{attrs}><h3>{title}</h3><div class="cards">{"".join(cards)}</div></div>'
    )


def page(title: str, intro: str, body: str, thumb_size: int = DEFAULT_THUMB_SIZE,
         nav: Iterable[tuple[str, str]] = (("index.html", "All galleries"),)) -> str:  # fmt: skip
    """A whole HTML document."""
    links = "".join(f'<a href="{esc(href)}">{esc(text)}</a>' for href, text in nav)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title><style>:root{{--w:{int(thumb_size)}px}}{CSS}</style>"
            f"</head><body><header><h1>{esc(title)}</h1>{links}</header><main>"
            f'<p class="intro">{intro}</p>{body}</main></body></html>')  # fmt: skip


def write(save_dir: str, filename: str, content: str) -> str:
    """Write a page into ``save_dir`` (created when missing); returns its path."""
    os.makedirs(save_dir, exist_ok=True)
    path = os.path.join(save_dir, filename)
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)
    return path


def empty(message: str) -> str:
    """A note for a gallery with nothing to show."""
    return f'<p class="empty">{esc(message)}</p>'
