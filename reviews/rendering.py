"""Task template rendering: Liquid with A2I's filters and escaping (spec/a2i.md §15, §22;
spec/crowd-elements.md §3).

Templates are untrusted: every way a template can misbehave (syntax errors, unknown filters or
tags, runaway loops, huge output, slow renders) ends as a ``RenderError`` in the result, never as
an exception escaping this module and never as a hang. Parsed templates are cached by the sha256
of their text (a bounded LRU), so rendering the same task UI again costs only the render.

Escaping follows A2I: autoescape is on, ``'`` prints as ``&#39;`` and ``"`` as ``&quot;`` (Ruby's
``CGI.escapeHTML``, which the DG example shows byte for byte). Values that are not scalars (lists,
objects) print as JSON, then are escaped, so ``initial-value="{{ task.input.blocks }}"`` reaches
the element as JSON, as AWS's own Textract template needs.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TextIO
from urllib.parse import urlsplit

from liquid import Environment, Markup, Undefined
from liquid.builtin.output import Output, OutputNode
from liquid.builtin.tags.capture_tag import CaptureNode, CaptureTag
from liquid.builtin.tags.cycle_tag import CycleNode, CycleTag
from liquid.builtin.tags.echo_tag import EchoNode, EchoTag
from liquid.builtin.tags.for_tag import BreakLoop, ContinueLoop, ForLoop, ForNode, ForTag
from liquid.context import RenderContext
from liquid.exceptions import (
    ContextDepthError,
    LiquidError,
    LiquidSyntaxError,
    LocalNamespaceLimitError,
    LoopIterationLimitError,
    OutputStreamLimitError,
    ResourceLimitError,
    UnknownFilterError,
)

__all__ = [
    "MAX_TEMPLATE_CHARS",
    "MediaAccessError",
    "MediaSigner",
    "RenderError",
    "RenderResult",
    "a2i_escape",
    "rewrite_asset_urls",
    "template_check",
    "template_render",
]

#: UiTemplate.Content is 1..128,000 characters (spec/a2i.md §10.1).
MAX_TEMPLATE_CHARS = 128_000
#: Loop iterations per render, summed over every loop (nested loops multiply).
MAX_LOOP_ITERATIONS = 100_000
#: Rendered output, in characters: the largest input (3 MiB) printed once, with room to spare.
MAX_OUTPUT_CHARS = 8 * 1024 * 1024
#: Bytes held by variables a template assigns or captures.
MAX_LOCALS_BYTES = 4 * 1024 * 1024
#: Wall-clock budget of one render.
MAX_RENDER_SECONDS = 2.0
#: Parsed templates kept in memory.
CACHE_SIZE = 256


# --- Public types ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderError:
    """One problem with a template, as RenderUiTemplate's ``RenderingError`` ``{Code, Message}``."""

    code: str
    message: str


@dataclass(frozen=True)
class RenderResult:
    """The rendered HTML (empty when rendering failed) and the problems found.

    ``media_origins`` lists the origins (``scheme://host[:port]``) of the absolute URLs that
    ``grant_read_access`` produced, so that the task frame's Content-Security-Policy can allow
    exactly those and nothing else.
    """

    html: str
    errors: list[RenderError]
    media_origins: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.errors


class MediaAccessError(Exception):
    """``grant_read_access`` refused a reference; ``message`` is safe to show to the engineer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MediaSigner(Protocol):
    """Turns an object reference into a URL the viewer may open (``grant_read_access``)."""

    def grant(self, reference: str) -> str:
        """A short-lived URL for ``reference``; the reference unchanged if it needs no grant
        (an ordinary http(s) URL); ``MediaAccessError`` if it must not be read."""
        ...


# --- Escaping -------------------------------------------------------------------------------


def a2i_escape(text: str) -> str:
    """HTML-escape as A2I does: ``& < > " '`` to ``&amp; &lt; &gt; &quot; &#39;``."""
    if not _NEEDS_ESCAPE.search(text):
        return text
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


_NEEDS_ESCAPE = re.compile(r"[&<>\"']")
_BARE_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)")


def _escape_once(text: str) -> str:
    text = _BARE_AMPERSAND.sub("&amp;", text)
    return text.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#39;")


class _Raw(str):
    """Text that output statements write as is (``to_json``, ``skip_autoescape``) but that an
    explicit ``escape`` still escapes: ``{{ x | to_json | escape }}`` escapes exactly once."""

    __slots__ = ()


def _json_text(value: Any) -> str:
    # <, >, & and ' as JSON escapes: the text stays valid JSON with the same value, and cannot
    # end a single-quoted attribute or a <script> element it is printed into.
    return (
        json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"))
        .replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("'", "\\u0027")
    )


def _plain(value: Any) -> Any:
    """Liquid values back to plain JSON-able Python (undefined becomes null)."""
    if isinstance(value, Undefined):
        return None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, range):
        return list(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _to_output(value: Any) -> str:
    """What ``{{ value }}`` writes: escaped text, raw for already-safe values, JSON for lists
    and objects (then escaped), lowercase booleans, nothing for nil and undefined."""
    if isinstance(value, Markup | _Raw):
        return str(value)
    if isinstance(value, str):
        return a2i_escape(value)
    if value is None or isinstance(value, Undefined):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping | list | tuple):
        return a2i_escape(json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":")))
    if isinstance(value, range):
        return f"{value.start}..{value.stop - 1}"
    return a2i_escape(str(value))


# --- Per-render state -----------------------------------------------------------------------


@dataclass
class _RenderState:
    media: MediaSigner | None
    deadline: float
    iterations: int = 0
    errors: list[RenderError] = field(default_factory=list)
    origins: set[str] = field(default_factory=set)

    def tick(self, n: int = 1) -> None:
        self.iterations += n
        if self.iterations > MAX_LOOP_ITERATIONS:
            raise LoopIterationLimitError("loop iteration limit reached", token=None)
        if (self.iterations & 0xFF) == 0 and time.monotonic() > self.deadline:
            raise _RenderTimeout("render time limit reached", token=None)

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise _RenderTimeout("render time limit reached", token=None)


class _RenderTimeout(ResourceLimitError):
    pass


_state: ContextVar[_RenderState | None] = ContextVar("loupe_render_state", default=None)


def _current() -> _RenderState | None:
    return _state.get()


# --- Nodes that escape the A2I way and keep renders bounded ----------------------------------


class _OutputNode(OutputNode):
    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        state = _current()
        if state is not None:
            state.check_time()
        return buffer.write(_to_output(self.expression.evaluate(context)))


class _Output(Output):
    node_class = _OutputNode


class _EchoNode(EchoNode):
    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        return buffer.write(_to_output(self.expression.evaluate(context)))


class _Echo(EchoTag):
    node_class = _EchoNode


class _CaptureNode(CaptureNode):
    """Captured text was escaped as it was written: keep it marked safe so that printing it
    again does not escape it twice."""

    __slots__ = ()

    def _assign(self, context: RenderContext, buf: Any) -> None:
        context.assign(self.name, Markup(buf.getvalue()))


class _Capture(CaptureTag):
    node_class = _CaptureNode


class _CycleNode(CycleNode):
    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        group_name = ""
        if self.group:
            group = self.group.evaluate(context)
            group_name = "__UNDEFINED" if isinstance(group, Undefined) else str(group)
        args = [arg.evaluate(context) for arg in self.args]
        index = context.cycle(group_name or str(args), len(args))
        if index >= len(args):
            return 0
        return buffer.write(_to_output(args[index]))


class _Cycle(CycleTag):
    node_class = _CycleNode


class _ForNode(ForNode):
    """The built-in for loop, counting every iteration against the render's budget (the
    built-in ``loop_iteration_limit`` bounds one loop nest, not a template of many loops)."""

    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        it, length = self.expression.evaluate(context)
        if not length:
            return self.default.render(context, buffer) if self.default else 0
        state = _current()
        character_count = 0
        name = self.expression.identifier
        forloop = ForLoop(
            name=f"{name}-{self.expression.iterable}", it=it, length=length, parentloop=context.parentloop()
        )
        namespace: dict[str, object] = {"forloop": forloop, name: None}
        with context.loop(namespace, forloop):
            for itm in forloop:
                if state is not None:
                    state.tick()
                namespace[name] = itm
                try:
                    character_count += self.block.render(context, buffer)
                except ContinueLoop:
                    continue
                except BreakLoop:
                    break
        return character_count


class _For(ForTag):
    node_class = _ForNode


# --- Filters --------------------------------------------------------------------------------


def _filter_escape(value: Any) -> Markup:
    if isinstance(value, Markup):
        return value
    if value is None or isinstance(value, Undefined):
        return Markup("")
    if isinstance(value, str):
        return Markup(a2i_escape(str(value)))
    return Markup(_to_output(value))


def _filter_escape_once(value: Any) -> Markup:
    if value is None or isinstance(value, Undefined):
        return Markup("")
    text = value if isinstance(value, str) else _to_output(value)
    return Markup(_escape_once(str(text)))


def _filter_skip_autoescape(value: Any) -> _Raw:
    if value is None or isinstance(value, Undefined):
        return _Raw("")
    if isinstance(value, str):
        return _Raw(value)
    return _Raw(json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":")))


def _filter_to_json(value: Any) -> _Raw:
    return _Raw(_json_text(value))


def _filter_grant_read_access(value: Any) -> str:
    if value is None or isinstance(value, Undefined):
        return ""
    reference = value.unescape() if isinstance(value, Markup) else str(value)
    reference = reference.strip()
    state = _current()
    if state is None or state.media is None or not reference:
        return reference
    try:
        url = state.media.grant(reference)
    except MediaAccessError as exc:
        state.errors.append(RenderError("MediaAccessDenied", f"grant_read_access: {exc.message}"))
        return ""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc and url != reference:
        state.origins.add(f"{parts.scheme}://{parts.netloc}")
    return url


# --- The environment ------------------------------------------------------------------------


class _A2IEnvironment(Environment):
    # The built-in limits: a loop nest, the local namespace, the output stream, nesting depth.
    loop_iteration_limit: ClassVar[int | None] = MAX_LOOP_ITERATIONS
    local_namespace_limit: ClassVar[int | None] = MAX_LOCALS_BYTES
    output_stream_limit: ClassVar[int | None] = MAX_OUTPUT_CHARS
    context_depth_limit: ClassVar[int] = 30

    def setup_tags_and_filters(self, *, extra: bool = False) -> None:
        super().setup_tags_and_filters(extra=extra)
        for tag in (_Output, _Echo, _Capture, _Cycle, _For):
            self.add_tag(tag)
        # A task template is one file: there is nothing to include or render.
        for name in ("include", "render"):
            self.tags.pop(name, None)
        self.add_filter("escape", _filter_escape)
        self.add_filter("escape_once", _filter_escape_once)
        self.add_filter("skip_autoescape", _filter_skip_autoescape)
        self.add_filter("to_json", _filter_to_json)
        self.add_filter("grant_read_access", _filter_grant_read_access)


# autoescape stays off in the engine: our output node does A2I's escaping itself, and the
# engine's own (markupsafe: ``&#39;`` but ``&#34;``, string literals left raw) would differ.
_ENV = _A2IEnvironment(autoescape=False, strict_filters=True)


# --- Parse cache ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parsed:
    template: Any  # liquid.BoundTemplate, or None when parsing failed
    errors: tuple[RenderError, ...]


class _LRU:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, _Parsed] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> _Parsed | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: str, value: _Parsed) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _LRU(CACHE_SIZE)


def _line_col(source: str, index: int) -> tuple[int, int]:
    if index < 0:
        return 0, 0
    line = source.count("\n", 0, index) + 1
    col = index - (source.rfind("\n", 0, index) + 1) + 1
    return line, col


def _where(source: str, exc: LiquidError) -> str:
    token = getattr(exc, "token", None)
    if token is None or getattr(token, "start_index", -1) < 0:
        return ""
    line, col = _line_col(source, token.start_index)
    return f" (line {line}, column {col})"


def _error_from(source: str, exc: LiquidError) -> RenderError:
    message = str(exc.message) if hasattr(exc, "message") else str(exc.args[0] if exc.args else exc)
    where = _where(source, exc)
    if isinstance(exc, UnknownFilterError):
        return RenderError("UnknownFilter", f"{message}{where}")
    if isinstance(exc, _RenderTimeout):
        return RenderError("RenderTimeout", f"The template took longer than {MAX_RENDER_SECONDS:g} s to render{where}.")
    if isinstance(exc, LoopIterationLimitError):
        return RenderError(
            "LoopLimitExceeded", f"The template's loops ran more than {MAX_LOOP_ITERATIONS:,} iterations{where}."
        )
    if isinstance(exc, OutputStreamLimitError):
        return RenderError(
            "OutputLimitExceeded", f"The rendered template is larger than {MAX_OUTPUT_CHARS:,} characters."
        )
    if isinstance(exc, LocalNamespaceLimitError):
        return RenderError(
            "MemoryLimitExceeded", f"The template's variables hold more than {MAX_LOCALS_BYTES:,} bytes{where}."
        )
    if isinstance(exc, ContextDepthError):
        return RenderError("NestingLimitExceeded", f"{message}{where}")
    if isinstance(exc, ResourceLimitError):
        return RenderError("ResourceLimitExceeded", f"{message}{where}")
    if isinstance(exc, LiquidSyntaxError):
        if message.startswith("unexpected tag") or "unknown tag" in message:
            return RenderError("UnknownTag", f"{message}{where}")
        return RenderError("TemplateSyntaxError", f"{message}{where}")
    return RenderError("TemplateRenderError", f"{message}{where}")


def _parse(content: str) -> _Parsed:
    key = hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()
    cached = _cache.get(key)
    if cached is not None:
        return cached
    parsed = _parse_uncached(content)
    _cache.put(key, parsed)
    return parsed


def _parse_uncached(content: str) -> _Parsed:
    if not content or not content.strip():
        return _Parsed(None, (RenderError("EmptyTemplate", "The template is empty."),))
    if len(content) > MAX_TEMPLATE_CHARS:
        return _Parsed(
            None,
            (
                RenderError(
                    "TemplateTooLarge",
                    f"The template has {len(content):,} characters; the limit is {MAX_TEMPLATE_CHARS:,}.",
                ),
            ),
        )
    try:
        template = _ENV.from_string(content)
    except LiquidError as exc:
        return _Parsed(None, (_error_from(content, exc),))
    except RecursionError:
        return _Parsed(None, (RenderError("NestingLimitExceeded", "The template nests too deeply."),))
    # Unknown filters are found when they run; report them at parse time, as CreateHumanTaskUi
    # should refuse a template that can never render.
    errors: list[RenderError] = []
    try:
        analysis = template.analyze()
    except (LiquidError, RecursionError):  # pragma: no cover - analysis mirrors the parse
        analysis = None
    if analysis is not None:
        for name, spans in analysis.filters.items():
            if name not in _ENV.filters:
                where = ""
                if spans:
                    line, col = _line_col(content, spans[0].index)
                    where = f" (line {line}, column {col})"
                errors.append(RenderError("UnknownFilter", f"unknown filter '{name}'{where}"))
    return _Parsed(template, tuple(errors))


# --- Entry points ---------------------------------------------------------------------------


def template_check(content: str) -> list[RenderError]:
    """Problems a template has before any input is given: size, Liquid syntax, unknown tags and
    filters. An empty list means the template parses (CreateHumanTaskUi accepts it)."""
    try:
        return list(_parse(content).errors)
    except Exception as exc:  # a template must never crash its caller
        return [RenderError("TemplateSyntaxError", f"The template could not be parsed: {type(exc).__name__}.")]


def template_render(*, content: str, task_input: dict[str, Any], media: MediaSigner | None = None) -> RenderResult:
    """Render ``content`` with ``task.input`` bound to ``task_input``.

    ``media`` signs ``grant_read_access`` references; without it references pass through as
    written. Assets of ``https://assets.crowd.aws/`` are rewritten to Loupe's own copies.
    Never raises for anything the template or the input does; problems come back in ``errors``
    and the HTML is then empty.
    """
    parsed = _parse(content)
    if parsed.errors or parsed.template is None:
        return RenderResult(html="", errors=list(parsed.errors))
    state = _RenderState(media=media, deadline=time.monotonic() + MAX_RENDER_SECONDS)
    token = _state.set(state)
    try:
        html = parsed.template.render(task={"input": task_input})
    except LiquidError as exc:
        return RenderResult(html="", errors=[_error_from(content, exc)])
    except RecursionError:
        return RenderResult(html="", errors=[RenderError("NestingLimitExceeded", "The template nests too deeply.")])
    except MemoryError:
        return RenderResult(html="", errors=[RenderError("MemoryLimitExceeded", "The template used too much memory.")])
    except Exception as exc:  # a filter given odd input must not crash the caller
        return RenderResult(html="", errors=[RenderError("TemplateRenderError", f"{type(exc).__name__}: {exc}")])
    finally:
        _state.reset(token)
    if state.errors:
        return RenderResult(html="", errors=state.errors, media_origins=tuple(sorted(state.origins)))
    return RenderResult(html=rewrite_asset_urls(html), errors=[], media_origins=tuple(sorted(state.origins)))


# --- assets.crowd.aws -> our static copies ----------------------------------------------------

#: Static URL prefix of Loupe's crowd elements (served by whitenoise from static/crowd/).
CROWD_STATIC_PREFIX = "/static/crowd/"

#: Paths under https://assets.crowd.aws/ that are served by another file of ours
#: (spec/crowd-elements.md §7.1: the gen-ai and "-v2s" names are aliases of v2).
_ASSET_ALIASES = {
    "gen-ai-components.js": "crowd-html-elements-v2.js",
    "crowd-html-elements-v2s.js": "crowd-html-elements-v2.js",
    "css/gen-ai-components.css": "css/crowd-html-elements-v2.css",
}

#: Third-party files sample templates load from other hosts (spec/crowd-elements.md §4.6), served
#: from local copies or offline stand-ins: nothing is fetched from the internet at run time.
_VENDORED = {
    "https://cdnjs.cloudflare.com/ajax/libs/node-uuid/1.4.8/uuid.min.js": "vendor/node-uuid.js",
    "https://cdnjs.cloudflare.com/ajax/libs/draggable/1.0.0-beta.8/draggable.bundle.js": "vendor/draggable.bundle.js",
    "https://platform.twitter.com/widgets.js": "vendor/twitter-widgets-offline.js",
    "https://s3.amazonaws.com/cv-demo-images/highway.jpg": "stand-ins/cv-demo-images/highway.jpg",
    "https://s3.amazonaws.com/cv-demo-images/two-birds.jpg": "stand-ins/cv-demo-images/two-birds.jpg",
    "https://s3.amazonaws.com/cv-demo-images/ken-griffey-jr.jpg": "stand-ins/cv-demo-images/ken-griffey-jr.jpg",
}
_HOST_HINTS = ("assets.crowd.aws", "cdnjs.cloudflare.com", "platform.twitter.com", "cv-demo-images")

_ASSET_ATTR = re.compile(
    r"""(?P<attr>\b(?:src|href)\s*=\s*)(?P<q>["']?)"""
    r"""(?P<url>(?:https?:)?//(?:assets\.crowd\.aws|cdnjs\.cloudflare\.com|platform\.twitter\.com|s3\.amazonaws\.com/cv-demo-images)/[^"'\s>]*)(?P=q)""",
    re.IGNORECASE,
)


def _local_asset(url: str) -> str | None:
    absolute = url if url.lower().startswith("http") else "https:" + url
    vendored = _VENDORED.get(absolute) or _VENDORED.get("https:" + absolute.split(":", 1)[1])
    if vendored is not None:
        return CROWD_STATIC_PREFIX + vendored
    parts = urlsplit(absolute)
    if parts.netloc.lower() != "assets.crowd.aws":
        return None
    path = parts.path.lstrip("/")
    path = _ASSET_ALIASES.get(path, path)
    return CROWD_STATIC_PREFIX + path


def rewrite_asset_urls(html: str) -> str:
    """Point ``src``/``href`` attributes at ``https://assets.crowd.aws/...`` (and the few other
    third-party files sample templates load) to Loupe's static copies; nothing else in the text
    changes."""
    if not any(hint in html for hint in _HOST_HINTS):
        return html

    def swap(match: re.Match[str]) -> str:
        local = _local_asset(match.group("url"))
        if local is None:
            return match.group(0)
        q = match.group("q")
        return f"{match.group('attr')}{q}{local}{q}"

    return _ASSET_ATTR.sub(swap, html)


@contextmanager
def _fresh_cache() -> Iterator[None]:
    """Tests and benchmarks: start from an empty parse cache."""
    _cache.clear()
    try:
        yield
    finally:
        _cache.clear()
