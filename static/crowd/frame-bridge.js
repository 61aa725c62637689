/* Loupe task frame bridge: hands the crowd-form answer to the portal page by postMessage.
 * Loaded first in every task frame (see static/crowd/README.md for the contract). The frame is
 * sandboxed without allow-same-origin, so the parent is reachable only through postMessage. */
(function () {
  "use strict";
  if (window.LoupeFrame) return;
  var meta = document.querySelector('meta[name="loupe-frame-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  var submitted = false;

  function toPlain(value) {
    // Structured clone refuses DOM nodes and functions: send plain JSON data only.
    return JSON.parse(JSON.stringify(value === undefined ? {} : value));
  }

  function submit(answerContent) {
    if (submitted) return false;
    var payload;
    try {
      payload = toPlain(answerContent);
    } catch (err) {
      if (window.console) console.error("Loupe: the answer is not JSON data", err);
      return false;
    }
    if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
      if (window.console) console.error("Loupe: answerContent must be a JSON object");
      return false;
    }
    if (window.parent === window) {
      if (window.console) console.info("Loupe answerContent", payload);
      return false;
    }
    submitted = true;
    window.parent.postMessage(
      { source: "loupe-task-frame", type: "submit", token: token, answerContent: payload },
      "*"
    );
    return true;
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent) return;
    var data = event.data;
    if (!data || data.source !== "loupe-task-host" || data.type !== "submit-result") return;
    if (!data.ok) submitted = false;
    document.dispatchEvent(
      new CustomEvent("loupe:submit-result", { detail: { ok: !!data.ok, message: String(data.message || "") } })
    );
  });

  // Tell the host when this document goes away: a template that navigates its own frame would
  // otherwise replace the task with a page of its choosing (see task-frame-host.js).
  window.addEventListener("pagehide", function () {
    if (window.parent !== window) {
      window.parent.postMessage({ source: "loupe-task-frame", type: "unload", token: token }, "*");
    }
  });

  document.addEventListener("loupe:answer", function (event) {
    submit(event.detail);
  });

  window.LoupeFrame = Object.freeze({
    token: token,
    submit: submit,
    get submitted() {
      return submitted;
    },
  });
})();
