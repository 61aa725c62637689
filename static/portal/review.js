/* The review page: check the corrected answer is a JSON object before it is sent (the server
 * checks again and says what is wrong). */
(function () {
  "use strict";
  var form = document.getElementById("correct-form");
  if (!form) return;
  var area = document.getElementById("answer");
  var error = document.getElementById("answer-error");
  function check() {
    var value;
    try { value = JSON.parse(area.value); } catch (e) { return "The corrected answer is not valid JSON: " + e.message; }
    if (value === null || typeof value !== "object" || Array.isArray(value)) return "The corrected answer must be a JSON object ({...}).";
    return "";
  }
  area.addEventListener("input", function () {
    var message = check();
    error.hidden = !message;
    error.textContent = message;
    area.setAttribute("aria-invalid", message ? "true" : "false");
  });
  form.addEventListener("submit", function (event) {
    var message = check();
    if (message) {
      event.preventDefault();
      error.hidden = false;
      error.textContent = message;
      area.focus();
    }
  });
})();
