/* Loupe stand-in for Shopify Draggable 1.0.0-beta.8 (cdnjs), which the sample template
 * multi-image-classification-draggable loads. Written for Loupe; covers what templates use:
 * new Draggable.Sortable(containers, {draggable: selector}) moves matching elements between the
 * containers by mouse, touch or pen, and Draggable.Plugins.ResizeMirror exists. */
(function () {
  "use strict";
  function toArray(c) {
    if (!c) return [];
    if (c instanceof Element) return [c];
    return Array.prototype.slice.call(c);
  }
  function Sortable(containers, options) {
    this.containers = toArray(containers);
    this.options = options || {};
    this.selector = this.options.draggable || ".draggable-source";
    this.handlers = {};
    var self = this;
    this._down = function (e) { self.start(e); };
    this.containers.forEach(function (c) { c.addEventListener("pointerdown", self._down); });
  }
  Sortable.prototype.on = function (type, fn) { (this.handlers[type] = this.handlers[type] || []).push(fn); return this; };
  Sortable.prototype.off = function (type, fn) { this.handlers[type] = (this.handlers[type] || []).filter(function (f) { return f !== fn; }); return this; };
  Sortable.prototype.emit = function (type, detail) { (this.handlers[type] || []).forEach(function (f) { f(detail); }); };
  Sortable.prototype.destroy = function () {
    var self = this;
    this.containers.forEach(function (c) { c.removeEventListener("pointerdown", self._down); });
  };
  Sortable.prototype.start = function (e) {
    if (e.button !== 0) return;
    var src = e.target.closest(this.selector);
    if (!src || this.containers.indexOf(src.parentNode) < 0 && !this.containers.some(function (c) { return c.contains(src); })) return;
    e.preventDefault();
    var self = this, r = src.getBoundingClientRect();
    var mirror = src.cloneNode(true);
    mirror.style.position = "fixed";
    mirror.style.pointerEvents = "none";
    mirror.style.opacity = "0.8";
    mirror.style.zIndex = "10000";
    mirror.style.width = r.width + "px";
    mirror.style.height = r.height + "px";
    mirror.style.margin = "0";
    var dx = e.clientX - r.left, dy = e.clientY - r.top;
    function place(ev) { mirror.style.left = ev.clientX - dx + "px"; mirror.style.top = ev.clientY - dy + "px"; }
    place(e);
    document.body.appendChild(mirror);
    src.style.opacity = "0.35";
    this.emit("drag:start", { source: src });
    function move(ev) {
      place(ev);
      var under = document.elementFromPoint(ev.clientX, ev.clientY);
      var cont = null;
      for (var i = 0; i < self.containers.length; i++) if (self.containers[i].contains(under)) cont = self.containers[i];
      if (!cont) return;
      var over = under.closest(self.selector);
      if (over && over !== src && cont.contains(over)) {
        var or = over.getBoundingClientRect();
        var after = ev.clientY > or.top + or.height / 2 || (ev.clientX > or.left + or.width / 2 && ev.clientY > or.top);
        over.parentNode.insertBefore(src, after ? over.nextSibling : over);
      } else if (!over && src.parentNode !== cont) {
        cont.appendChild(src);
      }
      self.emit("sortable:sort", { source: src, over: over, overContainer: cont });
    }
    function up() {
      document.removeEventListener("pointermove", move);
      document.removeEventListener("pointerup", up);
      mirror.remove();
      src.style.opacity = "";
      self.emit("sortable:stop", { source: src, newContainer: src.parentNode });
      self.emit("drag:stop", { source: src });
    }
    document.addEventListener("pointermove", move);
    document.addEventListener("pointerup", up);
  };
  function ResizeMirror() {}
  window.Draggable = {
    Sortable: Sortable,
    Draggable: Sortable,
    Swappable: Sortable,
    Droppable: Sortable,
    Plugins: { ResizeMirror: ResizeMirror, Collidable: function () {}, SwapAnimation: function () {}, SortAnimation: function () {} }
  };
})();
