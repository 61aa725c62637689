"""crowd-form, the input controls and native controls: driven with mouse and keyboard, checked
against the exact answerContent (spec/crowd-elements.md §1.4-1.7, §2.1-2.2)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import Guard, Site, open_page, submit, try_submit

pytestmark = pytest.mark.browser


def test_text_inputs_checkbox_radio_toggle_slider_give_the_documented_answer(page: Page, site: Site) -> None:
    # given a form with one of each input control
    open_page(
        page,
        site,
        """
        <crowd-form>
          <crowd-input name="tag1" label="First tag" required></crowd-input>
          <crowd-input name="empty" label="Left empty"></crowd-input>
          <crowd-input name="preset" value="kept as is"></crowd-input>
          <crowd-text-area name="notes" label="Notes" rows="2"></crowd-text-area>
          <crowd-checkbox name="defects" value="blurred">Blurred</crowd-checkbox>
          <crowd-checkbox name="defects" value="cropped">Cropped</crowd-checkbox>
          <crowd-checkbox name="defects" value="overexposed" checked="true">Overexposed</crowd-checkbox>
          <crowd-checkbox name="consent">I agree</crowd-checkbox>
          <crowd-radio-group>
            <crowd-radio-button name="option1" value="Option 1">One</crowd-radio-button>
            <crowd-radio-button name="option2" value="Option 2">Two</crowd-radio-button>
          </crowd-radio-group>
          <crowd-toggle-button name="pii" value="present"></crowd-toggle-button>
          <crowd-toggle-button name="needsEscalation"></crowd-toggle-button>
          <crowd-slider name="fluency" min="1" max="5" pin></crowd-slider>
        </crowd-form>
        """,
    )
    # when the worker types, clicks and uses the keyboard
    page.get_by_label("First tag").fill("harbour")
    notes = page.get_by_label("Notes")
    notes.click()
    page.keyboard.type("line one")
    page.keyboard.press("Enter")
    page.keyboard.type("line two")
    page.get_by_text("Blurred").click()
    page.get_by_text("I agree").click()
    page.locator("crowd-checkbox[value=cropped]").focus()
    page.keyboard.press(" ")
    page.keyboard.press(" ")  # toggled on and off again by keyboard
    page.get_by_text("One").click()
    page.locator("crowd-radio-button[value='Option 1']").focus()
    page.keyboard.press("ArrowDown")  # arrow keys move the choice within the group
    page.locator("crowd-toggle-button[name=pii]").click()
    slider = page.locator("crowd-slider[name=fluency] input[type=range]")
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    answer = submit(page)
    # then answerContent has exactly the documented shapes
    assert answer == {
        "consent": {"on": True},
        "defects": {"blurred": True, "cropped": False, "overexposed": True},
        "fluency": 4,
        "needsEscalation": {"on": False},
        "notes": "line one\nline two",
        "option1": {"Option 1": False},
        "option2": {"Option 2": True},
        "pii": {"present": True},
        "preset": "kept as is",
        "tag1": "harbour",
    }
    assert list(answer) == sorted(answer)


def test_slider_drag_fires_change_and_updates_value(page: Page, site: Site) -> None:
    open_page(page, site, '<crowd-form><crowd-slider id="s" name="opacity" value="50" pin></crowd-slider></crowd-form>')
    page.evaluate("window.__changes = []; s.onchange = function () { window.__changes.push(s.value); }; 0")
    box = page.locator("#s input[type=range]").bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 1, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    assert page.evaluate("s.value") == 100
    assert page.evaluate("window.__changes") == [100]
    assert submit(page) == {"opacity": 100}


def test_slider_labels_render_and_slider_submits_its_number(page: Page, site: Site) -> None:
    labels = "".join(f'<crowd-slider-label position="{i}">{i}</crowd-slider-label>' for i in range(1, 6))
    open_page(
        page,
        site,
        f'<crowd-form><crowd-slider name="accuracy" min="1" max="5" step="1" pin="true" required>{labels}'
        "</crowd-slider></crowd-form>",
    )
    expect(page.locator("crowd-slider-label[position='5']")).to_be_visible()
    page.locator("crowd-slider input[type=range]").focus()
    page.keyboard.press("End")
    assert submit(page) == {"accuracy": 5}


def test_native_controls_inside_the_form_are_collected(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        """
        <crowd-form>
          <select name="animal" required><option disabled selected value>Choose</option><option>Cat</option>
            <option value="dog">Dog</option></select>
          <input type="date" name="receiptDate" min="1999-01-01" max="2019-12-31" required>
          <input type="hidden" name="instances" value='[{"a":1}]'>
          <input type="text" name="emptyText">
          <input type="text" name="off" value="x" disabled>
          <input type="text" value="no name">
          <input type="checkbox" name="box" value="foo" checked><input type="checkbox" name="box" value="bar">
          <textarea name="weather">sunny</textarea>
        </crowd-form>
        <input type="text" name="outside" value="not collected">
        """,
    )
    page.select_option("select[name=animal]", "dog")
    page.fill("input[name=receiptDate]", "2019-03-14")
    answer = submit(page)
    assert answer == {
        "animal": "dog",
        "box": {"bar": False, "foo": True},
        "instances": '[{"a":1}]',
        "receiptDate": "2019-03-14",
        "weather": "sunny",
    }


def test_required_fields_block_submit_with_a_visible_message(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        """
        <crowd-form>
          <crowd-input name="firstName" label="First name" required></crowd-input>
          <select name="sentiment" required><option value="">Choose</option><option>Positive</option></select>
          <crowd-checkbox name="consent" required>I agree</crowd-checkbox>
        </crowd-form>
        """,
    )
    assert try_submit(page) == 0
    expect(page.locator("crowd-input [role=alert]")).to_have_text("This field is required.")
    expect(page.locator("[data-testid=crowd-form-error]")).to_be_visible()
    expect(page.locator("[data-testid=crowd-form-error]")).to_contain_text("First name")
    page.get_by_label("First name").fill("Ada")
    assert try_submit(page) == 0
    expect(page.locator("[data-testid=crowd-form-error]")).to_contain_text("sentiment")
    page.select_option("select[name=sentiment]", "Positive")
    assert try_submit(page) == 0
    expect(page.locator("[data-testid=crowd-form-error]")).to_contain_text("I agree")
    page.get_by_role("checkbox", name="I agree").click()
    assert try_submit(page) == 1
    assert page.evaluate("window.__answers[0]") == {
        "consent": {"on": True},
        "firstName": "Ada",
        "sentiment": "Positive",
    }
    # one submission per task: a second click records nothing more
    assert try_submit(page) == 1


def test_input_allowed_pattern_max_length_and_null_value(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        """
        <crowd-form>
          <crowd-input id="digits" name="digits" label="Digits" auto-validate allowed-pattern="[0-9]"
            max-length="4"></crowd-input>
          <crowd-input id="customLabel" name="_customLabel" label="Scratch"></crowd-input>
        </crowd-form>
        """,
    )
    page.get_by_label("Digits").click()
    page.keyboard.type("1a2b3c45")
    assert page.evaluate("digits.value") == "1234"
    page.get_by_label("Scratch").fill("temp")
    page.evaluate("customLabel.value = null")
    assert page.evaluate("customLabel.value") == ""
    assert submit(page) == {"digits": "1234"}


def test_submit_contract_calls_loupe_frame_bridge_when_present(page: Page, site: Site) -> None:
    page.context.add_init_script(
        "window.__bridge = []; window.LoupeFrame = {submit: function (a) { window.__bridge.push(a); return true; }};"
    )
    open_page(page, site, '<crowd-form><crowd-input name="q" label="Q" value="v"></crowd-input></crowd-form>')
    page.locator("[data-testid=crowd-submit]").click()
    page.wait_for_function("window.__bridge.length === 1")
    assert page.evaluate("window.__bridge") == [{"q": "v"}]
    assert page.evaluate("window.__answers") == []  # the event is only the fallback
    assert page.url.endswith("/t.html")  # never navigates


def test_onsubmit_handlers_run_before_serialisation_and_can_block(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        """
        <crowd-form>
          <div id="errorBox"></div>
          <input type="hidden" name="faces" id="answerInput">
          <crowd-button id="addLabel">Add</crowd-button>
        </crowd-form>
        <script>
          window.__block = true; window.__clicks = 0;
          addLabel.onclick = function () { window.__clicks++; };
          document.querySelector('crowd-form').onsubmit = function (event) {
            answerInput.value = JSON.stringify([["a/b.png"]]);
            if (window.__block) {
              errorBox.innerHTML = '<crowd-alert type="error" dismissible>Group every face.</crowd-alert>';
              event.preventDefault();
            }
          };
        </script>
        """,
    )
    # a crowd-button without form-action runs its onclick and never submits
    page.get_by_role("button", name="Add").click()
    page.wait_for_timeout(100)
    assert page.evaluate("window.__clicks") == 1
    assert page.evaluate("window.__answers.length") == 0
    # preventDefault in onsubmit blocks; the alert created by innerHTML upgrades and can be dismissed
    assert try_submit(page) == 0
    alert = page.locator("crowd-alert")
    expect(alert.locator(".a.error")).to_be_visible()
    alert.get_by_role("button", name="Dismiss").click()
    expect(alert).to_be_hidden()
    page.evaluate("window.__block = false")
    assert submit(page) == {"faces": '[["a/b.png"]]'}


def test_form_structure_ready_event_and_programmatic_submit(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        """
        <crowd-form><crowd-input name="a" value="1"></crowd-input></crowd-form>
        <script>
          var f = document.querySelector('crowd-form'); window.__events = 0;
          f.addEventListener('submit', function (e) {
            window.__events++; window.__cancelable = e.cancelable; f.submit();
          });
        </script>
        """,
    )
    page.wait_for_timeout(500)
    assert page.evaluate("window.__readyCount") == 1
    assert page.evaluate(
        "document.querySelector('crowd-form').querySelector('form') === document.querySelector('crowd-form').form"
    )
    assert page.locator("crowd-button[form-action=submit]").count() == 1
    assert page.evaluate("document.querySelector('crowd-form').shadowRoot.querySelector('#answers-box') !== null")
    page.evaluate("document.querySelector('crowd-form').submit()")
    page.wait_for_function("window.__answers.length === 1")
    assert page.evaluate("[window.__events, window.__cancelable, window.__answers]") == [1, True, [{"a": "1"}]]


def test_own_submit_button_suppresses_the_automatic_one_and_enter_does_not_submit(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        """
        <crowd-form>
          <input type="text" name="only" id="only">
          <crowd-button form-action="submit" variant="primary">Send it</crowd-button>
        </crowd-form>
        """,
    )
    assert page.locator("crowd-button[form-action=submit]").count() == 1
    page.locator("#only").fill("x")
    page.locator("#only").press("Enter")
    page.wait_for_timeout(150)
    assert page.evaluate("window.__answers.length") == 0
    assert submit(page, "crowd-button[form-action=submit]") == {"only": "x"}


def test_layout_elements_render_and_respond(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        """
        <crowd-form>
          <crowd-instructions link-text="View instructions" link-type="button">
            <short-summary><p>Summary text</p></short-summary>
            <detailed-instructions><p>Detailed text</p></detailed-instructions>
            <positive-example><p>Good one</p></positive-example>
            <negative-example><p>Bad one</p></negative-example>
          </crowd-instructions>
          <crowd-tabs>
            <crowd-tab header="First"><p>Tab one</p></crowd-tab>
            <crowd-tab header="Second"><crowd-input name="inTab" value="hidden but submitted"></crowd-input></crowd-tab>
          </crowd-tabs>
          <crowd-card heading="Card">Body</crowd-card>
          <crowd-modal link-text="Open modal"><p>Modal body</p></crowd-modal>
          <crowd-badge for="b1" label="3"></crowd-badge><span id="b1">target</span>
          <crowd-fab icon="star" title="Fav"></crowd-fab>
          <crowd-icon-button icon="search" title="Search"></crowd-icon-button>
          <crowd-toast id="toast" text="Saved" duration="5000"></crowd-toast>
          <crowd-button icon="search">With icon<iron-icon icon="star"></iron-icon></crowd-button>
        </crowd-form>
        """,
    )
    page.get_by_role("button", name="View instructions").click()
    expect(page.get_by_text("Summary text")).to_be_visible()
    page.get_by_role("tab", name="Examples").click()
    expect(page.get_by_text("Good one")).to_be_visible()
    expect(page.get_by_text("Bad one")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_text("Good one")).to_be_hidden()
    expect(page.get_by_text("Tab one")).to_be_visible()
    page.get_by_role("tab", name="Second").click()
    expect(page.get_by_text("Tab one")).to_be_hidden()
    page.get_by_role("button", name="Open modal").click()
    expect(page.get_by_text("Modal body")).to_be_visible()
    page.get_by_role("button", name="Close").locator("visible=true").click()
    expect(page.get_by_text("Modal body")).to_be_hidden()
    page.evaluate("toast.show()")
    expect(page.locator("#toast [role=status]")).to_have_text("Saved")
    expect(page.locator("crowd-badge")).to_have_text("3")
    assert submit(page) == {"inTab": "hidden but submitted"}


def test_attribute_literals_are_parsed_without_eval(page: Page, site: Site, guard: Guard) -> None:
    open_page(page, site, "<crowd-form></crowd-form>")
    parse = "(s) => window.LoupeCrowd.parseLiteral(s)"
    assert page.evaluate(parse, "['Cat', 'Dog']") == ["Cat", "Dog"]
    assert page.evaluate(parse, "{ text: 'None of the above' }") == {"text": "None of the above"}
    assert page.evaluate(parse, '[\n { name: "Weapons", parentName: "Violence", },\n ]') == [
        {"name": "Weapons", "parentName": "Violence"}
    ]
    assert page.evaluate(parse, '["a\\"b", "it\'s", "&"] // comment') == ['a"b', "it's", "&"]
    assert page.evaluate(parse, "") is None
    failed = page.evaluate(
        "(s) => { try { window.LoupeCrowd.parseLiteral(s); return ''; } catch (e) { return e.name; } }", "[alert(1)]"
    )
    assert failed == "SyntaxError"


def test_required_native_radio_group_blocks_until_a_choice_is_made(page: Page, site: Site) -> None:
    open_page(
        page,
        site,
        """<crowd-form>
          <label><input type="radio" name="rating" value="1" required> One</label>
          <label><input type="radio" name="rating" value="2"> Two</label>
        </crowd-form>""",
    )
    assert try_submit(page) == 0
    expect(page.locator("[data-testid=crowd-form-error]")).to_contain_text("rating")
    page.get_by_label("Two").check()
    assert submit(page) == {"rating": {"1": False, "2": True}}


def test_a_refused_hand_over_lets_the_worker_submit_again(page: Page, site: Site) -> None:
    page.context.add_init_script(
        "window.__calls = 0;"
        "window.LoupeFrame = {submit: function (a) { window.__calls++; return window.__calls > 1; }};"
    )
    open_page(page, site, '<crowd-form><crowd-input name="q" label="Q" value="v"></crowd-input></crowd-form>')
    page.locator("[data-testid=crowd-submit]").click()
    expect(page.locator("[data-testid=crowd-form-error]")).to_contain_text("could not be delivered")
    page.locator("[data-testid=crowd-submit]").click()
    expect(page.locator("[data-testid=crowd-form-done]")).to_be_visible()
    assert page.evaluate("window.__calls") == 2
    # the portal may still refuse it afterwards (frame-bridge.js reports loupe:submit-result)
    page.evaluate(
        "document.dispatchEvent(new CustomEvent('loupe:submit-result', {detail: {ok: false, message: 'Task expired'}}))"
    )
    expect(page.locator("[data-testid=crowd-form-error]")).to_contain_text("Task expired")
    expect(page.locator("[data-testid=crowd-submit] button")).to_be_enabled()
