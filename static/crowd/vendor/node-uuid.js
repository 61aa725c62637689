/* Loupe stand-in for node-uuid 1.4.8 (cdnjs), which sample templates load for a global uuid().
 * Written for Loupe: RFC 4122 version 4 (random) and version 1 (time-based, random node) ids. */
(function () {
  "use strict";
  function bytes(n) { var b = new Uint8Array(n); crypto.getRandomValues(b); return b; }
  function hex(b) { return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join(""); }
  function fmt(h) { return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20, 32); }
  function v4() {
    var b = bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    return fmt(hex(b));
  }
  var node = bytes(6), clockseq = ((bytes(2)[0] << 8) | bytes(2)[1]) & 0x3fff, last = 0, seq = 0;
  node[0] |= 0x01;
  function v1() {
    var ms = Date.now();
    seq = ms === last ? seq + 1 : 0;
    last = ms;
    // 100-ns intervals since 1582-10-15
    var t = (ms + 12219292800000) * 10000 + seq;
    var tl = t % 0x100000000, th = Math.floor(t / 0x100000000);
    var h = ("00000000" + tl.toString(16)).slice(-8) + ("0000" + (th & 0xffff).toString(16)).slice(-4) +
      ("0000" + (((th >>> 16) & 0x0fff) | 0x1000).toString(16)).slice(-4) +
      ("0000" + ((clockseq | 0x8000) & 0xbfff).toString(16)).slice(-4) + hex(node);
    return fmt(h);
  }
  var uuid = v4;
  uuid.v4 = v4;
  uuid.v1 = v1;
  uuid.parse = function (s) {
    var out = [], h = String(s).replace(/[^0-9a-f]/gi, "");
    for (var i = 0; i < 32; i += 2) out.push(parseInt(h.substr(i, 2), 16));
    return out;
  };
  uuid.unparse = function (b) { return fmt(hex(b)); };
  window.uuid = uuid;
})();
