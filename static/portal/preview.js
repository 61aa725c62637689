/* The engineer's template preview page: render a template and input in the real sandboxed task
 * frame, and show the answerContent the frame posts back. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("preview-config").textContent);
  var templateBox = document.getElementById("template");
  var inputBox = document.getElementById("input");
  var button = document.getElementById("render");
  var frame = document.getElementById("task-frame");
  var errors = document.getElementById("errors");
  var answer = document.getElementById("answer-content");

  function showErrors(list) {
    errors.textContent = list
      .map(function (e) {
        return (e.field ? e.field + ": " : "") + e.message;
      })
      .join("\n");
  }

  LoupeTaskFrameHost.attach(
    frame,
    function (answerContent, reply) {
      answer.textContent = JSON.stringify(answerContent, null, 2);
      reply(true);
    },
    {
      onNavigate: function () {
        showErrors([{ message: "The template navigated its frame to another page; the frame was closed." }]);
      },
    }
  );

  button.addEventListener("click", function () {
    errors.textContent = "";
    answer.textContent = "";
    var inputText = inputBox.value.trim() || "{}";
    try {
      var parsed = JSON.parse(inputText);
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        showErrors([{ field: "input", message: "The input must be a JSON object (it becomes task.input)." }]);
        return;
      }
    } catch (err) {
      showErrors([{ field: "input", message: "The input is not valid JSON: " + err.message }]);
      return;
    }
    button.disabled = true;
    fetch(config.renderUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrfToken },
      body: JSON.stringify({ template: templateBox.value, input: inputText, organization: config.organization }),
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return { errors: [{ message: "The server answered " + response.status + "." }] };
          });
      })
      .then(function (body) {
        if (body.errors && body.errors.length) {
          showErrors(body.errors);
          return;
        }
        frame.dataset.frameToken = body.frame_token;
        frame.setAttribute("src", body.frame_url);
      })
      .catch(function (err) {
        showErrors([{ message: "Could not reach the server: " + err.message }]);
      })
      .finally(function () {
        button.disabled = false;
      });
  });
})();
