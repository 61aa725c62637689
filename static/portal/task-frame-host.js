/* Parent side of the Loupe task frame (see static/crowd/README.md).
 *
 *   var host = LoupeTaskFrameHost.attach(iframe, function (answerContent, reply) { ... });
 *   // reply(true) or reply(false, "message") tells the frame how the submission went.
 *   host.detach();
 *
 * Messages are accepted only from this iframe's window and only with the token of the frame URL
 * the iframe was given (/task-frame/<token>/), so another frame or window cannot post answers.
 * The iframe must be sandboxed with "allow-scripts allow-forms" and without allow-same-origin. */
(function () {
  "use strict";

  function tokenOf(iframe) {
    if (iframe.dataset && iframe.dataset.frameToken) return iframe.dataset.frameToken;
    var src = iframe.getAttribute("src") || "";
    var match = /\/task-frame\/([^\/?#]+)\/?/.exec(src);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function attach(iframe, onSubmit) {
    function listener(event) {
      if (!iframe.contentWindow || event.source !== iframe.contentWindow) return;
      var data = event.data;
      if (!data || typeof data !== "object" || data.source !== "loupe-task-frame") return;
      if (data.type !== "submit") return;
      var expected = tokenOf(iframe);
      if (!expected || data.token !== expected) return;
      var answer = data.answerContent;
      if (answer === null || typeof answer !== "object" || Array.isArray(answer)) return;
      var target = iframe.contentWindow;
      var replied = false;
      function reply(ok, message) {
        if (replied) return;
        replied = true;
        // The frame's origin is opaque ("null"), so "*" is the only target origin that reaches it.
        target.postMessage(
          { source: "loupe-task-host", type: "submit-result", ok: !!ok, message: message || "" },
          "*"
        );
      }
      onSubmit(answer, reply);
    }
    window.addEventListener("message", listener);
    return {
      detach: function () {
        window.removeEventListener("message", listener);
      },
    };
  }

  window.LoupeTaskFrameHost = Object.freeze({ attach: attach, tokenOf: tokenOf });
})();
