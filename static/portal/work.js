/* The working session over /ws/work/ (protocol in reviews/consumers.py). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("work-config").textContent);
  var frame = document.getElementById("task-frame");
  var title = document.getElementById("task-title");
  var description = document.getElementById("task-description");
  var stateEl = document.getElementById("session-state");
  var timeLeft = document.getElementById("time-left");
  var waiting = document.getElementById("waiting");
  var notice = document.getElementById("notice");
  var releaseBtn = document.getElementById("release");
  var stopBtn = document.getElementById("stop");
  var current = null;
  var host = null;
  var pendingReply = null;
  var timer = null;

  function setState(text) { stateEl.textContent = text; }
  function showNotice(text) { notice.textContent = text; notice.hidden = !text; }

  function clearTask() {
    current = null;
    if (host) { host.detach(); host = null; }
    frame.hidden = true;
    frame.removeAttribute("data-task-id");
    frame.src = "about:blank";
    releaseBtn.disabled = true;
    timeLeft.textContent = "";
    if (timer) { clearInterval(timer); timer = null; }
  }

  function tick() {
    if (!current || !current.lease_expires_at) return;
    var ms = new Date(current.lease_expires_at).getTime() - Date.now();
    if (ms <= 0) { timeLeft.textContent = "Time is up"; return; }
    var s = Math.floor(ms / 1000);
    var m = Math.floor(s / 60);
    timeLeft.textContent = "Time left " + m + ":" + String(s % 60).padStart(2, "0");
  }

  function showTask(task) {
    clearTask();
    current = task;
    waiting.hidden = true;
    title.textContent = task.flow_title;
    description.textContent = task.flow_description;
    frame.dataset.taskId = String(task.task_id);
    frame.src = task.frame_url;
    frame.hidden = false;
    releaseBtn.disabled = false;
    setState("Working on a task");
    host = LoupeTaskFrameHost.attach(frame, function (answerContent, reply) {
      if (!current) { reply(false, "This task is no longer yours."); return; }
      pendingReply = reply;
      setState("Submitting…");
      sock.send({ action: "submit", task_id: current.task_id, answer_content: answerContent });
    });
    tick();
    timer = setInterval(tick, 1000);
  }

  var sock = LoupeLive.connect("/ws/work/", {
    onOpen: function () {
      setState("Looking for work…");
      sock.send({ action: "start", flow_definition_id: config.flowId || null });
    },
    onClose: function () { setState("Connection lost, reconnecting…"); },
    onMessage: function (msg) {
      switch (msg.type) {
        case "task":
          showNotice("");
          showTask(msg.task);
          break;
        case "waiting":
          clearTask();
          waiting.hidden = false;
          title.textContent = "Waiting for work";
          description.textContent = "";
          setState("Waiting");
          break;
        case "submitted":
          if (pendingReply) { pendingReply(true); pendingReply = null; }
          clearTask();
          setState("Submitted");
          break;
        case "released":
          clearTask();
          title.textContent = "Task released";
          setState("Stopped");
          break;
        case "withdrawn":
          if (current && current.task_id === msg.task_id) {
            clearTask();
            showNotice(msg.reason === "lease_expired"
              ? "Your time on that task ran out: it went back to the pool."
              : "That task was withdrawn: its review ended.");
          }
          break;
        case "stopped":
          setState("Stopped");
          break;
        case "error":
          if (pendingReply) { pendingReply(false, msg.message); pendingReply = null; }
          showNotice(msg.message);
          break;
      }
    },
  });

  releaseBtn.addEventListener("click", function () {
    if (current) sock.send({ action: "release", task_id: current.task_id });
  });
  stopBtn.addEventListener("click", function () {
    sock.send({ action: "stop" });
    window.location.href = "/";
  });
})();
