"""reviews.rendering: the sample templates, A2I's escaping and filters, and bad templates."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from bench.render import DEFAULT_SAMPLES, SAMPLE_INPUT, sample_templates
from reviews.rendering import (
    MAX_LOOP_ITERATIONS,
    MediaAccessError,
    RenderError,
    rewrite_asset_urls,
    template_check,
    template_render,
)

SAMPLES = sample_templates(DEFAULT_SAMPLES)


class RecordingSigner:
    """A media signer that records what it was asked and answers a fixed URL shape."""

    def __init__(self, *, refuse: str | None = None) -> None:
        self.references: list[str] = []
        self.refuse = refuse

    def grant(self, reference: str) -> str:
        self.references.append(reference)
        if self.refuse and self.refuse in reference:
            raise MediaAccessError(f"{reference!r} is not yours")
        if reference.startswith("s3://"):
            return "https://s3.example.test/" + reference.removeprefix("s3://") + "?sig=a&exp=1"
        return reference


def render(content: str, task_input: dict | None = None, media: RecordingSigner | None = None) -> str:
    result = template_render(content=content, task_input=task_input or {}, media=media)
    assert result.errors == []
    return result.html


# --- The sample templates -------------------------------------------------------------------


def test_the_sample_templates_are_all_there() -> None:
    assert len(SAMPLES) == 73


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(DEFAULT_SAMPLES)))
def test_every_sample_template_renders_without_errors(path: Path) -> None:
    # given a sample template and a plausible input
    content = path.read_text(encoding="utf-8")
    signer = RecordingSigner()

    # when it is checked and rendered
    check = template_check(content)
    result = template_render(content=content, task_input=SAMPLE_INPUT, media=signer)

    # then there are no errors, the crowd elements load from Loupe, and no Liquid is left over
    assert check == []
    assert result.errors == []
    assert "https://assets.crowd.aws/crowd-html-elements.js" not in result.html
    assert '<script src="/static/crowd/crowd-html-elements.js"></script>' in result.html
    assert "{{" not in result.html
    assert "{%" not in result.html
    if "grant_read_access" in content:
        assert signer.references, "grant_read_access was used but never called"


def test_textract_sample_gets_arrays_as_json_and_the_captured_s3_uri_signed() -> None:
    # given AWS's Textract template, which prints arrays straight into attributes
    content = (DEFAULT_SAMPLES / "text" / "textract_analyze_document.liquid.html").read_text()
    signer = RecordingSigner()

    # when rendered
    html = render(content, SAMPLE_INPUT, signer)

    # then the captured s3:// URI reached the signer whole, and the arrays are escaped JSON
    assert signer.references == ["s3://loupe-bench/forms/page-1.png"]
    assert 'src="https://s3.example.test/loupe-bench/forms/page-1.png?sig=a&amp;exp=1"' in html
    keys = json.dumps(SAMPLE_INPUT["humanLoopContext"]["importantFormKeys"], separators=(",", ":"))
    assert f'keys="{keys.replace(chr(34), "&quot;")}"' in html


def test_for_loop_and_forloop_index_in_translation_review() -> None:
    content = (DEFAULT_SAMPLES / "text" / "translation-review-and-correction.liquid.html").read_text()
    html = render(content, SAMPLE_INPUT)
    assert 'name="translation1"' in html
    assert 'name="translation3"' in html
    assert "See you &#39;soon&#39;" in html


# --- Escaping -------------------------------------------------------------------------------


def test_autoescape_matches_the_developer_guide_byte_for_byte() -> None:
    # spec/a2i.md §22.3: ' becomes &#39; and & becomes &amp;
    assert (
        render("""{{ "Have you read 'James & the Giant Peach'?" }}""")
        == "Have you read &#39;James &amp; the Giant Peach&#39;?"
    )


def test_autoescape_of_input_values() -> None:
    html = render("<p title='{{ task.input.t }}'>{{ task.input.t }}</p>", {"t": '<b>"O\'Neil" & co</b>'})
    escaped = "&lt;b&gt;&quot;O&#39;Neil&quot; &amp; co&lt;/b&gt;"
    assert html == f"<p title='{escaped}'>{escaped}</p>"


def test_scalars_print_as_liquid_does_and_missing_values_print_nothing() -> None:
    html = render(
        "{{ task.input.n }}|{{ task.input.f }}|{{ task.input.yes }}|{{ task.input.no }}|{{ task.input.z }}"
        "|{{ task.input.missing.deep }}|",
        {"n": 3, "f": 0.25, "yes": True, "no": False, "z": None},
    )
    assert html == "3|0.25|true|false|||"


def test_lists_and_objects_print_as_escaped_json() -> None:
    html = render("{{ task.input.l }}|{{ task.input.o }}", {"l": ["a", 1], "o": {"k": "v'"}})
    assert html == "[&quot;a&quot;,1]|{&quot;k&quot;:&quot;v&#39;&quot;}"


def test_hyphenated_keys_and_bracket_lookups() -> None:
    html = render(
        "{{ task.input.source-ref }}|{% for b in task.input.boxes %}{{ b[1]['class-name'] }}{% endfor %}",
        {"source-ref": "s3://b/k", "boxes": {"x": {"class-name": "dog"}}},
    )
    assert html == "s3://b/k|dog"


# --- Filters --------------------------------------------------------------------------------


def test_escape_gives_the_same_as_autoescape_and_never_escapes_twice() -> None:
    assert render("{{ task.input.t | escape }}", {"t": "a & 'b'"}) == "a &amp; &#39;b&#39;"
    assert render("{{ task.input.t | escape | escape }}", {"t": "<"}) == "&lt;"


def test_escape_once_keeps_existing_entities() -> None:
    assert render("{{ task.input.t | escape_once }}", {"t": "&amp; & &lt; <i> &#39; &#x27;"}) == (
        "&amp; &amp; &lt; &lt;i&gt; &#39; &#x27;"
    )


def test_skip_autoescape_writes_raw_html() -> None:
    assert render("{{ task.input.table | skip_autoescape }}", {"table": "<table><tr><td>1</td></tr></table>"}) == (
        "<table><tr><td>1</td></tr></table>"
    )


def test_to_json_is_not_escaped_again_and_to_json_escape_escapes_exactly_once() -> None:
    data = {"labels": ["Cat", "Dog & Bird"]}
    assert render("{{ task.input.labels | to_json }}", data) == '["Cat","Dog \\u0026 Bird"]'
    assert render('<x categories="{{ task.input.labels | to_json | escape }}">', data) == (
        '<x categories="[&quot;Cat&quot;,&quot;Dog \\u0026 Bird&quot;]">'
    )


def test_to_json_cannot_break_out_of_a_single_quoted_attribute_or_a_script() -> None:
    # given values that try to close the attribute or the script element
    data = {"v": ["x' onmouseover='alert(1)", "</script><script>alert(1)</script>"]}

    # when printed with to_json into a single-quoted attribute
    html = render("<x a='{{ task.input.v | to_json }}'>", data)

    # then the JSON still parses to the same value and neither ' nor < appears inside it
    inner = html[len("<x a='") : -len("'>")]
    assert "'" not in inner
    assert "<" not in inner
    assert json.loads(inner) == data["v"]


def test_to_json_of_scalars_and_objects() -> None:
    assert (
        render(
            "{{ task.input.n | to_json }}|{{ task.input.s | to_json }}|{{ task.input.o | to_json }}",
            {"n": 1.5, "s": "x", "o": {"a": [True, None]}},
        )
        == '1.5|"x"|{"a":[true,null]}'
    )


def test_grant_read_access_signs_s3_uris_and_passes_other_urls_through() -> None:
    signer = RecordingSigner()
    html = render(
        '<img src="{{ task.input.a | grant_read_access }}"><img src="{{ task.input.b | grant_read_access }}">',
        {"a": "s3://bucket/key one.jpg", "b": "https://example.com/x.jpg"},
        signer,
    )
    assert signer.references == ["s3://bucket/key one.jpg", "https://example.com/x.jpg"]
    assert html == (
        '<img src="https://s3.example.test/bucket/key one.jpg?sig=a&amp;exp=1"><img src="https://example.com/x.jpg">'
    )


def test_grant_read_access_reports_the_origins_it_granted() -> None:
    result = template_render(
        content="{{ task.input.a | grant_read_access }}", task_input={"a": "s3://b/k"}, media=RecordingSigner()
    )
    assert result.media_origins == ("https://s3.example.test",)


def test_grant_read_access_refusal_is_a_render_error() -> None:
    result = template_render(
        content="{{ task.input.a | grant_read_access }}",
        task_input={"a": "s3://secret/k"},
        media=RecordingSigner(refuse="secret"),
    )
    assert result.html == ""
    assert [e.code for e in result.errors] == ["MediaAccessDenied"]
    assert "not yours" in result.errors[0].message


def test_grant_read_access_without_a_signer_leaves_the_reference_as_written() -> None:
    assert render("{{ task.input.a | grant_read_access }}", {"a": "s3://b/k&x"}) == "s3://b/k&amp;x"


def test_standard_liquid_filters_and_tags_work() -> None:
    html = render(
        "{% assign n = task.input.words | size %}{{ task.input.words | join: ', ' | upcase }}|{{ n | plus: 1 }}"
        "|{% if n > 2 %}many{% elsif n > 0 %}some{% else %}none{% endif %}"
        "|{% case task.input.kind %}{% when 'a' %}A{% else %}other{% endcase %}"
        "|{% unless task.input.off %}on{% endunless %}|{{ task.input.missing | default: 'dflt' }}",
        {"words": ["x", "y"], "kind": "a"},
    )
    assert html == "X, Y|3|some|A|on|dflt"


# --- Asset URLs -----------------------------------------------------------------------------


def test_v1_v2_and_gen_ai_asset_urls_and_known_third_party_files_load_our_copies() -> None:
    html = rewrite_asset_urls(
        '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>'
        '<script src="https://assets.crowd.aws/crowd-html-elements-v2.js"></script>'
        "<link rel='stylesheet' href='https://assets.crowd.aws/css/crowd-html-elements-v2.css'>"
        '<script src="https://assets.crowd.aws/gen-ai-components.js"></script>'
        '<link rel="stylesheet" href="https://assets.crowd.aws/css/gen-ai-components.css">'
        '<img src="https://assets.crowd.aws/images/a2i-console/correct-value.png">'
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/node-uuid/1.4.8/uuid.min.js"></script>'
        '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
        '<img src="https://s3.amazonaws.com/cv-demo-images/highway.jpg"/>'
        '<img src="https://s3.amazonaws.com/other-bucket/highway.jpg"/>'
        "<p>https://assets.crowd.aws/ in text stays</p>"
    )
    assert html == (
        '<script src="/static/crowd/crowd-html-elements.js"></script>'
        '<script src="/static/crowd/crowd-html-elements-v2.js"></script>'
        "<link rel='stylesheet' href='/static/crowd/css/crowd-html-elements-v2.css'>"
        '<script src="/static/crowd/crowd-html-elements-v2.js"></script>'
        '<link rel="stylesheet" href="/static/crowd/css/crowd-html-elements-v2.css">'
        '<img src="/static/crowd/images/a2i-console/correct-value.png">'
        '<script src="/static/crowd/vendor/node-uuid.js"></script>'
        '<script async src="/static/crowd/vendor/twitter-widgets-offline.js" charset="utf-8"></script>'
        '<img src="/static/crowd/stand-ins/cv-demo-images/highway.jpg"/>'
        '<img src="https://s3.amazonaws.com/other-bucket/highway.jpg"/>'
        "<p>https://assets.crowd.aws/ in text stays</p>"
    )


# --- Bad templates --------------------------------------------------------------------------


def codes(errors: list[RenderError]) -> list[str]:
    return [e.code for e in errors]


def test_syntax_error_is_reported_with_its_line() -> None:
    content = "<p>ok</p>\n{% if task.input.x %}\n<p>never closed</p>\n"
    assert codes(template_check(content)) == ["TemplateSyntaxError"]
    result = template_render(content=content, task_input={})
    assert result.html == ""
    assert codes(result.errors) == ["TemplateSyntaxError"]
    unclosed_output = template_check("<p>\n{{ task.input.x </p>")
    assert codes(unclosed_output) == ["TemplateSyntaxError"]
    assert "line 2" in unclosed_output[0].message


def test_unknown_filter_is_found_before_any_render() -> None:
    errors = template_check("<p>\n  {{ task.input.x | no_such_filter }}</p>")
    assert codes(errors) == ["UnknownFilter"]
    assert "no_such_filter" in errors[0].message
    assert "line 2" in errors[0].message


def test_unknown_filter_inside_a_branch_never_taken_is_still_reported() -> None:
    assert codes(template_check("{% if false %}{{ 1 | nope }}{% endif %}")) == ["UnknownFilter"]


def test_unknown_tags_and_include_are_refused() -> None:
    assert codes(template_check("{% frobnicate %}")) == ["UnknownTag"]
    assert codes(template_check("{% include 'other' %}")) == ["UnknownTag"]


def test_empty_and_oversized_templates_are_refused() -> None:
    assert codes(template_check("")) == ["EmptyTemplate"]
    assert codes(template_check("x" * 128_001)) == ["TemplateTooLarge"]
    assert template_check("x" * 128_000) == []


@pytest.mark.parametrize(
    "content",
    [
        "{% for i in (1..1000000000) %}{% endfor %}",
        "{% for i in (1..100000) %}{% for j in (1..100000) %}{% endfor %}{% endfor %}",
        # many sequential loops, each under the per-nest limit
        "{% for i in (1..90000) %}{% endfor %}" * 500,
    ],
    ids=["one-huge-loop", "nested", "many-loops"],
)
def test_runaway_loops_end_fast_with_a_clear_error(content: str) -> None:
    start = time.monotonic()
    result = template_render(content=content, task_input={})
    assert time.monotonic() - start < 2.5
    assert result.html == ""
    assert codes(result.errors) == ["LoopLimitExceeded"]
    assert f"{MAX_LOOP_ITERATIONS:,}" in result.errors[0].message


def test_huge_output_ends_with_a_clear_error() -> None:
    big = "x" * 100_000
    start = time.monotonic()
    result = template_render(
        content="{% for i in (1..99000) %}{{ task.input.big }}{% endfor %}", task_input={"big": big}
    )
    assert time.monotonic() - start < 2.5
    assert result.html == ""
    assert codes(result.errors) == ["OutputLimitExceeded"]


def test_memory_doubling_ends_with_a_clear_error() -> None:
    content = (
        "{% assign s = 'xxxxxxxx' %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}"
    )
    result = template_render(content=content, task_input={})
    assert codes(result.errors) == ["MemoryLimitExceeded"]


def test_filter_given_bad_arguments_is_an_error_not_an_exception() -> None:
    result = template_render(content="{{ 1 | divided_by: 0 }}", task_input={})
    assert result.html == ""
    assert len(result.errors) == 1
    assert result.errors[0].code == "TemplateRenderError"


def test_parsed_templates_are_cached_and_renders_are_fast() -> None:
    content = (DEFAULT_SAMPLES / "images" / "bounding-box.liquid.html").read_text()
    template_render(content=content, task_input=SAMPLE_INPUT)
    timings = []
    for _ in range(50):
        start = time.perf_counter()
        template_render(content=content, task_input=SAMPLE_INPUT, media=RecordingSigner())
        timings.append(time.perf_counter() - start)
    assert sorted(timings)[-2] < 0.020


def test_every_rewritten_asset_of_the_samples_exists_in_static() -> None:
    # given every sample template rendered
    static_root = Path(__file__).resolve().parents[2] / "static"
    missing = set()
    for path in SAMPLES:
        html = template_render(content=path.read_text(encoding="utf-8"), task_input=SAMPLE_INPUT).html
        # then every local asset it points to is a file we ship
        for url in re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", html):
            if not (static_root / url.removeprefix("/static/")).is_file():
                missing.add(url)
    assert missing == set()
