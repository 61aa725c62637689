/* Offline stand-in for https://platform.twitter.com/widgets.js (Loupe serves no third-party
 * script at run time). Tweets stay as the plain <blockquote class="twitter-tweet"> the template
 * wrote; twttr.widgets.load() is a no-op. */
(function () {
  "use strict";
  if (window.twttr) return;
  window.twttr = {
    _e: [],
    ready: function (fn) {
      try { fn(window.twttr); } catch (err) { if (window.console) console.warn(err); }
    },
    widgets: { load: function () { return Promise.resolve(); } },
    events: { bind: function () {} },
  };
})();
