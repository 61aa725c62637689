"""Render benchmark: every sample template in a2i-task-uis/, many times, through the real renderer.

    .venv/bin/python bench/render.py --json [--rounds 50] [--samples DIR]

prints {"templates", "render_p50_ms", "render_p99_ms", "bundle_gzip_kb"}:

* ``render_p50_ms`` / ``render_p99_ms``: one ``template_render`` call (parse cache warm, as in
  production where a task UI is rendered again and again), with a plausible input and a media
  signer that presigns S3 URLs, over every template x round.
* ``render_p99_cpu_ms``: the same renders' thread CPU time (the render's own cost; wall-clock
  p99 on a busy 2-core machine is dominated by preemption).
* ``bundle_gzip_kb``: gzip size of the crowd elements a page loads: ``static/crowd/crowd-html-elements.js``
  and every file under ``static/crowd/`` it pulls in (relative imports, script and stylesheet
  URLs found in the files, followed transitively).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _default_samples() -> Path:
    """The public sample templates: $LOUPE_SAMPLE_TEMPLATES, else ../shared/a2i-task-uis beside
    the checkout (where CI puts it), else /work/shared/a2i-task-uis."""
    if os.environ.get("LOUPE_SAMPLE_TEMPLATES"):
        return Path(os.environ["LOUPE_SAMPLE_TEMPLATES"])
    beside = ROOT.parent / "shared" / "a2i-task-uis"
    return beside if beside.is_dir() else Path("/work/shared/a2i-task-uis")


DEFAULT_SAMPLES = _default_samples()

#: One input that gives every sample template something to print (spec/crowd-elements.md §4.4).
SAMPLE_INPUT: dict[str, Any] = {
    "taskObject": "s3://loupe-bench/inputs/photo-0001.jpg",
    "labels": ["Cat", "Dog", "Bird", "Person"],
    "image": "s3://loupe-bench/inputs/photo-0002.jpg",
    "image1": "s3://loupe-bench/inputs/a.jpg",
    "image2": "s3://loupe-bench/inputs/b.jpg",
    "image3": "s3://loupe-bench/inputs/c.jpg",
    "image4": "s3://loupe-bench/inputs/d.jpg",
    "audioFile1": "s3://loupe-bench/audio/one.mp3",
    "audioFile2": "s3://loupe-bench/audio/two.mp3",
    "company": "Example & Sons",
    "context": "The customer asked about the refund policy.",
    "intent": "Refund",
    "conversation": "Agent: Hello! How can I help?\nCustomer: I'd like to return my order.",
    "topic": "Returns",
    "searchText": "red running shoes",
    "title": "Running shoes, red, size 42",
    "item1": {"title": "Red shoe", "image": "s3://loupe-bench/items/1.jpg"},
    "item2": {"title": "Red sneaker", "image": "s3://loupe-bench/items/2.jpg"},
    "surveyLink": "https://example.com/survey?id=42",
    "text": "Amazon's headquarters are in Seattle, Washington; Jeff Bezos founded it in 1994.",
    "text1": "The cat sat on the mat.",
    "text2": "A cat was sitting on the mat.",
    "textBeginning": "The quick brown fox",
    "textEnd": "over the lazy dog.",
    "utterance": "Book me a table for two at 7 pm.",
    "original": {"language": "English", "text": "Where is the station?"},
    "translation": {"language": "French", "text": "Où est la gare ?"},
    "SourceLanguage": "English",
    "TargetLanguage": "Spanish",
    "translationPairs": [
        {"originalText": "Good morning", "translation": "Buenos días"},
        {"originalText": "Thank you", "translation": "Gracias"},
        {"originalText": "See you 'soon'", "translation": "Hasta pronto"},
    ],
    "pngString": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    "aiServiceRequest": {
        "document": {"s3Object": {"bucket": "loupe-bench", "name": "forms/page-1.png"}},
        "image": {"s3Object": {"bucket": "loupe-bench", "name": "images/pool.jpg"}},
    },
    "selectedAiServiceResponse": {
        "blocks": [
            {
                "blockType": "KEY_VALUE_SET",
                "confidence": 38.4,
                "geometry": {"boundingBox": {"width": 0.2, "height": 0.03, "left": 0.07, "top": 0.15}},
                "id": "key-1",
                "entityTypes": ["KEY"],
                "relationships": [{"type": "VALUE", "ids": ["value-1"]}],
            }
        ],
        "moderationLabels": [
            {"name": "Suggestive", "parentName": "", "confidence": 71.2},
            {"name": "Female Swimwear Or Underwear", "parentName": "Suggestive", "confidence": 71.2},
        ],
    },
    "humanLoopContext": {"importantFormKeys": [{"importantFormKey": "Name", "importantFormKeyAliases": ["Full name"]}]},
}


def sample_templates(directory: Path = DEFAULT_SAMPLES) -> list[Path]:
    """Every sample template (``*.html``; two of them do not end in ``.liquid.html``). Missing
    samples are an error, never an empty list that would make the tests over them vacuous."""
    found = sorted(p for p in directory.rglob("*.html") if p.is_file())
    if not found:
        raise FileNotFoundError(f"No sample templates under {directory} (set LOUPE_SAMPLE_TEMPLATES)")
    return found


_REFERENCE = re.compile(
    r"""(?:import\s*(?:[\w*{}\s,]+from\s*)?|import\(\s*|(?:src|href)\s*=\s*|url\(\s*)["']([^"']+)["']"""
)


def bundle_files(static_crowd: Path) -> list[Path]:
    """The entry point and every file under ``static_crowd`` it references, transitively."""
    entry = static_crowd / "crowd-html-elements.js"
    if not entry.exists():
        return []
    seen: dict[Path, None] = {}
    queue = [entry]
    root = static_crowd.resolve()
    while queue:
        path = queue.pop().resolve()
        if path in seen or not path.is_file():
            continue
        seen[path] = None
        text = path.read_text(encoding="utf-8", errors="replace")
        for ref in _REFERENCE.findall(text):
            if "://" in ref or ref.startswith(("data:", "#")):
                continue
            target = (root / ref.removeprefix("/static/crowd/")) if ref.startswith("/") else (path.parent / ref)
            target = target.resolve()
            if target.is_relative_to(root) and target.is_file():
                queue.append(target)
    return list(seen)


def bundle_gzip_kb(static_crowd: Path) -> float:
    total = sum(len(gzip.compress(p.read_bytes(), compresslevel=9)) for p in bundle_files(static_crowd))
    return round(total / 1024, 1)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run(*, samples: Path, rounds: int) -> dict[str, Any]:
    from reviews.rendering import template_render

    signer = _signer()
    templates = sample_templates(samples)
    contents = [p.read_text(encoding="utf-8") for p in templates]
    timings: list[float] = []
    cpu_timings: list[float] = []
    failures: dict[str, list[str]] = {}
    for path, content in zip(templates, contents, strict=True):  # warm the parse cache
        result = template_render(content=content, task_input=SAMPLE_INPUT, media=signer)
        if result.errors:
            failures[str(path.relative_to(samples))] = [f"{e.code}: {e.message}" for e in result.errors]
    for _ in range(rounds):
        for content in contents:
            start, cpu_start = time.perf_counter(), time.thread_time()
            template_render(content=content, task_input=SAMPLE_INPUT, media=signer)
            cpu_timings.append((time.thread_time() - cpu_start) * 1000)
            timings.append((time.perf_counter() - start) * 1000)
    report: dict[str, Any] = {
        "templates": len(templates),
        "render_p50_ms": round(statistics.median(timings), 3) if timings else None,
        "render_p99_ms": round(_percentile(timings, 0.99), 3) if timings else None,
        "bundle_gzip_kb": bundle_gzip_kb(ROOT / "static" / "crowd"),
        # CPU time of the rendering thread: what a render costs, without the time the process
        # spent preempted on a loaded machine (wall-clock p99 includes that).
        "render_p99_cpu_ms": round(_percentile(cpu_timings, 0.99), 3) if cpu_timings else None,
        "renders": len(timings),
    }
    if failures:
        report["failures"] = failures
    return report


def _signer() -> Any:
    """The media signer of an organization, presigning S3 against a local endpoint (no network:
    presigning is computed locally)."""
    from reviews.media import MediaScope, _ScopedSigner

    os.environ.setdefault("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench-secret")
    return _ScopedSigner(scope=MediaScope(kind="org", organization_id=0, account_id="000000000000"), ttl=900)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rounds", type=int, default=50, help="renders of each template (default 50)")
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES, help="folder of sample templates")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    import django

    django.setup()
    report = run(samples=args.samples, rounds=args.rounds)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
