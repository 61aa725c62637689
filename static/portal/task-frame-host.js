/* Parent side of the Loupe task frame (see static/crowd/README.md).
 *
 *   var host = LoupeTaskFrameHost.attach(iframe, function (answerContent, reply) { ... },
 *                                        {onNavigate: function () { ... }});
 *   // reply(true) or reply(false, "message") tells the frame how the submission went;
 *   // onNavigate (optional) is told when the template navigated its frame away (it is blanked).
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

  // A template may navigate its own frame (location = ..., <meta http-equiv="refresh">): the
  // sandbox allows that and no Content-Security-Policy directive can stop it. The frame would then
  // show a page that is not the task (a fake sign-in form, say). The frame bridge reports its
  // document going away ("unload", with the frame token); when that happens while the iframe
  // still has the same src (the host did not change it), the frame is blanked and
  // options.onNavigate (if given) is told.
  function attach(iframe, onSubmit, options) {
    function listener(event) {
      var data = event.data;
      if (!data || typeof data !== "object" || data.source !== "loupe-task-frame") return;
      var expected = tokenOf(iframe);
      if (!expected || data.token !== expected) return;
      // A message posted while the frame's document unloads arrives with no source window.
      var fromFrame = !!iframe.contentWindow && event.source === iframe.contentWindow;
      if (data.type === "unload" && (fromFrame || event.source === null)) {
        iframe.setAttribute("src", "about:blank");
        if (window.console) console.warn("Loupe: the task template navigated its frame away; it was closed.");
        if (options && typeof options.onNavigate === "function") options.onNavigate();
        return;
      }
      if (!fromFrame || data.type !== "submit") return;
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
