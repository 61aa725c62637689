"""Classification widgets, the A2I built-ins, entity annotation and the v2 generative-AI widgets,
driven as a worker would (spec/crowd-elements.md §2.3, §2.5, §2.6, §7)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import Site, open_page, submit, try_submit

pytestmark = pytest.mark.browser

PHOTO = "/media/photo.png"


def choice(page: Page, widget: str, text: str) -> None:
    page.locator(f"{widget} .choice", has_text=re.compile(rf"^\s*{re.escape(text)}\s*$")).click()


def test_classifier_single_choice_by_click_and_keyboard(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        """<crowd-form><crowd-classifier name="sentiment" categories="['Positive', 'Negative', 'Neutral']"
        header="What sentiment?"><classification-target>I did not like it.</classification-target>
        <short-instructions>Pick one.</short-instructions>
        <full-instructions header="Sentiment">Long.</full-instructions>
        </crowd-classifier></crowd-form>""",
    )
    # nothing chosen: submission is refused with a message
    assert try_submit(page) == 0
    expect(page.locator("crowd-classifier .foot .err")).to_have_text("Choose a category.")
    # the full instructions open in a modal titled by their header
    page.get_by_role("button", name="View full instructions").click()
    expect(page.get_by_role("dialog", name="Sentiment")).to_be_visible()
    page.keyboard.press("Escape")
    choice(page, "crowd-classifier", "Positive")
    page.keyboard.press("ArrowDown")  # arrow keys move the choice
    assert submit(page) == {"sentiment": {"label": "Negative"}}


def test_classifier_with_exclusion_category_and_initial_value(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        """<crowd-form><crowd-classifier name="sentiment" categories="['Happy', 'Sad']" initial-value="Sad"
        exclusion-category="{ text: 'None of the above' }" header="Mood?"></crowd-classifier></crowd-form>""",
    )
    assert page.evaluate("document.querySelector('crowd-classifier').value") == {"label": "Sad"}
    choice(page, "crowd-classifier", "None of the above")
    assert submit(page) == {"sentiment": {"label": "None of the above"}}


def test_classifier_multi_select_and_exclusion(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        """<crowd-form><crowd-classifier-multi-select name="category"
        categories="['Music', 'Sports', 'News', 'Politics']" header="Type?"
        exclusion-category="{ text: 'None of the above' }"><classification-target>Clip</classification-target>
        <short-instructions>Pick.</short-instructions></crowd-classifier-multi-select></crowd-form>
        <script>
          document.addEventListener('all-crowd-elements-ready', () => {
            const c = document.querySelector('crowd-classifier-multi-select');
            c.shadowRoot.querySelector('.awsui-app-layout__navigation').style.width = '400px';
            c.shadowRoot.querySelector('.awsui-modal-dialog').style.maxWidth = '90%';
          });
        </script>""",
    )
    assert try_submit(page) == 0
    w = "crowd-classifier-multi-select"
    assert page.evaluate(f"document.querySelector('{w}').shadowRoot.querySelector('nav').offsetWidth") == 400
    choice(page, w, "Politics")
    choice(page, w, "News")
    choice(page, w, "Music")
    choice(page, w, "Music")  # unticked again
    assert page.evaluate(f"document.querySelector('{w}').value") == {"labels": ["News", "Politics"]}
    choice(page, w, "None of the above")
    expect(page.locator(f"{w} .choice.cat").first).to_be_disabled()
    assert submit(page) == {"category": {"labels": []}}


def test_image_classifier_with_worker_comment(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        f"""<crowd-form><crowd-image-classifier name="category" src="{PHOTO}" header="Offensive?"
        categories="['Safe', 'Offensive Gestures']"
        overlay='{{"boundingBox": {{"labels": ["hand"],
          "value": [{{"height": 20, "label": "hand", "left": 5, "top": 5, "width": 30}}]}}}}'>
        <worker-comment header="Why?" link-text="Explain" placeholder="Where is it?">Say where.</worker-comment>
        </crowd-image-classifier></crowd-form>""",
    )
    expect(page.locator("crowd-image-classifier svg rect")).to_have_count(1)
    choice(page, "crowd-image-classifier", "Offensive Gestures")
    assert page.evaluate("document.querySelector('crowd-image-classifier').value") == {"label": "Offensive Gestures"}
    page.get_by_role("button", name="Explain").click()
    dialog = page.get_by_role("dialog", name="Why?")
    dialog.get_by_label("Comment").fill("Hand sign in the lower left corner.")
    dialog.get_by_role("button", name="Save").click()
    assert submit(page) == {
        "category": {"label": "Offensive Gestures", "workerComment": "Hand sign in the lower left corner."}
    }


def test_image_classifier_multi_select(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        f"""<crowd-form><crowd-image-classifier-multi-select name="animals" src="{PHOTO}" header="Which animals?"
        categories="['Cat', 'Dog', 'Bird']" exclusion-category="{{ text: 'None of the above' }}">
        </crowd-image-classifier-multi-select></crowd-form>""",
    )
    w = "crowd-image-classifier-multi-select"
    assert try_submit(page) == 0
    choice(page, w, "Dog")
    choice(page, w, "Bird")
    assert submit(page) == {"animals": {"labels": ["Dog", "Bird"]}}


def test_rekognition_moderation_returns_the_chosen_category_objects(page: Page, site: Site) -> None:
    categories = """'[
          { name: "Suggestive", parentName: "", },
          { name: "Weapons", parentName: "Violence", },
          { name: "Smoking", parentName: "Tobacco", },
        ]'"""
    open_page(
        page,
        site,
        f"""<crowd-form><crowd-rekognition-detect-moderation-labels categories={categories} src="{PHOTO}"
        header="Review the image"><short-instructions header="Instructions">Choose.</short-instructions>
        <full-instructions header="Instructions"></full-instructions>
        </crowd-rekognition-detect-moderation-labels></crowd-form>""",
    )
    w = "crowd-rekognition-detect-moderation-labels"
    expect(page.locator(f"{w} .choice.cat")).to_have_count(3)
    assert try_submit(page) == 0
    choice(page, w, "Smoking")
    choice(page, w, "Weapons")
    key = "AWS/Rekognition/DetectModerationLabels/Image/V3"
    assert page.evaluate(f"document.querySelector('{w}').value") == {
        "moderationLabels": [
            {"name": "Weapons", "parentName": "Violence"},
            {"name": "Smoking", "parentName": "Tobacco"},
        ]
    }
    # "None" clears and disables the categories; choosing it again re-enables them
    choice(page, w, "None")
    expect(page.locator(f"{w} .choice.cat").first).to_be_disabled()
    choice(page, w, "None")
    expect(page.locator(f"{w} .choice.cat").first).to_be_enabled()
    choice(page, w, "None")
    assert submit(page) == {key: {"moderationLabels": []}}


def test_textract_review_corrects_values_and_marks_pairs(page: Page, site: Site) -> None:
    blocks = (
        '[{"blockType":"KEY_VALUE_SET","entityTypes":["KEY"],"id":"k1","geometry":{"boundingBox":'
        '{"left":0.1,"top":0.1,"width":0.2,"height":0.05}},"relationships":[{"type":"VALUE","ids":["v1"]},'
        '{"type":"CHILD","ids":["w1","w2"]}]},{"blockType":"KEY_VALUE_SET","entityTypes":["VALUE"],"id":"v1",'
        '"relationships":[{"type":"CHILD","ids":["w3"]}]},{"blockType":"WORD","id":"w1","text":"Invoice"},'
        '{"blockType":"WORD","id":"w2","text":"number"},{"blockType":"WORD","id":"w3","text":"1O42"},'
        '{"blockType":"KEY_VALUE_SET","entityTypes":["KEY"],"id":"k2","text":"Page","relationships":[{"type":"VALUE","ids":["v2"]}]},'
        '{"blockType":"KEY_VALUE_SET","entityTypes":["VALUE"],"id":"v2","text":"1"}]'
    )
    keys = (
        '[{"importantFormKey":"Invoice number","importantFormKeyAliases":[]},'
        '{"importantFormKey":"Total","importantFormKeyAliases":["Amount"]}]'
    )
    open_page(
        page,
        site,
        f"""<crowd-form><crowd-textract-analyze-document src="{PHOTO}" header="Review"
        initial-value='{blocks}' keys='{keys}' block-types="['KEY_VALUE_SET']" no-key-edit no-geometry-edit>
        <short-instructions header="Instructions"></short-instructions>
        <full-instructions header="Instructions"></full-instructions>
        </crowd-textract-analyze-document></crowd-form>""",
    )
    w = page.locator("crowd-textract-analyze-document")
    expect(w.get_by_label("Key 1")).to_have_value("Invoice number")
    expect(w.get_by_label("Key 1")).not_to_be_editable()
    w.get_by_label("Value 1").fill("1042")
    w.locator(".pairs .pair").nth(1).get_by_role("button", name="No, not a key-value pair").click()
    w.get_by_label("Value for Total").fill("99.50")
    answer = submit(page)
    blocks_out = answer["AWS/Textract/AnalyzeDocument/Forms/V1"]["blocks"]
    assert blocks_out[:2] == [
        {
            "blockType": "KEY_VALUE_SET",
            "entityTypes": ["KEY"],
            "geometry": {"boundingBox": {"height": 0.05, "left": 0.1, "top": 0.1, "width": 0.2}},
            "id": "k1",
            "relationships": [{"ids": ["v1"], "type": "VALUE"}, {"ids": ["w1", "w2"], "type": "CHILD"}],
            "text": "Invoice number",
        },
        {
            "blockType": "KEY_VALUE_SET",
            "entityTypes": ["VALUE"],
            "id": "v1",
            "relationships": [{"ids": ["w3"], "type": "CHILD"}],
            "text": "1042",
        },
    ]
    added_key, added_value = blocks_out[2:]
    assert added_key["text"] == "Total"
    assert added_key["entityTypes"] == ["KEY"]
    assert added_key["relationships"] == [{"ids": [added_value["id"]], "type": "VALUE"}]
    assert added_value["text"] == "99.50"
    assert added_value["entityTypes"] == ["VALUE"]
    assert len(blocks_out) == 4


def select_text(page: Page, host: str, box: str, start: int, end: int) -> None:
    """Drag the mouse across characters [start, end) of the text shown in host's shadow `box`."""
    rects = page.evaluate(
        """([host, box, s, e]) => {
          const root = document.querySelector(host).shadowRoot.querySelector(box);
          function rectAt(i) {
            for (const span of root.querySelectorAll('[data-o]')) {
              const o = Number(span.getAttribute('data-o')), t = span.firstChild;
              if (t && i >= o && i < o + t.length) {
                const r = document.createRange(); r.setStart(t, i - o); r.setEnd(t, i - o + 1);
                const b = r.getClientRects()[0]; return [b.left, b.top, b.right, b.bottom];
              }
            }
            return null;
          }
          return [rectAt(s), rectAt(e - 1)];
        }""",
        [host, box, start, end],
    )
    a, b = rects
    page.mouse.move(a[0] + 1, (a[1] + a[3]) / 2)
    page.mouse.down()
    page.mouse.move(b[2] - 1, (b[1] + b[3]) / 2, steps=4)
    page.mouse.up()
    page.wait_for_timeout(50)


def test_entity_annotation_marks_spans_with_labels_and_submits_through_its_own_form(page: Page, site: Site) -> None:
    text = 'Amazon SageMaker "Ground Truth" & <friends> helps you'
    open_page(
        page,
        site,
        f"""<crowd-entity-annotation name="crowd-entity-annotation" header="Highlight parts of the text below"
        labels="[{{'label': 'person', 'shortDisplayName': 'per', 'fullDisplayName': 'Person'}},
                 {{'label': 'company', 'shortDisplayName': 'com', 'longDisplayName': 'Company'}}]"
        text="{text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")}">
        <full-instructions header="Named entity recognition instructions">Mark.</full-instructions>
        <short-instructions>Mark.</short-instructions></crowd-entity-annotation>
        <div id="additionalQuestions"><crowd-radio-group>
          <crowd-radio-button name="tech" value="tech">Technology</crowd-radio-button>
          <crowd-radio-button name="politics" value="politics">Politics</crowd-radio-button>
        </crowd-radio-group></div>
        <script>
          document.addEventListener('all-crowd-elements-ready', () => {{
            document.querySelector('crowd-entity-annotation').shadowRoot.querySelector('crowd-form').form
              .appendChild(additionalQuestions);
          }});
        </script>""",
    )
    w = "crowd-entity-annotation"
    # select first, then choose the label
    select_text(page, w, ".text", 0, 6)
    page.locator(f"{w} .labels .choice", has_text="Company").click()
    # choose the label first, then select: "Ground Truth" inside quotes, then "& <friends>"
    page.locator(f"{w} .labels .choice", has_text="Company").click()
    select_text(page, w, ".text", 18, 30)
    select_text(page, w, ".text", 32, 43)
    # change the label of a marked span: click it, then a label
    page.locator(f"{w} mark.ent", has_text="<friends>").click()
    page.locator(f"{w} .labels .choice", has_text="Person").click()
    expect(page.locator(f"{w} mark.ent").nth(2)).to_have_attribute("data-short", "per")
    page.get_by_role("radio", name="Technology").click()
    answer = submit(page)
    assert answer == {
        "crowd-entity-annotation": {
            "entities": [
                {"endOffset": 6, "label": "company", "startOffset": 0},
                {"endOffset": 30, "label": "company", "startOffset": 18},
                {"endOffset": 43, "label": "person", "startOffset": 32},
            ]
        },
        "politics": {"politics": False},
        "tech": {"tech": True},
    }
    assert text[18:30] == "Ground Truth"
    assert text[32:43] == "& <friends>"


def test_entity_annotation_initial_value_and_removal(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        """<crowd-entity-annotation name="entities" header="Check" labels="[{'label': 'date'}]"
        text="Founded in 1994 and 2001." initial-value="[{label: 'date', startOffset: 11, endOffset: 15},
        {label: 'date', startOffset: 20, endOffset: 24}]"></crowd-entity-annotation>""",
    )
    w = "crowd-entity-annotation"
    page.locator(f"{w} mark.ent", has_text="2001").get_by_role("button").click()
    assert submit(page) == {
        "entities": {"entities": [{"endOffset": 15, "label": "date", "startOffset": 11}], "initialValueModified": True}
    }


def test_text_ranking_2025_style_with_name_and_tie_rules(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        """<crowd-form><crowd-text-ranking name="textRanking" text="Summarise the article."
        responses='["First answer", "Second answer", "Third answer"]'
        ordinal-ranking-dimensions='[{"name": "Clarity", "allowTie": true},
          {"name": "Inclusivity", "allowTie": false}]'>
        <short-instructions>Rank.</short-instructions></crowd-text-ranking></crowd-form>""",
    )
    w = page.locator("crowd-text-ranking")
    w.get_by_label("Clarity rank of response 1").select_option("2")
    w.get_by_label("Clarity rank of response 2").select_option("1")
    w.get_by_label("Clarity rank of response 3").select_option("2")
    w.get_by_label("Inclusivity rank of response 1").select_option("3")
    w.get_by_label("Inclusivity rank of response 2").select_option("3")
    assert try_submit(page) == 0  # equal ranks where ties are not allowed
    expect(w.locator(".foot .err")).to_contain_text("Inclusivity")
    w.get_by_label("Inclusivity rank of response 2").select_option("1")
    w.get_by_label("Inclusivity rank of response 3").select_option("2")
    assert submit(page) == {
        "textRanking": {
            "ordinalRankingDimensions": [
                {"allowTie": True, "name": "Clarity", "responseRankings": [2, 1, 2]},
                {"allowTie": False, "name": "Inclusivity", "responseRankings": [3, 1, 2]},
            ]
        }
    }


def test_text_ranking_2024_style_submits_through_the_hidden_form(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        """<crowd-text-ranking crowd-form-element-id="crowdForm" instructions="Rank the responses."
        text="Prompt" responses='["a", "b"]' ordinal-ranking-dimensions='[{"name": "Helpfulness", "allowTie": false}]'>
        </crowd-text-ranking>
        <crowd-form id="crowdForm" style="display: none"></crowd-form>""",
    )
    expect(page.locator("crowd-text-ranking .instr")).to_have_text("Rank the responses.")
    page.locator("crowd-text-ranking").get_by_label("Helpfulness rank of response 1").select_option("2")
    page.locator("crowd-text-ranking").get_by_label("Helpfulness rank of response 2").select_option("1")
    assert submit(page) == {
        "ordinalRankingDimensions": [{"allowTie": False, "name": "Helpfulness", "responseRankings": [2, 1]}]
    }


def test_question_answer_generation_pairs_tags_references_and_limits(page: Page, site: Site) -> None:
    text = "The delta floods every spring. Farmers plant rice once the water recedes."
    open_page(
        page,
        site,
        f"""<crowd-form><crowd-question-answer-generation name="questionAndAnswers" text="{text}"
        min-questions=2 max-questions=3 question-min-words=3 answer-max-words=5 question-tags='["When", "What"]'
        allow-custom-tags=true><short-instructions>Write pairs.</short-instructions>
        </crowd-question-answer-generation></crowd-form>""",
    )
    w = page.locator("crowd-question-answer-generation")
    w.get_by_label("Question 1", exact=True).fill("When does the delta flood?")
    w.get_by_label("Answer 1").fill("Every spring")
    w.locator(".qa").nth(0).get_by_role("button", name="When").click()
    select_text(page, "crowd-question-answer-generation", ".passage", 0, 29)
    w.locator(".qa").nth(0).get_by_role("button", name="Add selected text as reference").click()
    w.get_by_label("Question 2", exact=True).fill("Plant?")
    w.get_by_label("Answer 2").fill("Rice")
    w.get_by_label("Custom tag for question 2").fill("Crops")
    w.get_by_label("Custom tag for question 2").press("Enter")
    assert try_submit(page) == 0  # "Plant?" has fewer than 3 words
    expect(w.locator(".foot .err")).to_contain_text("Question 2")
    w.get_by_label("Question 2", exact=True).fill("What do farmers plant?")
    assert submit(page) == {
        "questionAndAnswers": {
            "questionAnswerPairs": [
                {
                    "answer": "Every spring",
                    "question": "When does the delta flood?",
                    "questionTags": ["When"],
                    "textReferences": [{"endOffset": 29, "startOffset": 0, "text": "The delta floods every spring"}],
                },
                {
                    "answer": "Rice",
                    "question": "What do farmers plant?",
                    "questionTags": ["Crops"],
                    "textReferences": [],
                },
            ]
        }
    }


WIDGET_MARKUP = {
    "crowd-classifier": "categories=\"['a']\"",
    "crowd-image-classifier": f"src='{PHOTO}' categories=\"['a']\"",
    "crowd-bounding-box": f"src='{PHOTO}' labels=\"['a']\"",
    "crowd-semantic-segmentation": f"src='{PHOTO}' labels=\"['a']\"",
    "crowd-textract-analyze-document": f"src='{PHOTO}'",
    "crowd-rekognition-detect-moderation-labels": f"src='{PHOTO}' categories=\"['a']\"",
    "crowd-entity-annotation": "text='x' labels=\"[{label: 'a'}]\"",
    "crowd-text-ranking": 'responses=\'["a"]\' ordinal-ranking-dimensions=\'[{"name": "d", "allowTie": false}]\'',
    "crowd-question-answer-generation": "text='x'",
}


@pytest.mark.parametrize("tag", sorted(WIDGET_MARKUP))
def test_every_widget_draws_the_full_window_layout(page: Page, site: Site, tag: str) -> None:
    body = f'<{tag} name="w" header="Head" {WIDGET_MARKUP[tag]}></{tag}>'
    open_page(page, site, body if tag == "crowd-entity-annotation" else f"<crowd-form>{body}</crowd-form>")
    layout = page.evaluate(
        f"""(() => {{
          const root = document.querySelector('{tag}').shadowRoot;
          const nav = root.querySelector('.awsui-app-layout__navigation');
          return [getComputedStyle(root.querySelector('.cols')).display, nav.getBoundingClientRect().width,
                  !!root.querySelector('.awsui-modal-dialog'), root.querySelector('.hdr h2').textContent];
        }})()"""
    )
    assert layout == ["flex", 260, True, "Head"]


def test_an_unreadable_list_attribute_shows_an_error_in_the_tool(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        f"<crowd-form><crowd-bounding-box name='b' src='{PHOTO}' labels=\"['a', \"></crowd-bounding-box></crowd-form>",
    )
    expect(page.locator("crowd-bounding-box .foot .err")).to_contain_text("Cannot read attribute labels")
