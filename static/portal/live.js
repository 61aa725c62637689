/* A small WebSocket client for the portal: JSON messages, reconnect with backoff.
 *   var sock = LoupeLive.connect("/ws/work/", {onMessage, onOpen, onClose});
 *   sock.send({action: "start"});
 */
(function () {
  "use strict";
  function connect(path, handlers) {
    var ws = null;
    var delay = 500;
    var closed = false;
    var queue = [];
    function url() {
      return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
    }
    function open() {
      ws = new WebSocket(url());
      ws.onopen = function () {
        delay = 500;
        if (handlers.onOpen) handlers.onOpen();
        while (queue.length) ws.send(queue.shift());
      };
      ws.onmessage = function (event) {
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        if (handlers.onMessage) handlers.onMessage(data);
      };
      ws.onclose = function (event) {
        if (handlers.onClose) handlers.onClose(event);
        if (closed || event.code === 4401 || event.code === 4403) return;
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 10000);
      };
    }
    open();
    return {
      send: function (obj) {
        var text = JSON.stringify(obj);
        if (ws && ws.readyState === WebSocket.OPEN) ws.send(text);
        else queue.push(text);
      },
      close: function () { closed = true; if (ws) ws.close(); },
    };
  }
  window.LoupeLive = Object.freeze({ connect: connect });
})();
