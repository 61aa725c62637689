/* The reviews page: re-read the list when a review is created or decided in an organization
 * the person watches (its /ws/org/ events review.pending and review.decided). */
(function () {
  "use strict";
  var node = document.getElementById("review-live-orgs");
  if (!node || !window.LoupeLive) return;
  var orgs = JSON.parse(node.textContent || "[]");
  var timer = null;
  function refresh() {
    timer = null;
    fetch(location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["pending-count", "review-sections"].forEach(function (id) {
          var fresh = doc.getElementById(id);
          var here = document.getElementById(id);
          if (fresh && here) here.replaceWith(fresh);
        });
      })
      .catch(function () {});
  }
  orgs.forEach(function (account) {
    LoupeLive.connect("/ws/org/" + account + "/", {
      onMessage: function (msg) {
        if (msg.event === "review.pending" || msg.event === "review.decided") {
          if (!timer) timer = setTimeout(refresh, 300);
        }
      },
    });
  });
})();
