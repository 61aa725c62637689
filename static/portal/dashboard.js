/* Organization dashboard: re-read the live part whenever an event arrives on /ws/org/<id>/. */
(function () {
  "use strict";
  var live = document.getElementById("live");
  var state = document.getElementById("live-state");
  if (!live) return;
  var pending = null;
  var inflight = false;
  function refresh() {
    pending = null;
    if (inflight) { pending = setTimeout(refresh, 200); return; }
    inflight = true;
    fetch(live.dataset.liveUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { live.innerHTML = html; live.dataset.refreshed = String(Date.now()); })
      .catch(function () { if (state) state.textContent = "Could not refresh; retrying on the next change."; })
      .then(function () { inflight = false; });
  }
  LoupeLive.connect(live.dataset.wsPath, {
    onOpen: function () { if (state) state.textContent = "Live."; },
    onClose: function () { if (state) state.textContent = "Reconnecting…"; },
    onMessage: function () {
      // Events come in bursts (a batch start, a crowd submitting): coalesce them.
      if (!pending) pending = setTimeout(refresh, 150);
    },
  });
})();
