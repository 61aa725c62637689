"""Export writer: a flow's records through a formatter into byte chunks of about 64 KiB.

``export_stream`` is what the REST view streams and what ``bench/export.py`` times. Line formats
(JSONL, CSV, manifest) make one pass; COCO makes two over the same rows (images, registering the
categories and keypoint names; then the annotations), so that one valid JSON document is written
while only the categories are held in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from flows.exports import FORMATS, formatters
from flows.exports.dataset import BATCH, LoopRecord, export_records
from flows.models import FlowDefinition

CHUNK_BYTES = 1 << 16

CONTENT_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "manifest": "application/x-ndjson",
    "coco": "application/json",
}
EXTENSIONS = {"jsonl": "jsonl", "csv": "csv", "manifest": "manifest", "coco": "json"}

Progress = Callable[[int], None]


def _chunks(pieces: Iterable[str]) -> Iterator[bytes]:
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK_BYTES:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


def _counted(records: Iterable[LoopRecord], progress: Progress | None) -> Iterator[LoopRecord]:
    if progress is None:
        yield from records
        return
    done = 0
    for record in records:
        yield record
        done += 1
        if done % 1000 == 0:
            progress(done)
    progress(done)


def _pieces(
    flow: FlowDefinition, fmt: str, after_id: int, label_attribute: str, batch: int, progress: Progress | None
) -> Iterator[str]:
    def records(count: bool = True) -> Iterator[LoopRecord]:
        rows = export_records(flow=flow, after_id=after_id, batch=batch)
        return _counted(rows, progress if count else None)

    if fmt == "jsonl":
        yield from (formatters.jsonl_line(r) for r in records())
    elif fmt == "csv":
        yield from formatters.csv_lines(records())
    elif fmt == "manifest":
        classes = formatters.ClassMap()
        job = f"labeling-job/{flow.name}"
        for r in records():
            yield formatters.manifest_line(r, label_attribute=label_attribute, classes=classes, job_name=job)
    else:
        categories = formatters.CocoCategories()
        info = {"description": f"Loupe export of flow {flow.name}", "version": "1.0"}
        yield '{"info":' + formatters.dumps(info) + ',"images":['
        first = True
        for r in records(count=False):
            yield ("" if first else ",") + formatters.dumps(formatters.coco_image(r, categories))
            first = False
        yield '],"categories":' + formatters.dumps(formatters.coco_categories(categories)) + ',"annotations":['
        next_id, first = 1, True
        for r in records():
            for annotation in formatters.coco_annotations(r, categories, next_id):
                yield ("" if first else ",") + formatters.dumps(annotation)
                first = False
                next_id += 1
        yield "]}\n"


def export_stream(
    *,
    flow: FlowDefinition,
    fmt: str,
    after_id: int = 0,
    label_attribute: str | None = None,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> Iterator[bytes]:
    """The export of ``flow``'s Completed loops after ``after_id`` in format ``fmt``, as byte
    chunks. ``progress(n)`` is called as loops are written (every 1,000 and at the end)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}: use one of {', '.join(FORMATS)}.")
    return _chunks(_pieces(flow, fmt, after_id, label_attribute or flow.name, batch, progress))
