/* Worker home: the counts of work available, kept live over /ws/work/. */
(function () {
  "use strict";
  var tbody = document.getElementById("work-rows");
  var state = document.getElementById("live-state");
  if (!tbody) return;
  function cell(text) { var td = document.createElement("td"); td.textContent = text; return td; }
  function render(flows) {
    tbody.textContent = "";
    if (!flows.length) {
      var tr = document.createElement("tr"); tr.className = "empty";
      var td = cell("No work is assigned to you yet."); td.colSpan = 5; tr.appendChild(td); tbody.appendChild(tr);
      return;
    }
    flows.forEach(function (f) {
      var tr = document.createElement("tr");
      tr.dataset.flowId = f.id;
      tr.appendChild(cell(f.title));
      tr.appendChild(cell(f.organization));
      var count = cell(String(f.available)); count.className = "count"; tr.appendChild(count);
      tr.appendChild(cell(f.price || ""));
      var td = document.createElement("td"); var a = document.createElement("a");
      a.href = "/work/?flow=" + encodeURIComponent(f.id); a.textContent = "Work on this"; td.appendChild(a); tr.appendChild(td);
      tbody.appendChild(tr);
    });
  }
  LoupeLive.connect("/ws/work/", {
    onOpen: function () { if (state) state.textContent = "Counts update live."; },
    onClose: function () { if (state) state.textContent = "Reconnecting…"; },
    onMessage: function (msg) { if (msg.type === "counts") render(msg.flows || []); },
  });
})();
