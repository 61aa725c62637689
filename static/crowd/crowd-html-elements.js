/*! Loupe crowd elements: a self-hosted implementation of the Crowd HTML Elements
 * (see static/crowd/README.md). Classic script; defines every element synchronously so that
 * elements upgrade as the parser creates them. Nothing is fetched from the network. */
(function () {
  "use strict";
  if (window.__loupeCrowdElements) return;
  window.__loupeCrowdElements = true;

  var currentScript = document.currentScript;
  var baseUrl = "";
  if (currentScript && currentScript.src) baseUrl = currentScript.src.replace(/[^/]*([?#].*)?$/, "");
  window.crowdElementsBaseUrl = baseUrl;
  window.polymerSkipLoadingFontRoboto = true;

  /* ------------------------------------------------------------------ utilities */

  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

  function paletteColor(i) {
    if (i < PALETTE.length) return PALETTE[i];
    // deterministic further colours (golden-angle hues), lowercase #rrggbb
    var h = (i * 137.508) % 360, s = 0.65, l = 0.5 - 0.1 * (Math.floor(i / 10) % 3);
    var a = s * Math.min(l, 1 - l);
    function f(n) {
      var k = (n + h / 30) % 12;
      var c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
      return ("0" + Math.round(255 * c).toString(16)).slice(-2);
    }
    return "#" + f(0) + f(8) + f(4);
  }

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* JSON5-style literal parser: single/double quotes, unquoted keys, trailing commas,
   * comments. Never eval. Throws SyntaxError with a position. */
  function parseLiteral(text) {
    var s = String(text), i = 0, n = s.length;
    function fail(msg) { throw new SyntaxError(msg + " at position " + i); }
    function ws() {
      for (;;) {
        while (i < n && /[\s\u00a0\ufeff]/.test(s[i])) i++;
        if (s[i] === "/" && s[i + 1] === "/") { while (i < n && s[i] !== "\n") i++; continue; }
        if (s[i] === "/" && s[i + 1] === "*") { var e = s.indexOf("*/", i + 2); if (e < 0) fail("unclosed comment"); i = e + 2; continue; }
        break;
      }
    }
    function str() {
      var q = s[i++], out = "";
      while (i < n && s[i] !== q) {
        var c = s[i++];
        if (c === "\\") {
          var d = s[i++];
          if (d === "n") out += "\n"; else if (d === "t") out += "\t"; else if (d === "r") out += "\r";
          else if (d === "b") out += "\b"; else if (d === "f") out += "\f"; else if (d === "v") out += "\v";
          else if (d === "0") out += "\0";
          else if (d === "u") { out += String.fromCharCode(parseInt(s.substr(i, 4), 16)); i += 4; }
          else if (d === "x") { out += String.fromCharCode(parseInt(s.substr(i, 2), 16)); i += 2; }
          else if (d === "\n") { /* line continuation */ }
          else out += d;
        } else out += c;
      }
      if (s[i] !== q) fail("unterminated string");
      i++;
      return out;
    }
    function ident() {
      var m = /^[A-Za-z_$][\w$-]*/.exec(s.slice(i));
      if (!m) fail("unexpected character " + JSON.stringify(s[i] || "end of input"));
      i += m[0].length;
      return m[0];
    }
    function val() {
      ws();
      var c = s[i];
      if (c === "{") {
        i++; var o = {};
        for (;;) {
          ws();
          if (s[i] === "}") { i++; return o; }
          var k = (s[i] === '"' || s[i] === "'") ? str() : (/[0-9]/.test(s[i]) ? String(num()) : ident());
          ws(); if (s[i] !== ":") fail("expected ':'"); i++;
          o[k] = val(); ws();
          if (s[i] === ",") { i++; continue; }
          if (s[i] === "}") { i++; return o; }
          fail("expected ',' or '}'");
        }
      }
      if (c === "[") {
        i++; var a = [];
        for (;;) {
          ws();
          if (s[i] === "]") { i++; return a; }
          a.push(val()); ws();
          if (s[i] === ",") { i++; continue; }
          if (s[i] === "]") { i++; return a; }
          fail("expected ',' or ']'");
        }
      }
      if (c === '"' || c === "'") return str();
      if (c === "-" || c === "+" || c === "." || /[0-9]/.test(c || "")) return num();
      var id = ident();
      if (id === "true") return true;
      if (id === "false") return false;
      if (id === "null" || id === "undefined") return null;
      if (id === "Infinity") return Infinity;
      if (id === "NaN") return NaN;
      fail("unexpected identifier " + id);
    }
    function num() {
      var m = /^[+-]?(0x[0-9a-f]+|(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|Infinity)/i.exec(s.slice(i));
      if (!m) fail("bad number");
      i += m[0].length;
      return Number(m[0]);
    }
    ws();
    if (i >= n) return null;
    var v = val();
    ws();
    if (i < n) fail("unexpected trailing text");
    return v;
  }

  function deepCopy(v) { return v === undefined ? undefined : JSON.parse(JSON.stringify(v)); }

  /* Sort object keys by code point at every level; arrays keep their order. */
  function sortKeys(v) {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object") {
      var o = {};
      Object.keys(v).sort(function (a, b) { return a < b ? -1 : a > b ? 1 : 0; }).forEach(function (k) { o[k] = sortKeys(v[k]); });
      return o;
    }
    return v;
  }

  function camel(a) { return a.replace(/-([a-z])/g, function (_, c) { return c.toUpperCase(); }); }

  function sheet(css) {
    var sh = new CSSStyleSheet();
    sh.replaceSync(css);
    return sh;
  }

  /* icons (Material Design glyph paths, Apache-2.0), inline SVG only */
  var ICONS = {
    close: "M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z",
    check: "M9 16.17 4.83 12l-1.42 1.41L9 19 21 7l-1.41-1.41z",
    star: "M12 17.27 18.18 21l-1.64-7.03L22 9.24l-7.19-.61L12 2 9.19 8.63 2 9.24l5.46 4.73L5.82 21z",
    search: "M15.5 14h-.79l-.28-.27A6.47 6.47 0 0 0 16 9.5 6.5 6.5 0 1 0 9.5 16c1.61 0 3.09-.59 4.23-1.57l.27.28v.79l5 4.99L20.49 19l-4.99-5zm-6 0C7.01 14 5 11.99 5 9.5S7.01 5 9.5 5 14 7.01 14 9.5 11.99 14 9.5 14z",
    "report-problem": "M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z",
    "question-answer": "M21 6h-2v9H6v2c0 .55.45 1 1 1h11l4 4V7c0-.55-.45-1-1-1zm-4 6V3c0-.55-.45-1-1-1H3c-.55 0-1 .45-1 1v14l4-4h10c.55 0 1-.45 1-1z",
    "zoom-in": "M15.5 14h-.79l-.28-.27A6.47 6.47 0 0 0 16 9.5 6.5 6.5 0 1 0 9.5 16c1.61 0 3.09-.59 4.23-1.57l.27.28v.79l5 4.99L20.49 19l-4.99-5zm-6 0C7.01 14 5 11.99 5 9.5S7.01 5 9.5 5 14 7.01 14 9.5 11.99 14 9.5 14zm.5-7H9v2H7v1h2v2h1v-2h2V9h-2z",
    "zoom-out": "M15.5 14h-.79l-.28-.27A6.47 6.47 0 0 0 16 9.5 6.5 6.5 0 1 0 9.5 16c1.61 0 3.09-.59 4.23-1.57l.27.28v.79l5 4.99L20.49 19l-4.99-5zm-6 0C7.01 14 5 11.99 5 9.5S7.01 5 9.5 5 14 7.01 14 9.5 11.99 14 9.5 14zM7 9h5v1H7z",
    fit: "M3 5v4h2V5h4V3H5c-1.1 0-2 .9-2 2zm2 10H3v4c0 1.1.9 2 2 2h4v-2H5v-4zm14 4h-4v2h4c1.1 0 2-.9 2-2v-4h-2v4zm0-16h-4v2h4v4h2V5c0-1.1-.9-2-2-2z",
    pan: "M10 9h4V6h3l-5-5-5 5h3v3zm-1 1H6V7l-5 5 5 5v-3h3v-4zm14 2-5-5v3h-3v4h3v3l5-5zm-9 3h-4v3H7l5 5 5-5h-3v-3z",
    undo: "M12.5 8c-2.65 0-5.05.99-6.9 2.6L2 7v9h9l-3.62-3.62c1.39-1.16 3.16-1.88 5.12-1.88 3.54 0 6.55 2.31 7.6 5.5l2.37-.78C21.08 11.03 17.15 8 12.5 8z",
    redo: "M18.4 10.6C16.55 8.99 14.15 8 11.5 8c-4.65 0-8.58 3.03-9.96 7.22L3.9 16a8 8 0 0 1 7.6-5.5c1.95 0 3.73.72 5.12 1.88L13 16h9V7l-3.6 3.6z",
    "delete": "M6 19c0 1.1.9 2 2 2h8c1.1 0 2-.9 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z",
    info: "M12 2C6.48 2 2 6.48 2 12s4.48 10 10 10 10-4.48 10-10S17.52 2 12 2zm1 15h-2v-6h2v6zm0-8h-2V7h2v2z",
    warning: "M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z",
    error: "M12 2C6.48 2 2 6.48 2 12s4.48 10 10 10 10-4.48 10-10S17.52 2 12 2zm1 15h-2v-2h2v2zm0-4h-2V7h2v6z",
    success: "M12 2C6.48 2 2 6.48 2 12s4.48 10 10 10 10-4.48 10-10S17.52 2 12 2zm-2 15-5-5 1.41-1.41L10 14.17l7.59-7.59L19 8l-9 9z",
    add: "M19 13h-6v6h-2v-6H5v-2h6V5h2v6h6v2z",
    remove: "M19 13H5v-2h14v2z",
    brush: "M7 14c-1.66 0-3 1.34-3 3 0 1.31-1.16 2-2 2 .92 1.22 2.49 2 4 2 2.21 0 4-1.79 4-4 0-1.66-1.34-3-3-3zm13.71-9.37-1.34-1.34a.996.996 0 0 0-1.41 0L9 12.25 11.75 15l8.96-8.96a.996.996 0 0 0 0-1.41z",
    eraser: "M16.24 3.56l4.95 4.94c.78.79.78 2.05 0 2.84L12 20.53a4.008 4.008 0 0 1-5.66 0L2.81 17c-.78-.79-.78-2.05 0-2.84l10.6-10.6c.79-.78 2.05-.78 2.83 0zM4.22 15.58l3.54 3.53c.78.79 2.04.79 2.83 0l3.53-3.53-4.95-4.95-4.95 4.95z",
    menu: "M3 18h18v-2H3v2zm0-5h18v-2H3v2zm0-7v2h18V6H3z",
    up: "M7.41 15.41 12 10.83l4.59 4.58L18 14l-6-6-6 6z",
    down: "M7.41 8.59 12 13.17l4.59-4.58L18 10l-6 6-6-6z"
  };
  function icon(name, cls) {
    var p = ICONS[name];
    if (!p) return "";
    return '<svg class="icon ' + (cls || "") + '" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="' + p + '"/></svg>';
  }
  function iconOrImage(v) {
    if (!v) return "";
    if (ICONS[v] || ICONS[String(v).replace(/^icons:/, "")]) return icon(String(v).replace(/^icons:/, ""));
    if (/^(https?:|data:|\/|\.)/.test(v)) return '<img class="icon" alt="" src="' + esc(v) + '">';
    return "";
  }

  /* ------------------------------------------------------------------ ready events */

  var pendingReady = 0;
  var readyFired = false;
  var readyScheduled = false;
  function scheduleReady() {
    if (readyFired || readyScheduled) return;
    readyScheduled = true;
    // after DOMContentLoaded, after every element's setup and one rendered frame
    requestAnimationFrame(function () {
      setTimeout(function () {
        if (readyFired) return;
        readyFired = true;
        var dimmer = document.getElementById("crowd-elements-loading-dimmer");
        if (dimmer) dimmer.remove();
        document.dispatchEvent(new CustomEvent("all-crowd-elements-ready", { bubbles: true }));
      }, 0);
    });
    setTimeout(function () {
      // requestAnimationFrame does not run in hidden documents; fall back to a timer
      if (!readyFired) {
        readyFired = true;
        var dim = document.getElementById("crowd-elements-loading-dimmer");
        if (dim) dim.remove();
        document.dispatchEvent(new CustomEvent("all-crowd-elements-ready", { bubbles: true }));
      }
    }, 400);
  }
  /* the loader's grey "Loading..." overlay, from the interactive state until the elements are ready */
  function showDimmer() {
    if (readyFired || !document.body || document.getElementById("crowd-elements-loading-dimmer")) return;
    var d = document.createElement("div");
    d.id = "crowd-elements-loading-dimmer";
    d.textContent = "Loading...";
    var st = d.style;
    st.position = "fixed"; st.inset = "0"; st.zIndex = "2147483000"; st.background = "rgba(120,120,120,.35)";
    st.display = "flex"; st.alignItems = "center"; st.justifyContent = "center";
    st.font = "16px system-ui,sans-serif"; st.color = "#16191f";
    document.body.appendChild(d);
  }
  if (document.readyState === "loading") {
    document.addEventListener("readystatechange", function () { if (document.readyState === "interactive") showDimmer(); });
    document.addEventListener("DOMContentLoaded", function () { scheduleReady(); });
  } else {
    setTimeout(scheduleReady, 0);
  }

  /* ------------------------------------------------------------------ base class */

  var BASE_CSS = sheet(
    ":host{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;font-size:14px;color:#16191f}" +
    "*,*::before,*::after{box-sizing:border-box}[hidden]{display:none!important}" +
    ".sw{background:var(--c)}.icon{width:18px;height:18px;fill:currentColor;vertical-align:middle;flex:none}" +
    "button{font:inherit;cursor:pointer}button:disabled{cursor:default}" +
    ".btn{border:1px solid #545b64;background:#fff;color:#16191f;border-radius:2px;padding:4px 14px;font-weight:600;min-height:30px;display:inline-flex;align-items:center;gap:6px;justify-content:center}" +
    ".btn:hover:not(:disabled){background:#f2f3f3}.btn.primary{background:#ec7211;border-color:#ec7211;color:#fff}" +
    ".btn.primary:hover:not(:disabled){background:#eb5f07}.btn:disabled{opacity:.5}" +
    ".btn:focus-visible,.choice:focus-visible,[tabindex]:focus-visible{outline:2px solid #0073bb;outline-offset:1px}" +
    ".btn.link{border-color:transparent;background:none;color:#0073bb;padding:0;min-height:0;font-weight:400}" +
    ".err{color:#d13212;font-size:12px;margin-top:4px}"
  );

  var ALL_TAGS = [];

  /* Colours are carried in data-c attributes and applied through the CSSOM (a strict style-src
   * CSP blocks style="" attributes written by innerHTML, but not element.style). */
  function applyColors(root) {
    if (root.nodeType !== 1 && root.nodeType !== 11) return;
    if (root.nodeType === 1 && root.hasAttribute("data-c")) root.style.setProperty("--c", root.getAttribute("data-c"));
    root.querySelectorAll("[data-c]").forEach(function (el) { el.style.setProperty("--c", el.getAttribute("data-c")); });
  }
  function watchColors(root) {
    new MutationObserver(function (muts) {
      muts.forEach(function (m) { m.addedNodes.forEach(applyColors); });
    }).observe(root, { childList: true, subtree: true });
  }

  function define(tag, cls) {
    ALL_TAGS.push(tag);
    if (!customElements.get(tag)) customElements.define(tag, cls);
  }

  /* Attribute spec: {name: kind}, kind is "string" | "bool" | "number" | "list" | "object" | "raw".
   * A camelCase property is defined for each attribute, reflecting both ways. */
  function defineProps(cls, attrs) {
    Object.keys(attrs).forEach(function (a) {
      var prop = camel(a), kind = attrs[a];
      if (prop in cls.prototype) return;
      Object.defineProperty(cls.prototype, prop, {
        configurable: true,
        get: function () {
          if (kind === "bool") return this.hasAttribute(a);
          if (kind === "number") { var v = this.getAttribute(a); return v === null || v === "" ? null : Number(v); }
          if (kind === "list" || kind === "object") {
            if (this._props && Object.prototype.hasOwnProperty.call(this._props, prop)) return this._props[prop];
            return this.parsedAttr(a, kind === "list" ? [] : null);
          }
          return this.getAttribute(a);
        },
        set: function (v) {
          if (kind === "bool") { if (v && v !== "false") this.setAttribute(a, ""); else this.removeAttribute(a); return; }
          if (kind === "list" || kind === "object") {
            this._props = this._props || {};
            this._props[prop] = v;
            if (this._ready) this.propChanged(prop);
            return;
          }
          if (v === null || v === undefined) this.removeAttribute(a); else this.setAttribute(a, String(v));
        }
      });
    });
  }

  class CrowdElement extends HTMLElement {
    static get observedAttributes() { return Object.keys(this.attrs || {}); }
    connectedCallback() {
      if (this._ready) { this.reconnected && this.reconnected(); return; }
      if (document.readyState === "loading") {
        if (!this._waiting) {
          this._waiting = true;
          var self = this;
          document.addEventListener("DOMContentLoaded", function () { if (self.isConnected) self._setup(); });
        }
      } else {
        this._setup();
      }
    }
    _setup() {
      if (this._ready) return;
      this._ready = true;
      if (!this.shadowRoot && this.constructor.shadow !== false) {
        this.attachShadow({ mode: "open" });
        // every class in the chain contributes its own sheet (a widget subclass adds to the shell's)
        var sheets = [], c = this.constructor;
        while (c && c !== CrowdElement) {
          var d = Object.getOwnPropertyDescriptor(c, "css");
          var v = d ? (d.get ? d.get.call(c) : d.value) : null;
          if (v && sheets.indexOf(v) < 0) sheets.unshift(v);
          c = Object.getPrototypeOf(c);
        }
        this.shadowRoot.adoptedStyleSheets = [BASE_CSS].concat(sheets);
      }
      if (this.shadowRoot) watchColors(this.shadowRoot);
      try {
        this.setup();
      } catch (e) {
        this.showError(e);
        throw e;
      }
      this.dispatchEvent(new CustomEvent("crowd-element-ready", { bubbles: true, composed: true }));
      if (readyFired) return;
    }
    setup() {}
    attributeChangedCallback(name, oldV, newV) {
      if (oldV === newV || !this._ready) return;
      var prop = camel(name);
      if (this._props) delete this._props[prop];
      this.propChanged(prop);
    }
    propChanged() { if (this.render) this.render(); }
    parsedAttr(a, dflt) {
      var raw = this.getAttribute(a);
      if (raw === null || raw.trim() === "") return dflt;
      try {
        var v = parseLiteral(raw);
        return v === null ? dflt : v;
      } catch (e) {
        this._attrErrors = this._attrErrors || {};
        this._attrErrors[a] = e.message;
        return dflt;
      }
    }
    attrError() {
      this._attrErrors = {};
      var attrs = this.constructor.attrs || {};
      var self = this;
      Object.keys(attrs).forEach(function (a) {
        if (attrs[a] === "list" || attrs[a] === "object") self.parsedAttr(a, null);
      });
      var keys = Object.keys(this._attrErrors);
      return keys.length ? "Cannot read attribute " + keys[0] + ": " + this._attrErrors[keys[0]] : "";
    }
    showError(e) {
      var root = this.shadowRoot;
      if (!root) return;
      var d = document.createElement("div");
      d.className = "err";
      d.setAttribute("role", "alert");
      d.textContent = this.localName + ": " + (e && e.message ? e.message : e);
      root.appendChild(d);
    }
    /* the crowd-form this element submits through */
    get crowdForm() {
      var id = this.getAttribute("crowd-form-element-id");
      if (id) return document.getElementById(id);
      var n = this;
      while (n) {
        if (n.localName === "crowd-form") return n;
        n = n.parentNode || n.host;
      }
      return null;
    }
    fire(type, detail) { this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true, detail: detail })); }
  }

  function boolAttr(el, a) {
    // presence means true; the strings "false" are still true (classic elements, §1.3)
    return el.hasAttribute(a);
  }
  function boolAttrV2(el, a) {
    if (!el.hasAttribute(a)) return false;
    var v = (el.getAttribute(a) || "").trim().toLowerCase();
    return v !== "false" && v !== "0";
  }

  /* a global (light DOM) stylesheet for regions and form layout, adopted by the document */
  var DOC_CSS = sheet(
    "crowd-form{display:block}crowd-form>form{display:block;margin:0}" +
    "crowd-form.has-instructions>form{display:grid;grid-template-columns:minmax(200px,280px) 1fr;gap:0 20px;align-items:start}" +
    "crowd-form.has-instructions>form>*{grid-column:2}" +
    "crowd-form.has-instructions>form>short-instructions{grid-column:1;grid-row:1 / span 100;display:block;border-right:1px solid #eaeded;padding:12px 16px 12px 0;overflow:auto;max-height:100vh;position:sticky;top:0}" +
    "crowd-form>form>full-instructions,crowd-form>full-instructions{display:none}" +
    "crowd-form.full-open>form>full-instructions,crowd-form.full-open>full-instructions{display:block;position:fixed;z-index:1001;left:50%;top:8vh;transform:translateX(-50%);width:min(800px,92vw);max-height:80vh;overflow:auto;background:#fff;border-radius:4px;padding:48px 24px 24px;box-shadow:0 4px 24px rgba(0,0,0,.35)}" +
    "crowd-form>form>short-instructions .crowd-instr-head{font-weight:700;font-size:16px;margin:0 0 6px}" +
    "crowd-tab:not([data-active]){display:none}crowd-tab{display:block}" +
    "crowd-slider-label{position:absolute;transform:translateX(-50%);font-size:12px;color:#545b64;white-space:nowrap}" +
    "crowd-badge{position:absolute;z-index:10}" +
    "classification-target img,classification-target video{max-width:100%}"
  );
  if (document.adoptedStyleSheets) document.adoptedStyleSheets = document.adoptedStyleSheets.concat([DOC_CSS]);

  window.LoupeCrowd = { parseLiteral: parseLiteral, sortKeys: sortKeys, paletteColor: paletteColor };

  /* ------------------------------------------------------------------ crowd-form */

  var WIDGET_TAGS = ["crowd-classifier", "crowd-classifier-multi-select", "crowd-image-classifier",
    "crowd-image-classifier-multi-select", "crowd-bounding-box", "crowd-keypoint", "crowd-line",
    "crowd-polyline", "crowd-polygon", "crowd-semantic-segmentation", "crowd-instance-segmentation",
    "crowd-textract-analyze-document", "crowd-rekognition-detect-moderation-labels",
    "crowd-text-ranking", "crowd-question-answer-generation"];
  var WIDGET_SELECTOR = WIDGET_TAGS.join(",");
  var NATIVE_CHECKS_AS_OBJECT = true; // §1.6 shape (a): {"<name>": {"<value>": bool}}
  var NON_VALUE_INPUTS = { submit: 1, button: 1, reset: 1, image: 1, file: 1 };

  var FORM_CSS = sheet(
    ":host{display:block}.bar{margin:0 0 8px}.bar .btn.link{font-size:14px}" +
    ".formerr{margin:12px 0;padding:10px 14px;border:1px solid #d13212;border-left-width:4px;background:#fdf3f1;color:#16191f;border-radius:2px}" +
    ".done{margin:12px 0;padding:10px 14px;border:1px solid #1d8102;border-left-width:4px;background:#f2f8f0;border-radius:2px}" +
    ".backdrop{position:fixed;inset:0;background:rgba(0,0,0,.45);z-index:1000}" +
    ".mclose{position:fixed;z-index:1002;top:calc(8vh + 8px);left:calc(50% + min(400px, 46vw) - 44px);background:#fff;border:0;border-radius:2px;padding:4px}"
  );

  class CrowdForm extends CrowdElement {
    static get css() { return FORM_CSS; }
    get form() { return this._form || null; }
    setup() {
      var self = this;
      var form = document.createElement("form");
      form.setAttribute("method", "");
      form.setAttribute("action", "");
      form.noValidate = true;
      while (this.firstChild) form.appendChild(this.firstChild);
      this.appendChild(form);
      this._form = form;
      // Never let the inner form navigate (the frame's CSP has form-action 'none'): Enter in a lone
      // text field performs implicit submission, which we swallow here.
      form.addEventListener("submit", function (e) { e.preventDefault(); e.stopPropagation(); });
      form.addEventListener("reset", function (e) { e.stopPropagation(); });
      this.shadowRoot.innerHTML =
        '<div class="bar" hidden><button type="button" class="btn link" part="full-instructions-link">View full instructions</button></div>' +
        '<slot></slot><div id="answers-box" hidden></div>' +
        '<div class="formerr" role="alert" data-testid="crowd-form-error" hidden></div>' +
        '<div class="done" role="status" data-testid="crowd-form-done" hidden>Your answer was submitted.</div>' +
        '<div class="backdrop" hidden></div><button type="button" class="mclose" aria-label="Close" hidden>' + icon("close") + "</button>";
      var short = form.querySelector(":scope > short-instructions");
      var full = form.querySelector(":scope > full-instructions");
      if (short) this.classList.add("has-instructions");
      if (full) {
        var bar = this.shadowRoot.querySelector(".bar");
        bar.hidden = false;
        bar.querySelector("button").addEventListener("click", function () { self._openFull(true); });
        this.shadowRoot.querySelector(".backdrop").addEventListener("click", function () { self._openFull(false); });
        this.shadowRoot.querySelector(".mclose").addEventListener("click", function () { self._openFull(false); });
        document.addEventListener("keydown", function (e) { if (e.key === "Escape") self._openFull(false); });
      }
      var hasSubmit = form.querySelector('crowd-button[form-action="submit"]');
      var hasWidget = form.querySelector(WIDGET_SELECTOR) || (this.id && document.querySelector('[crowd-form-element-id="' + CSS.escape(this.id) + '"]'));
      if (!hasSubmit && !hasWidget) {
        var b = document.createElement("crowd-button");
        b.setAttribute("form-action", "submit");
        b.setAttribute("variant", "primary");
        b.setAttribute("data-testid", "crowd-submit");
        b.textContent = "Submit";
        form.appendChild(b);
      }
    }
    _openFull(open) {
      this.classList.toggle("full-open", !!open);
      this.shadowRoot.querySelector(".backdrop").hidden = !open;
      this.shadowRoot.querySelector(".mclose").hidden = !open;
    }
    /* every element whose value this form collects, in document order */
    _contributors() {
      var root = this._form || this;
      var self = this;
      var list = Array.prototype.filter.call(root.querySelectorAll("*"), function (el) {
        if (el.closest("template")) return false;
        var f = el.parentNode && el.parentNode.closest ? el.parentNode.closest("crowd-form") : null;
        return !f || f === self;
      });
      if (this._extraContributors) list = this._extraContributors.concat(list);
      if (this.id) {
        document.querySelectorAll('[crowd-form-element-id="' + CSS.escape(this.id) + '"]').forEach(function (el) {
          if (list.indexOf(el) < 0) list.push(el);
        });
      }
      return list;
    }
    _validate() {
      var first = null, firstMsg = "";
      this._contributors().forEach(function (el) {
        var msg = null;
        if (typeof el._crowdValidate === "function") {
          msg = el._crowdValidate();
        } else if (/^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) && el.willValidate && !el.checkValidity()) {
          msg = el.validationMessage || "This field is invalid.";
          var lab = el.getAttribute("aria-label") || el.name || "";
          if (lab && lab !== "_") msg = lab + ": " + msg;
        }
        if (msg && !first) { first = el; firstMsg = msg; }
      });
      var box = this.shadowRoot.querySelector(".formerr");
      if (first) {
        box.textContent = "Please fix the following before submitting: " + firstMsg;
        box.hidden = false;
        try {
          if (/^(INPUT|SELECT|TEXTAREA)$/.test(first.tagName)) first.reportValidity();
          else if (first.focusFirstInvalid) first.focusFirstInvalid();
          else first.focus && first.focus();
          if (first.scrollIntoView) first.scrollIntoView({ block: "nearest" });
        } catch (e) { /* focus may fail in hidden regions */ }
        return false;
      }
      box.hidden = true;
      return true;
    }
    _answer() {
      var ac = {}, merged = {};
      this._contributors().forEach(function (el) {
        if (typeof el._crowdContribute === "function") { el._crowdContribute(ac, merged); return; }
        if (!/^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) return;
        var name = el.getAttribute("name");
        if (!name || el.disabled || el.matches(":disabled")) return;
        var type = (el.type || "").toLowerCase();
        if (NON_VALUE_INPUTS[type]) return;
        if (type === "checkbox" || type === "radio") {
          if (NATIVE_CHECKS_AS_OBJECT) {
            mergeCheck(ac, merged, name, el.value || "on", el.checked);
          } else if (el.checked) {
            ac[name] = el.value || "on";
          }
          return;
        }
        if (el.tagName === "SELECT" && el.multiple) {
          ac[name] = Array.prototype.filter.call(el.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
          return;
        }
        if (el.value === "") { delete ac[name]; return; }
        ac[name] = el.value;
      });
      return sortKeys(ac);
    }
    /* MTurk-style hook some hosts call */
    _serializeForm() { return { taskAnswers: JSON.stringify([this._answer()]) }; }
    get answerContent() { return this._answer(); }
    submit() { this._requestSubmit(); }
    requestSubmit() { this._requestSubmit(); }
    reset() {
      if (this._form) this._form.reset();
      this._contributors().forEach(function (el) { if (typeof el._crowdReset === "function") el._crowdReset(); });
    }
    _requestSubmit() {
      if (!this._ready) this._setup();
      if (this._busy || this._submitted) return false;
      this._busy = true;
      try {
        if (!this._validate()) return false;
        var ev = new Event("submit", { bubbles: true, cancelable: true });
        if (!this.dispatchEvent(ev)) return false;
        // serialise only after the handlers: templates fill hidden inputs in onsubmit
        var answerContent = this._answer();
        this._submitted = true;
        this.lastAnswerContent = answerContent;
        this._lockSubmit();
        if (this._deliver(answerContent) === false) {
          // the bridge could not hand the answer over: let the worker try again
          this._submitted = false;
          this.shadowRoot.querySelector(".done").hidden = true;
          var box = this.shadowRoot.querySelector(".formerr");
          box.textContent = "The answer could not be delivered. Please try again.";
          box.hidden = false;
          this._unlockSubmit();
          return false;
        }
        return true;
      } finally {
        this._busy = false;
      }
    }
    _lockSubmit() {
      var root = this;
      this._contributors().concat(Array.prototype.slice.call(this.querySelectorAll('crowd-button[form-action="submit"]'))).forEach(function (el) {
        if (el.localName === "crowd-button" && el.getAttribute("form-action") === "submit") el.setAttribute("disabled", "");
        if (el._lockSubmit && el !== root) el._lockSubmit();
      });
      this.shadowRoot.querySelector(".done").hidden = false;
    }
    _unlockSubmit() {
      var root = this;
      this._contributors().concat(Array.prototype.slice.call(this.querySelectorAll('crowd-button[form-action="submit"]'))).forEach(function (el) {
        if (el.localName === "crowd-button" && el.getAttribute("form-action") === "submit") el.removeAttribute("disabled");
        if (el !== root && el.shadowRoot) { var b = el.shadowRoot.querySelector(".submit"); if (b) b.disabled = false; }
      });
    }
    _deliver(answerContent) {
      var bridge = window.LoupeFrame;
      if (bridge && typeof bridge.submit === "function") {
        return bridge.submit(answerContent) !== false;
      }
      this.dispatchEvent(new CustomEvent("crowd-submit", { detail: { answerContent: answerContent }, bubbles: true, composed: true }));
      if (!this.isConnected || this.getRootNode() !== document) {
        document.dispatchEvent(new CustomEvent("crowd-submit", { detail: { answerContent: answerContent }, bubbles: true }));
      }
      return true;
    }
  }
  CrowdForm.attrs = { "answer-format": "string" };

  /* The task frame bridge reports whether the portal accepted the answer (static/crowd/README.md);
   * after a refusal the worker may submit again. */
  document.addEventListener("loupe:submit-result", function (e) {
    var d = e.detail || {};
    document.querySelectorAll("crowd-form").forEach(function (f) {
      if (!f._submitted || !f.shadowRoot) return;
      f.shadowRoot.querySelector(".done").hidden = true;
      if (d.ok) {
        f.shadowRoot.querySelector(".done").hidden = false;
        return;
      }
      f._submitted = false;
      var box = f.shadowRoot.querySelector(".formerr");
      box.textContent = "The answer was not accepted" + (d.message ? ": " + d.message : ".");
      box.hidden = false;
      f._unlockSubmit();
    });
  });
  define("crowd-form", CrowdForm);

  function mergeCheck(ac, merged, name, value, checked) {
    if (!merged[name] || ac[name] !== merged[name]) {
      merged[name] = {};
      ac[name] = merged[name];
    }
    ac[name][value] = !!checked;
  }

  /* ------------------------------------------------------------------ crowd-button and friends */

  var BUTTON_CSS = sheet(
    ":host{display:inline-block;vertical-align:middle}:host([hidden]){display:none}" +
    ".btn.normal{}.btn.link{color:#0073bb}.btn.icon{border-color:transparent;background:none;padding:4px;min-height:0}" +
    ".btn.loading{opacity:.7}.spin{width:14px;height:14px;border:2px solid currentColor;border-right-color:transparent;border-radius:50%;animation:s .8s linear infinite}" +
    "@keyframes s{to{transform:rotate(360deg)}}"
  );

  class CrowdButton extends CrowdElement {
    static get css() { return BUTTON_CSS; }
    constructor() {
      super();
      this.addEventListener("click", this._onClick.bind(this));
    }
    setup() {
      this.shadowRoot.innerHTML = '<button type="button" part="button" class="btn"><span class="ic"></span><slot></slot></button>';
      this._btn = this.shadowRoot.querySelector("button");
      this.render();
    }
    render() {
      var v = this.getAttribute("variant") || "normal";
      var loading = this.hasAttribute("loading");
      this._btn.className = "btn " + v + (loading ? " loading" : "");
      this._btn.disabled = !loading && this.hasAttribute("disabled");
      this._btn.setAttribute("aria-busy", loading ? "true" : "false");
      var ic = this.shadowRoot.querySelector(".ic");
      ic.innerHTML = loading ? '<span class="spin"></span>' : (this.getAttribute("icon-url") ? '<img class="icon" alt="" src="' + esc(this.getAttribute("icon-url")) + '">' : iconOrImage(this.getAttribute("icon")));
      ic.hidden = !ic.innerHTML;
      this._btn.style.flexDirection = this.getAttribute("icon-align") === "right" ? "row-reverse" : "";
    }
    focus() { if (this._btn) this._btn.focus(); else super.focus(); }
    _onClick(e) {
      if (this.hasAttribute("disabled") || this.hasAttribute("loading")) {
        e.stopImmediatePropagation();
        e.preventDefault();
        return;
      }
      var action = this.getAttribute("form-action");
      var href = this.getAttribute("href");
      var self = this;
      if (action === "submit" || action === "reset") {
        // run after every other click listener (template onclick handlers), like a native button
        setTimeout(function () {
          if (e.defaultPrevented) return;
          var f = self.crowdForm;
          if (!f) return;
          if (action === "submit") f._requestSubmit(); else f.reset();
        }, 0);
      } else if (href) {
        setTimeout(function () { if (!e.defaultPrevented) window.open(href, self.getAttribute("target") || "_self"); }, 0);
      }
    }
  }
  CrowdButton.attrs = { disabled: "bool", "form-action": "string", href: "string", target: "string", icon: "string",
    "icon-align": "string", "icon-url": "string", loading: "bool", variant: "string" };
  defineProps(CrowdButton, CrowdButton.attrs);
  define("crowd-button", CrowdButton);

  class IronIcon extends CrowdElement {
    static get css() { return sheet(":host{display:inline-flex;width:24px;height:24px;vertical-align:middle}.icon{width:100%;height:100%}"); }
    setup() { this.render(); }
    render() { this.shadowRoot.innerHTML = iconOrImage(this.getAttribute("icon") || this.getAttribute("src")); }
  }
  IronIcon.attrs = { icon: "string", src: "string" };
  defineProps(IronIcon, IronIcon.attrs);
  define("iron-icon", IronIcon);

  var ROUND_CSS = sheet(
    ":host{display:inline-block;vertical-align:middle}" +
    "button{border:0;border-radius:50%;display:inline-flex;align-items:center;justify-content:center;position:relative;overflow:hidden}" +
    ".fab{width:56px;height:56px;background:#ec7211;color:#fff;box-shadow:0 2px 6px rgba(0,0,0,.3);font-size:20px;font-weight:600}" +
    ".ib{width:40px;height:40px;background:none;color:#545b64}.ib:hover:not(:disabled){background:rgba(0,0,0,.06)}" +
    "button:disabled{opacity:.45}.fab .icon{width:24px;height:24px}.lbl{max-width:1.3em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
    "button:active:not(:disabled)::after{content:'';position:absolute;inset:0;background:rgba(255,255,255,.25);border-radius:50%}"
  );
  function roundButton(kind) {
    class RB extends CrowdElement {
      static get css() { return ROUND_CSS; }
      constructor() {
        super();
        this.addEventListener("click", function (e) {
          if (this.hasAttribute("disabled")) { e.stopImmediatePropagation(); e.preventDefault(); }
        });
      }
      setup() { this.shadowRoot.innerHTML = '<button type="button" part="button" class="' + kind + '"></button>'; this.render(); }
      render() {
        var b = this.shadowRoot.querySelector("button");
        b.disabled = this.hasAttribute("disabled");
        var ic = iconOrImage(this.getAttribute("icon"));
        b.innerHTML = ic || '<span class="lbl">' + esc(this.getAttribute("label") || "") + "</span>";
        b.setAttribute("aria-label", this.getAttribute("title") || this.getAttribute("label") || this.getAttribute("icon") || "");
      }
      focus() { var b = this.shadowRoot && this.shadowRoot.querySelector("button"); if (b) b.focus(); }
    }
    RB.attrs = { disabled: "bool", icon: "string", label: "string", title: "string" };
    defineProps(RB, RB.attrs);
    return RB;
  }
  define("crowd-fab", roundButton("fab"));
  define("crowd-icon-button", roundButton("ib"));

  var ALERT_CSS = sheet(
    ":host{display:block;margin:8px 0}:host([hidden]){display:none}" +
    ".a{display:flex;gap:10px;align-items:flex-start;padding:10px 14px;border:1px solid;border-left-width:4px;border-radius:2px}" +
    ".info{border-color:#0073bb;background:#f1faff}.info .icon{color:#0073bb}" +
    ".success{border-color:#1d8102;background:#f2f8f0}.success .icon{color:#1d8102}" +
    ".error{border-color:#d13212;background:#fdf3f1}.error .icon{color:#d13212}" +
    ".warning{border-color:#ff9900;background:#fffbf1}.warning .icon{color:#b36b00}" +
    ".body{flex:1}.x{border:0;background:none;padding:0;color:#545b64}"
  );
  class CrowdAlert extends CrowdElement {
    static get css() { return ALERT_CSS; }
    setup() { this.render(); }
    render() {
      var t = this.getAttribute("type") || "info";
      if (!/^(info|success|error|warning)$/.test(t)) t = "info";
      this.shadowRoot.innerHTML = '<div class="a ' + t + '" part="alert" role="' + (t === "error" || t === "warning" ? "alert" : "status") + '">' + icon(t) +
        '<div class="body"><slot></slot></div>' +
        (this.hasAttribute("dismissible") ? '<button type="button" class="x" aria-label="Dismiss">' + icon("close") + "</button>" : "") + "</div>";
      var self = this, x = this.shadowRoot.querySelector(".x");
      if (x) x.addEventListener("click", function () { self.hidden = true; self.fire("dismiss"); });
    }
  }
  CrowdAlert.attrs = { type: "string", dismissible: "bool" };
  defineProps(CrowdAlert, CrowdAlert.attrs);
  define("crowd-alert", CrowdAlert);

  class CrowdBadge extends CrowdElement {
    static get css() { return sheet(":host{position:absolute;z-index:10;pointer-events:none}.b{min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#0073bb;color:#fff;font-size:12px;font-weight:700;display:inline-flex;align-items:center;justify-content:center}.b .icon{width:14px;height:14px}"); }
    setup() {
      var self = this;
      this.render();
      window.addEventListener("resize", function () { self.place(); });
      requestAnimationFrame(function () { self.place(); });
    }
    render() {
      this.shadowRoot.innerHTML = '<span class="b" part="badge">' + (iconOrImage(this.getAttribute("icon")) || esc(this.getAttribute("label") || "")) + "</span>";
      this.place();
    }
    place() {
      var id = this.getAttribute("for");
      var t = id && (document.getElementById(id) || document.querySelector(id.replace(/^([a-z][\w-]*)$/i, "$1")));
      if (!t || !t.getBoundingClientRect) return;
      var r = t.getBoundingClientRect();
      var op = this.offsetParent || document.body;
      var pr = op.getBoundingClientRect();
      this.style.left = (r.right - pr.left - 11) + "px";
      this.style.top = (r.top - pr.top - 11) + "px";
    }
  }
  CrowdBadge.attrs = { "for": "string", icon: "string", label: "string" };
  defineProps(CrowdBadge, CrowdBadge.attrs);
  define("crowd-badge", CrowdBadge);

  class CrowdCard extends CrowdElement {
    static get css() { return sheet(":host{display:block;background:#fff;border-radius:2px;box-shadow:0 1px 1px rgba(0,28,36,.3),1px 1px 1px rgba(0,28,36,.15);margin:8px 0;overflow:hidden}h3{margin:0;padding:12px 16px 0;font-size:18px}img{display:block;max-width:100%}.c{padding:12px 16px}"); }
    setup() { this.render(); }
    render() {
      var img = this.getAttribute("image"), hd = this.getAttribute("heading");
      this.shadowRoot.innerHTML = (img ? '<img part="image" alt="" src="' + esc(img) + '">' : "") + (hd ? '<h3 part="heading">' + esc(hd) + "</h3>" : "") + '<div class="c"><slot></slot></div>';
    }
  }
  CrowdCard.attrs = { heading: "string", image: "string" };
  defineProps(CrowdCard, CrowdCard.attrs);
  define("crowd-card", CrowdCard);

  var MODAL_CSS = sheet(
    ":host{display:inline}.bd{position:fixed;inset:0;background:rgba(0,0,0,.45);z-index:1000;display:flex;align-items:flex-start;justify-content:center;padding-top:8vh}" +
    ".dlg{background:#fff;border-radius:4px;box-shadow:0 4px 24px rgba(0,0,0,.35);width:min(800px,92vw);max-height:84vh;display:flex;flex-direction:column}" +
    ".hd{display:flex;align-items:center;justify-content:space-between;padding:12px 16px;border-bottom:1px solid #eaeded;font-weight:700;font-size:16px}" +
    ".hd button{border:0;background:none;padding:2px}.bdy{padding:16px;overflow:auto}" +
    ".tabs{display:flex;gap:4px;border-bottom:1px solid #eaeded;padding:0 16px}.tabs button{border:0;background:none;padding:10px 12px;border-bottom:3px solid transparent;color:#545b64;font-weight:600}" +
    ".tabs button[aria-selected=true]{border-bottom-color:#ec7211;color:#16191f}.ex h4{margin:12px 0 6px}"
  );

  function modalShell(title, bodyHtml) {
    return '<div class="bd" hidden part="backdrop"><div class="dlg awsui-modal-dialog" role="dialog" aria-modal="true" aria-label="' + esc(title) + '">' +
      '<div class="hd"><span class="ttl">' + esc(title) + '</span><button type="button" class="close" aria-label="Close">' + icon("close") + "</button></div>" +
      bodyHtml + "</div></div>";
  }
  function wireModal(host, root) {
    var bd = root.querySelector(".bd");
    function open(v) {
      bd.hidden = !v;
      if (v) { var c = root.querySelector(".close"); if (c) c.focus(); }
    }
    bd.addEventListener("click", function (e) { if (e.target === bd) open(false); });
    root.querySelector(".close").addEventListener("click", function () { open(false); });
    bd.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.stopPropagation(); open(false); } });
    return open;
  }

  class CrowdModal extends CrowdElement {
    static get css() { return MODAL_CSS; }
    setup() {
      var lt = this.getAttribute("link-text") || "Click to open modal";
      var trig = this.getAttribute("link-type") === "button"
        ? '<button type="button" class="btn trig">' + esc(lt) + "</button>"
        : '<button type="button" class="btn link trig">' + esc(lt) + "</button>";
      this.shadowRoot.innerHTML = trig + modalShell(lt, '<div class="bdy"><slot></slot></div>');
      this._open = wireModal(this, this.shadowRoot);
      var self = this;
      this.shadowRoot.querySelector(".trig").addEventListener("click", function () { self.open(); });
    }
    open() { this._open(true); }
    close() { this._open(false); }
  }
  CrowdModal.attrs = { "link-text": "string", "link-type": "string" };
  defineProps(CrowdModal, CrowdModal.attrs);
  define("crowd-modal", CrowdModal);

  var openToast = null;
  class CrowdToast extends CrowdElement {
    static get css() { return sheet(":host{display:contents}.t{position:fixed;left:16px;bottom:16px;z-index:1100;background:#232f3e;color:#fff;padding:12px 18px;border-radius:3px;box-shadow:0 2px 8px rgba(0,0,0,.35);max-width:min(560px,90vw)}"); }
    setup() {
      this.shadowRoot.innerHTML = '<div class="t" role="status" part="toast" hidden><span class="txt"></span><slot></slot></div>';
      this.render();
      if (this.hasAttribute("opened")) this.show();
    }
    render() { this.shadowRoot.querySelector(".txt").textContent = this.getAttribute("text") || ""; }
    get opened() { return !!(this.shadowRoot && !this.shadowRoot.querySelector(".t").hidden); }
    set opened(v) { if (v) this.show(); else this.close(); }
    show() {
      if (!this._ready) { this.setAttribute("opened", ""); return; }
      if (openToast && openToast !== this) openToast.close();
      openToast = this;
      this.shadowRoot.querySelector(".t").hidden = false;
      clearTimeout(this._timer);
      var d = Number(this.getAttribute("duration") || 3000), self = this;
      if (d > 0) this._timer = setTimeout(function () { self.close(); }, d);
    }
    open() { this.show(); }
    close() {
      if (!this.shadowRoot) return;
      this.shadowRoot.querySelector(".t").hidden = true;
      if (openToast === this) openToast = null;
    }
    toggle() { if (this.opened) this.close(); else this.show(); }
  }
  CrowdToast.attrs = { duration: "number", text: "string" };
  defineProps(CrowdToast, CrowdToast.attrs);
  define("crowd-toast", CrowdToast);

  class CrowdInstructions extends CrowdElement {
    static get css() { return MODAL_CSS; }
    setup() {
      var lt = this.getAttribute("link-text") || "Click for instructions";
      var trig = this.getAttribute("link-type") === "button" ? '<button type="button" class="btn trig">' + esc(lt) + "</button>"
        : '<button type="button" class="btn link trig">' + esc(lt) + "</button>";
      Array.prototype.forEach.call(this.children, function (c) {
        if (c.localName === "short-summary") c.slot = "summary";
        else if (c.localName === "detailed-instructions") c.slot = "detailed";
        else if (c.localName === "positive-example") c.slot = "positive";
        else if (c.localName === "negative-example") c.slot = "negative";
      });
      this.shadowRoot.innerHTML = trig + modalShell("Instructions",
        '<div class="tabs" role="tablist"><button type="button" role="tab" data-p="0" aria-selected="true">Summary</button>' +
        '<button type="button" role="tab" data-p="1" aria-selected="false">Detailed Instructions</button>' +
        '<button type="button" role="tab" data-p="2" aria-selected="false">Examples</button></div>' +
        '<div class="bdy"><div class="p" role="tabpanel"><slot name="summary"></slot></div>' +
        '<div class="p" role="tabpanel" hidden><slot name="detailed"></slot></div>' +
        '<div class="p ex" role="tabpanel" hidden><h4>Good examples</h4><slot name="positive"></slot><h4>Bad examples</h4><slot name="negative"></slot></div></div>');
      var open = wireModal(this, this.shadowRoot), self = this;
      this._open = open;
      this.shadowRoot.querySelector(".trig").addEventListener("click", function () { open(true); });
      var tabs = this.shadowRoot.querySelectorAll("[role=tab]"), panes = this.shadowRoot.querySelectorAll(".p");
      function sel(i) {
        tabs.forEach(function (t, j) { t.setAttribute("aria-selected", String(i === j)); });
        panes.forEach(function (p, j) { p.hidden = i !== j; });
      }
      tabs.forEach(function (t, i) {
        t.addEventListener("click", function () { sel(i); });
        t.addEventListener("keydown", function (e) {
          if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
            var k = (i + (e.key === "ArrowRight" ? 1 : 2)) % 3;
            sel(k); tabs[k].focus();
          }
        });
      });
      void self;
    }
    open() { this._open(true); }
    close() { this._open(false); }
  }
  CrowdInstructions.attrs = { "link-text": "string", "link-type": "string" };
  defineProps(CrowdInstructions, CrowdInstructions.attrs);
  define("crowd-instructions", CrowdInstructions);

  class CrowdTabs extends CrowdElement {
    static get css() { return sheet(":host{display:block}.tabs{display:flex;gap:4px;border-bottom:1px solid #eaeded;margin-bottom:12px}.tabs button{border:0;background:none;padding:10px 14px;border-bottom:3px solid transparent;color:#545b64;font-weight:600}.tabs button[aria-selected=true]{border-bottom-color:#ec7211;color:#16191f}"); }
    setup() {
      this.shadowRoot.innerHTML = '<div class="tabs" role="tablist"></div><slot></slot>';
      this._sel = 0;
      this.render();
      var self = this;
      new MutationObserver(function () { self.render(); }).observe(this, { childList: true });
    }
    tabsList() { return Array.prototype.filter.call(this.children, function (c) { return c.localName === "crowd-tab"; }); }
    render() {
      var self = this, tabs = this.tabsList(), bar = this.shadowRoot.querySelector(".tabs");
      if (this._sel >= tabs.length) this._sel = 0;
      bar.innerHTML = "";
      tabs.forEach(function (t, i) {
        var b = document.createElement("button");
        b.type = "button";
        b.setAttribute("role", "tab");
        b.textContent = t.getAttribute("header") || "Tab " + (i + 1);
        b.setAttribute("aria-selected", String(i === self._sel));
        b.tabIndex = i === self._sel ? 0 : -1;
        b.addEventListener("click", function () { self.select(i); });
        b.addEventListener("keydown", function (e) {
          var n = tabs.length;
          if (e.key === "ArrowRight") { self.select((i + 1) % n); self.shadowRoot.querySelectorAll("[role=tab]")[(i + 1) % n].focus(); }
          if (e.key === "ArrowLeft") { self.select((i + n - 1) % n); self.shadowRoot.querySelectorAll("[role=tab]")[(i + n - 1) % n].focus(); }
        });
        bar.appendChild(b);
        // inactive tabs are hidden with CSS, never detached: their controls are still submitted
        if (i === self._sel) t.setAttribute("data-active", ""); else t.removeAttribute("data-active");
      });
    }
    select(i) { this._sel = i; this.render(); this.fire("crowd-tab-change", { index: i }); }
    get selected() { return this._sel || 0; }
    set selected(i) { this.select(Number(i) || 0); }
  }
  define("crowd-tabs", CrowdTabs);
  class CrowdTab extends HTMLElement {}
  define("crowd-tab", CrowdTab);
  class CrowdSliderLabel extends HTMLElement {}
  define("crowd-slider-label", CrowdSliderLabel);

  /* ------------------------------------------------------------------ text inputs */

  var FIELD_CSS = sheet(
    ":host{display:block;margin:8px 0}:host([hidden]){display:none}" +
    ".f{position:relative;display:block;border-bottom:1px solid #879596;padding-top:16px}" +
    ".f:focus-within{border-bottom:2px solid #0073bb}:host([invalid]) .f{border-bottom-color:#d13212}" +
    ".lab{position:absolute;left:0;top:20px;color:#687078;pointer-events:none;transition:all .12s;transform-origin:left top}" +
    ".f.up .lab,.f:focus-within .lab{top:0;transform:scale(.8)}.f:focus-within .lab{color:#0073bb}" +
    "input,textarea{display:block;width:100%;border:0;outline:0;background:transparent;font:inherit;padding:4px 0;color:inherit;resize:none}" +
    ".f.nolabel{padding-top:0}.f.nolabel .lab{display:none}" +
    "input:disabled,textarea:disabled{color:#879596}.cc{text-align:right;font-size:12px;color:#687078}"
  );

  class TextField extends CrowdElement {
    static get css() { return FIELD_CSS; }
    get value() {
      if (this._ctl) return this._ctl.value;
      if (this._value !== undefined) return this._value;
      var v = this.getAttribute("value");
      return v === null ? "" : v;
    }
    set value(v) {
      v = v === null || v === undefined ? "" : String(v);
      this._value = v;
      this._dirty = true;
      if (this._ctl) { this._ctl.value = v; this._sync(); }
    }
    get _submittableValue() { return this.value; }
    setup() {
      var multi = this.constructor.multiline;
      this.shadowRoot.innerHTML = '<label class="f"><span class="lab"></span>' +
        (multi ? '<textarea part="textarea"></textarea>' : '<input part="input">') +
        '</label><div class="cc" hidden></div><div class="err" role="alert" hidden></div>';
      var ctl = this._ctl = this.shadowRoot.querySelector(multi ? "textarea" : "input");
      var self = this;
      ctl.value = this._value !== undefined ? this._value : (this.getAttribute("value") || "");
      ctl.addEventListener("input", function () { self._dirty = true; self._sync(); if (self.hasAttribute("auto-validate") || self.hasAttribute("invalid")) self._crowdValidate(); });
      ctl.addEventListener("change", function () { self.dispatchEvent(new Event("change", { bubbles: true })); });
      ctl.addEventListener("beforeinput", function (e) { self._filter(e); });
      ctl.addEventListener("blur", function () { if (self.hasAttribute("auto-validate")) self._crowdValidate(); });
      this.render();
      if (this.hasAttribute("auto-focus")) setTimeout(function () { ctl.focus(); }, 0);
    }
    render() {
      var ctl = this._ctl;
      var label = this.getAttribute("label");
      var lab = this.shadowRoot.querySelector(".lab");
      lab.textContent = label || "";
      this.shadowRoot.querySelector(".f").classList.toggle("nolabel", !label);
      ctl.placeholder = this.getAttribute("placeholder") || "";
      ctl.disabled = this.hasAttribute("disabled");
      ctl.required = this.hasAttribute("required");
      if (label) ctl.setAttribute("aria-label", label); else if (this.getAttribute("name")) ctl.setAttribute("aria-label", this.getAttribute("name"));
      var ml = this.getAttribute("max-length") || this.getAttribute("maxlength");
      if (ml) ctl.maxLength = Number(ml); else ctl.removeAttribute("maxlength");
      if (!this.constructor.multiline) {
        ctl.type = this.getAttribute("type") || "text";
        ["min", "max", "step", "pattern", "autocomplete"].forEach(function (a) {
          if (this.hasAttribute(a)) ctl.setAttribute(a, this.getAttribute(a)); else ctl.removeAttribute(a);
        }, this);
      } else {
        var rows = Number(this.getAttribute("rows") || 0);
        if (rows) ctl.rows = rows;
      }
      if (!this._dirty && this.hasAttribute("value")) ctl.value = this.getAttribute("value");
      this._sync();
    }
    propChanged(prop) {
      if (prop === "value" && this._ctl && !this._dirty) this._ctl.value = this.getAttribute("value") || "";
      this.render();
    }
    _sync() {
      var ctl = this._ctl;
      if (!ctl) return;
      this._value = ctl.value;
      this.shadowRoot.querySelector(".f").classList.toggle("up", ctl.value !== "" || !!ctl.placeholder || /^(date|time|datetime-local|month|week|color|file|range)$/.test(ctl.type || ""));
      var cc = this.shadowRoot.querySelector(".cc");
      cc.hidden = !this.hasAttribute("char-counter");
      var ml = ctl.maxLength > 0 ? ctl.maxLength : 0;
      cc.textContent = ctl.value.length + (ml ? "/" + ml : "");
      if (this.constructor.multiline) this._grow();
    }
    _grow() {}
    _filter(e) {
      var pat = this.getAttribute("allowed-pattern");
      if (!pat || !this.hasAttribute("auto-validate") || e.data == null) return;
      var re;
      try { re = new RegExp(pat); } catch (err) { return; }
      for (var i = 0; i < e.data.length; i++) {
        if (!re.test(e.data[i])) { e.preventDefault(); return; }
      }
    }
    _crowdValidate() {
      var msg = null, v = this.value;
      if (this.hasAttribute("disabled")) msg = null;
      else if (this.hasAttribute("required") && v === "") msg = "This field is required.";
      else if (this.getAttribute("min-length") && v !== "" && v.length < Number(this.getAttribute("min-length"))) msg = "Enter at least " + this.getAttribute("min-length") + " characters.";
      else if (this._ctl && !this._ctl.checkValidity()) msg = this._ctl.validationMessage;
      if (msg && this.getAttribute("error-message")) msg = this.getAttribute("error-message");
      if (this.shadowRoot) {
        var err = this.shadowRoot.querySelector(".err");
        if (err) { err.textContent = msg || ""; err.hidden = !msg; }
      }
      if (msg) this.setAttribute("invalid", ""); else this.removeAttribute("invalid");
      var lab = this.getAttribute("label") || this.getAttribute("name") || "";
      return msg ? (lab && lab !== "_" ? lab + ": " : "") + msg : null;
    }
    validate() { return !this._crowdValidate(); }
    get invalid() { return this.hasAttribute("invalid"); }
    focusFirstInvalid() { if (this._ctl) this._ctl.focus(); }
    focus() { if (this._ctl) this._ctl.focus(); else super.focus(); }
    _crowdContribute(ac) {
      var name = this.getAttribute("name");
      if (!name || this.hasAttribute("disabled")) return;
      if ((this.getAttribute("type") || "").toLowerCase() === "file") return;
      var v = this.value;
      if (v === "") { delete ac[name]; return; }
      ac[name] = v;
    }
    _crowdReset() { this._dirty = false; this.value = this.getAttribute("value") || ""; this._dirty = false; }
  }
  var FIELD_ATTRS = { name: "string", label: "string", placeholder: "string", type: "string", required: "bool",
    disabled: "bool", "auto-focus": "bool", "auto-validate": "bool", "allowed-pattern": "string", "error-message": "string",
    "max-length": "number", "min-length": "number", value: "string", rows: "number", "max-rows": "number", "char-counter": "bool" };

  class CrowdInput extends TextField {}
  CrowdInput.attrs = FIELD_ATTRS;
  defineProps(CrowdInput, FIELD_ATTRS);
  define("crowd-input", CrowdInput);

  class CrowdTextArea extends TextField {
    static get multiline() { return true; }
    _grow() {
      var ta = this._ctl, mr = Number(this.getAttribute("max-rows") || 0);
      var rows = Number(this.getAttribute("rows") || 1);
      var lh = parseFloat(getComputedStyle(ta).lineHeight) || 20;
      ta.style.height = "auto";
      var h = Math.max(ta.scrollHeight, rows * lh + 8);
      if (mr) h = Math.min(h, mr * lh + 8);
      ta.style.height = h + "px";
      ta.style.overflowY = mr && ta.scrollHeight > h ? "auto" : "hidden";
    }
  }
  CrowdTextArea.attrs = FIELD_ATTRS;
  defineProps(CrowdTextArea, FIELD_ATTRS);
  define("crowd-text-area", CrowdTextArea);

  /* ------------------------------------------------------------------ checkbox-like */

  var CHECK_CSS = sheet(
    ":host{display:inline-flex;align-items:center;gap:8px;cursor:pointer;margin:4px 12px 4px 0;user-select:none;outline:0}" +
    ":host([disabled]){cursor:default;opacity:.5}:host(:focus-visible) .box,:host(:focus-visible) .tr{outline:2px solid #0073bb;outline-offset:2px}" +
    ".box{width:18px;height:18px;border:2px solid #545b64;border-radius:2px;display:inline-flex;align-items:center;justify-content:center;flex:none}" +
    ":host([aria-checked=true]) .box{background:#0073bb;border-color:#0073bb;color:#fff}.box .icon{width:16px;height:16px;visibility:hidden}" +
    ":host([aria-checked=true]) .box .icon{visibility:visible}" +
    ".dot{width:18px;height:18px;border:2px solid #545b64;border-radius:50%;display:inline-flex;align-items:center;justify-content:center;flex:none}" +
    ":host([aria-checked=true]) .dot{border-color:#0073bb}:host([aria-checked=true]) .dot::after{content:'';width:8px;height:8px;border-radius:50%;background:#0073bb}" +
    ".tr{width:36px;height:20px;border-radius:10px;background:#aab7b8;position:relative;flex:none;transition:background .15s}" +
    ".tr::after{content:'';position:absolute;top:2px;left:2px;width:16px;height:16px;border-radius:50%;background:#fff;transition:left .15s}" +
    ":host([aria-checked=true]) .tr{background:#0073bb}:host([aria-checked=true]) .tr::after{left:18px}" +
    ":host([invalid][aria-checked=false]) .tr{background:var(--crowd-toggle-invalid-color,#d13212)}" +
    ":host([data-invalid]) .box{border-color:#d13212}"
  );

  class CheckLike extends CrowdElement {
    static get css() { return CHECK_CSS; }
    constructor() {
      super();
      this.addEventListener("click", this._onClick.bind(this));
      this.addEventListener("keydown", this._onKey.bind(this));
    }
    get checked() { return this._checked !== undefined ? this._checked : this.hasAttribute("checked"); }
    set checked(v) { this._checked = !!v; this._reflect(); }
    get value() { return this.getAttribute("value") || "on"; }
    set value(v) { this.setAttribute("value", v); }
    get _submittableValue() { var o = {}; o[this.value] = this.checked; return o; }
    setup() {
      this.setAttribute("role", this.constructor.role);
      if (!this.hasAttribute("tabindex")) this.setAttribute("tabindex", "0");
      this.shadowRoot.innerHTML = this.constructor.visual + '<slot></slot>';
      this._reflect();
    }
    render() { this._reflect(); }
    propChanged(prop) { if (prop === "checked") this._checked = undefined; this._reflect(); }
    _reflect() {
      if (!this._ready) return;
      this.setAttribute("aria-checked", String(this.checked));
      this.setAttribute("aria-disabled", String(this.hasAttribute("disabled")));
    }
    _onClick(e) {
      if (this.hasAttribute("disabled")) { e.stopImmediatePropagation(); return; }
      if (e.target !== this && e.target.closest && e.target.closest("a,input,button,select,textarea")) return;
      this._activate();
    }
    _onKey(e) {
      if (e.target !== this) return;
      if (e.key === " " || e.key === "Enter") {
        e.preventDefault();
        if (!this.hasAttribute("disabled")) this._activate();
      }
    }
    _activate() {
      this.checked = !this.checked;
      this.removeAttribute("data-invalid");
      this.dispatchEvent(new Event("change", { bubbles: true }));
      this.fire("iron-change");
    }
    _crowdContribute(ac, merged) {
      var name = this.getAttribute("name");
      if (!name || this.hasAttribute("disabled")) return;
      mergeCheck(ac, merged, name, this.value, this.checked);
    }
    _crowdValidate() {
      if (this.hasAttribute("required") && !this.hasAttribute("disabled") && !this.checked) {
        this.setAttribute("data-invalid", "");
        var t = (this.textContent || "").trim() || this.getAttribute("name") || "";
        return (t ? t + ": " : "") + this.constructor.requiredMsg;
      }
      this.removeAttribute("data-invalid");
      return null;
    }
    _crowdReset() { this._checked = undefined; this._reflect(); }
  }
  var CHECK_ATTRS = { name: "string", disabled: "bool", required: "bool", invalid: "bool" };

  class CrowdCheckbox extends CheckLike {}
  CrowdCheckbox.role = "checkbox";
  CrowdCheckbox.visual = '<span class="box" part="checkbox">' + icon("check") + "</span>";
  CrowdCheckbox.requiredMsg = "This box must be checked.";
  CrowdCheckbox.attrs = CHECK_ATTRS;
  defineProps(CrowdCheckbox, CHECK_ATTRS);
  define("crowd-checkbox", CrowdCheckbox);

  class CrowdToggleButton extends CheckLike {}
  CrowdToggleButton.role = "switch";
  CrowdToggleButton.visual = '<span class="tr" part="toggle"></span>';
  CrowdToggleButton.requiredMsg = "This switch must be on.";
  CrowdToggleButton.attrs = CHECK_ATTRS;
  defineProps(CrowdToggleButton, CHECK_ATTRS);
  define("crowd-toggle-button", CrowdToggleButton);

  class CrowdRadioButton extends CheckLike {
    _activate() {
      if (this.checked) return;
      var group = this.closest("crowd-radio-group");
      var self = this;
      if (group) {
        group.querySelectorAll("crowd-radio-button").forEach(function (b) {
          if (b !== self && b.closest("crowd-radio-group") === group && b.checked) b.checked = false;
        });
      }
      this.checked = true;
      if (group) group._updateTabs();
      this.dispatchEvent(new Event("change", { bubbles: true }));
      this.fire("iron-change");
    }
    _crowdValidate() { return null; }
  }
  CrowdRadioButton.role = "radio";
  CrowdRadioButton.visual = '<span class="dot" part="radio"></span>';
  CrowdRadioButton.attrs = CHECK_ATTRS;
  defineProps(CrowdRadioButton, CHECK_ATTRS);
  define("crowd-radio-button", CrowdRadioButton);

  class CrowdRadioGroup extends CrowdElement {
    static get css() { return sheet(":host{display:block}"); }
    setup() {
      this.setAttribute("role", "radiogroup");
      this.shadowRoot.innerHTML = "<slot></slot>";
      var self = this;
      this.addEventListener("keydown", function (e) {
        var dir = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[e.key];
        if (!dir) return;
        var btns = self._buttons().filter(function (b) { return !b.hasAttribute("disabled"); });
        var i = btns.indexOf(e.target);
        if (i < 0 || !btns.length) return;
        e.preventDefault();
        var nb = btns[(i + dir + btns.length) % btns.length];
        nb.focus();
        nb._activate();
      });
      setTimeout(function () { self._updateTabs(); }, 0);
    }
    _buttons() {
      var self = this;
      return Array.prototype.filter.call(this.querySelectorAll("crowd-radio-button"), function (b) { return b.closest("crowd-radio-group") === self; });
    }
    _updateTabs() {
      var btns = this._buttons();
      var sel = btns.filter(function (b) { return b.checked; })[0] || btns[0];
      btns.forEach(function (b) { b.setAttribute("tabindex", b === sel ? "0" : "-1"); });
    }
    get selected() { var b = this._buttons().filter(function (x) { return x.checked; })[0]; return b ? b.value : null; }
  }
  define("crowd-radio-group", CrowdRadioGroup);

  /* ------------------------------------------------------------------ slider */

  var SLIDER_CSS = sheet(
    ":host{display:block;margin:8px 0;min-width:160px}:host([hidden]){display:none}" +
    ".w{display:flex;align-items:center;gap:8px}.tw{position:relative;flex:1;padding:22px 0 4px}" +
    "input[type=range]{width:100%;margin:0;accent-color:#0073bb;position:relative;z-index:1;background:transparent}" +
    ".sec{position:absolute;left:0;top:50%;height:4px;margin-top:7px;background:var(--crowd-slider-secondary-color,#aab7b8);border-radius:2px;pointer-events:none}" +
    ".pin{position:absolute;top:0;transform:translateX(-50%);background:#0073bb;color:#fff;font-size:12px;padding:1px 6px;border-radius:10px;white-space:nowrap}" +
    ".ticks{position:relative;height:18px;margin:0 8px}.ticks:not(.has){display:none}" +
    ".sb{border:1px solid #aab7b8;background:#fff;width:26px;height:26px;border-radius:2px;padding:0}" +
    ".num{width:64px;font:inherit;padding:2px 4px}.cur{min-width:2.5em;text-align:right;font-variant-numeric:tabular-nums;color:#16191f;padding-top:18px}"
  );
  class CrowdSlider extends CrowdElement {
    static get css() { return SLIDER_CSS; }
    _min() { var v = this.getAttribute("min"); return v === null || v === "" || isNaN(Number(v)) ? 0 : Number(v); }
    _max() { var v = this.getAttribute("max"); return v === null || v === "" || isNaN(Number(v)) ? 100 : Number(v); }
    _step() { var v = Number(this.getAttribute("step")); return v > 0 ? v : 1; }
    _clamp(v) {
      var mn = this._min(), mx = this._max(), st = this._step();
      v = Number(v);
      if (isNaN(v)) v = mn;
      v = Math.min(mx, Math.max(mn, v));
      v = mn + Math.round((v - mn) / st) * st;
      return Number(v.toFixed(10));
    }
    get value() {
      if (this._value !== undefined) return this._value;
      var a = this.getAttribute("value");
      return this._clamp(a === null || a === "" ? this._min() : a);
    }
    set value(v) { this._value = this._clamp(v); this._sync(); }
    get _submittableValue() { return this.value; }
    setup() {
      this.shadowRoot.innerHTML = '<div class="w"><button type="button" class="sb dec" aria-label="Decrease" hidden>' + icon("remove") + '</button>' +
        '<div class="tw"><div class="sec" hidden></div><input type="range" part="range"><output class="pin" hidden></output>' +
        '<div class="ticks"><slot name="tick"></slot></div></div>' +
        '<button type="button" class="sb inc" aria-label="Increase" hidden>' + icon("add") + '</button><input class="num" type="number" hidden><output class="cur" part="value"></output></div><slot></slot>';
      var r = this._r = this.shadowRoot.querySelector("input[type=range]");
      var self = this, pin = this.shadowRoot.querySelector(".pin");
      r.addEventListener("input", function () { self._value = self._clamp(r.value); self._sync(); });
      // the native range fires `change` when the worker lets go of the knob (or per key press)
      r.addEventListener("change", function () { self._value = self._clamp(r.value); self._sync(); self.dispatchEvent(new Event("change", { bubbles: true })); });
      function showPin(v) { if (self.hasAttribute("pin")) pin.hidden = !v; }
      r.addEventListener("pointerdown", function () { showPin(true); });
      r.addEventListener("focus", function () { showPin(true); });
      r.addEventListener("blur", function () { showPin(false); });
      window.addEventListener("pointerup", function () { if (self.shadowRoot.activeElement !== r) showPin(false); });
      function bump(d) {
        if (self.hasAttribute("disabled")) return;
        self.value = self.value + d * self._step();
        self.dispatchEvent(new Event("change", { bubbles: true }));
      }
      this.shadowRoot.querySelector(".dec").addEventListener("click", function () { bump(-1); });
      this.shadowRoot.querySelector(".inc").addEventListener("click", function () { bump(1); });
      var num = this.shadowRoot.querySelector(".num");
      num.addEventListener("change", function () { self.value = num.value; self.dispatchEvent(new Event("change", { bubbles: true })); });
      this._labelsObs = new MutationObserver(function () { self._ticks(); });
      this._labelsObs.observe(this, { childList: true });
      this.render();
    }
    render() {
      var r = this._r;
      if (!r) return;
      r.min = this._min(); r.max = this._max(); r.step = this._step();
      r.disabled = this.hasAttribute("disabled");
      r.setAttribute("aria-label", this.getAttribute("name") || "slider");
      var ed = this.hasAttribute("editable");
      this.shadowRoot.querySelector(".dec").hidden = !ed;
      this.shadowRoot.querySelector(".inc").hidden = !ed;
      var num = this.shadowRoot.querySelector(".num");
      num.hidden = !ed; num.min = r.min; num.max = r.max; num.step = r.step; num.disabled = r.disabled;
      var sec = this.shadowRoot.querySelector(".sec"), sp = this.getAttribute("secondary-progress");
      sec.hidden = sp === null;
      if (sp !== null) sec.style.width = (100 * (this._clamp(sp) - this._min()) / ((this._max() - this._min()) || 1)) + "%";
      this._ticks();
      this._sync();
    }
    propChanged(prop) {
      if (prop === "value") this._value = undefined;
      this.render();
    }
    _ticks() {
      var mn = this._min(), mx = this._max(), any = false;
      Array.prototype.forEach.call(this.children, function (c) {
        if (c.localName !== "crowd-slider-label") return;
        any = true;
        c.slot = "tick";
        var p = Number(c.getAttribute("position"));
        c.style.left = (100 * (p - mn) / ((mx - mn) || 1)) + "%";
      });
      this.shadowRoot.querySelector(".ticks").classList.toggle("has", any);
    }
    _sync() {
      if (!this._r) return;
      var v = this.value;
      this._r.value = v;
      var pin = this.shadowRoot.querySelector(".pin");
      pin.textContent = v;
      var frac = (v - this._min()) / ((this._max() - this._min()) || 1);
      pin.style.left = "calc(" + (frac * 100) + "% + " + (8 - frac * 16) + "px)";
      this.shadowRoot.querySelector(".num").value = v;
      var cur = this.shadowRoot.querySelector(".cur");
      cur.textContent = v;
      cur.hidden = this.hasAttribute("editable");
      this.setAttribute("aria-valuenow", String(v));
    }
    _crowdContribute(ac) {
      var name = this.getAttribute("name");
      if (!name || this.hasAttribute("disabled")) return;
      ac[name] = this.value;
    }
    _crowdReset() { this._value = undefined; this._sync(); }
    focus() { if (this._r) this._r.focus(); }
  }
  CrowdSlider.attrs = { name: "string", min: "number", max: "number", step: "number", pin: "bool", editable: "bool",
    "secondary-progress": "number", disabled: "bool", required: "bool", value: "number" };
  defineProps(CrowdSlider, CrowdSlider.attrs);
  define("crowd-slider", CrowdSlider);

  /* ------------------------------------------------------------------ full-window widget shell */

  var WIDGET_CSS = sheet(
    ":host{display:block;height:var(--crowd-tool-height,calc(100vh - 24px));min-height:480px;margin:0 0 8px}:host([hidden]){display:none}" +
    ".app{display:flex;flex-direction:column;height:100%;border:1px solid #d5dbdb;background:#fff}" +
    ".hdr{padding:10px 16px;border-bottom:1px solid #eaeded;background:#fafafa}.hdr h2{margin:0;font-size:16px;font-weight:700}" +
    ".cols{flex:1;display:flex;min-height:0}" +
    ".awsui-app-layout__navigation{width:260px;flex:none;border-right:1px solid #eaeded;padding:12px 16px;overflow:auto}" +
    ".navhead{font-weight:700;font-size:15px;margin-bottom:4px}.navhead:empty{display:none}" +
    ".main{flex:1;min-width:0;position:relative;display:flex;flex-direction:column;overflow:auto}" +
    ".side{width:270px;flex:none;border-left:1px solid #eaeded;display:flex;flex-direction:column;min-height:0}" +
    ".sidebody{flex:1;overflow:auto;padding:12px 14px}.foot{padding:10px 14px;border-top:1px solid #eaeded}" +
    ".foot .submit{width:100%}.sect{font-weight:700;margin:4px 0 8px;color:#545b64;font-size:12px;text-transform:uppercase;letter-spacing:.04em}" +
    ".choice{display:flex;align-items:center;gap:8px;width:100%;text-align:left;border:1px solid #d5dbdb;background:#fff;border-radius:2px;padding:7px 10px;margin:0 0 6px;min-height:34px}" +
    ".choice:hover:not(:disabled){border-color:#0073bb}.choice[aria-checked=true],.choice[aria-pressed=true]{border-color:#0073bb;background:#f1faff;box-shadow:inset 3px 0 0 #0073bb}" +
    ".choice:disabled{opacity:.5}.sw{width:12px;height:12px;border-radius:2px;flex:none}" +
    ".mark{width:16px;height:16px;border:2px solid #545b64;flex:none;display:inline-flex;align-items:center;justify-content:center}" +
    ".mark.r{border-radius:50%}.mark.c{border-radius:2px}" +
    "[aria-checked=true] .mark.r::after{content:'';width:8px;height:8px;border-radius:50%;background:#0073bb}[aria-checked=true] .mark{border-color:#0073bb}" +
    "[aria-checked=true] .mark.c{background:#0073bb}[aria-checked=true] .mark.c::after{content:'';width:4px;height:8px;border:solid #fff;border-width:0 2px 2px 0;transform:rotate(45deg) translate(-1px,-1px)}" +
    ".target{padding:16px;overflow:auto}" +
    ".vp{position:relative;flex:1;overflow:hidden;background:#e9ebed;outline:0;touch-action:none;min-height:200px;user-select:none;-webkit-user-select:none}" +
    ".vp:focus-visible{box-shadow:inset 0 0 0 2px #0073bb}.stage{position:absolute;left:0;top:0;transform-origin:0 0}" +
    ".stage>img{display:block;width:100%;height:100%;user-select:none;-webkit-user-drag:none;pointer-events:none}" +
    ".stage>canvas,.stage>svg,.stage>.ovl{position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none}" +
    ".stage>svg{overflow:visible}.vp.draw{cursor:crosshair}.vp.pan,.vp.panning{cursor:grab}.vp.panning{cursor:grabbing}" +
    ".tb{display:flex;gap:2px;padding:4px 8px;border-bottom:1px solid #eaeded;flex-wrap:nowrap;overflow-x:auto;align-items:center;flex:none}" +
    ".tb button{border:1px solid transparent;background:none;border-radius:2px;padding:3px;color:#545b64;display:inline-flex}" +
    ".tb button:hover:not(:disabled){background:#f2f3f3}.tb button[aria-pressed=true]{border-color:#0073bb;color:#0073bb;background:#f1faff}" +
    ".tb button:disabled{opacity:.35}.tb .sep{width:1px;height:20px;background:#d5dbdb;margin:0 4px}.tb .zl{font-size:12px;color:#687078;margin-left:4px;min-width:40px;white-space:nowrap;display:inline-flex;align-items:center;gap:4px}.tb .zl input{width:70px}" +
    ".imgerr{position:absolute;inset:auto 8px 8px 8px;background:#fdf3f1;border:1px solid #d13212;padding:6px 10px;border-radius:2px}" +
    ".shapes{list-style:none;margin:0;padding:0}.shapes li{display:flex;align-items:center;gap:6px;padding:4px 6px;border-radius:2px;cursor:pointer}" +
    ".shapes li[aria-selected=true]{background:#f1faff;box-shadow:inset 3px 0 0 #0073bb}.shapes li span.t{flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
    ".shapes li button{border:0;background:none;padding:0;color:#687078;display:inline-flex}.hint{color:#687078;font-size:12px;margin:6px 0}" +
    "textarea.cm{width:100%;min-height:120px;font:inherit;padding:6px}.mfoot{display:flex;justify-content:flex-end;gap:8px;padding:0 16px 16px}"
  );

  class Widget extends CrowdElement {
    static get css() { return WIDGET_CSS; }
    buildShell(mainHtml, sideHtml, opts) {
      opts = opts || {};
      var self = this;
      Array.prototype.forEach.call(this.children, function (c) {
        var m = { "short-instructions": "short-instructions", "full-instructions": "full-instructions",
          "classification-target": "target", "worker-comment": "worker-comment" }[c.localName];
        if (m && !c.slot) c.slot = m;
      });
      var full = this.querySelector(":scope > full-instructions");
      var short = this.querySelector(":scope > short-instructions");
      var fullTitle = (full && full.getAttribute("header")) || "Instructions";
      var shortHead = short && short.getAttribute("header");
      this.shadowRoot.innerHTML =
        '<div class="app awsui-app-layout" part="app">' +
        '<div class="hdr"><h2 class="title"></h2></div><div class="cols">' +
        '<nav class="awsui-app-layout__navigation" aria-label="Instructions"><div class="navhead">' + esc(shortHead || "Instructions") + "</div>" +
        '<button type="button" class="btn link fulllink"' + (full ? "" : " hidden") + '>View full instructions</button>' +
        '<div class="short"><slot name="short-instructions"></slot></div></nav>' +
        '<div class="main">' + mainHtml + '<slot hidden></slot></div>' +
        '<div class="side"><div class="sidebody">' + sideHtml + '</div><div class="foot"><div class="err" role="alert" hidden></div>' +
        '<button type="button" class="btn primary submit" data-testid="crowd-submit">' + esc(opts.submitText || "Submit") + "</button></div></div>" +
        "</div></div>" + modalShell(fullTitle, '<div class="bdy"><slot name="full-instructions"></slot></div>');
      this._openFull = wireModal(this, this.shadowRoot);
      this.shadowRoot.querySelector(".fulllink").addEventListener("click", function () { self._openFull(true); });
      this.shadowRoot.querySelector(".submit").addEventListener("click", function () {
        var f = self.crowdForm;
        if (f) f._requestSubmit();
      });
      this.renderHeader();
      var err = this.attrError();
      if (err) this.showToolError(err);
    }
    renderHeader() {
      var t = this.shadowRoot && this.shadowRoot.querySelector(".hdr .title");
      if (t) { t.textContent = this.getAttribute("header") || ""; t.parentNode.hidden = !this.getAttribute("header"); }
    }
    showToolError(msg) {
      var e = this.shadowRoot.querySelector(".foot .err");
      e.textContent = msg;
      e.hidden = !msg;
    }
    $(sel) { return this.shadowRoot.querySelector(sel); }
    $$(sel) { return Array.prototype.slice.call(this.shadowRoot.querySelectorAll(sel)); }
    _lockSubmit() { var b = this.shadowRoot && this.shadowRoot.querySelector(".submit"); if (b) b.disabled = true; }
    get value() { return this._answerValue(); }
    get _submittableValue() { return this._answerValue(); }
    _answerValue() { return deepCopy(this.answer()); }
    _crowdContribute(ac) {
      var name = this.getAttribute("name");
      if (!name) return;
      ac[name] = deepCopy(this.answer());
    }
    _crowdValidate() {
      var m = this.validateAnswer ? this.validateAnswer() : null;
      this.showToolError(m || "");
      return m ? (this.getAttribute("header") ? "" : "") + m : null;
    }
    focusFirstInvalid() {
      var b = this.shadowRoot && this.shadowRoot.querySelector(".choice:not(:disabled), .vp, textarea, input");
      if (b) b.focus();
    }
    propChanged(prop) {
      if (prop === "header") this.renderHeader();
      else if (this.render) this.render();
    }
  }

  /* ------------------------------------------------------------------ image viewer with zoom and pan */

  var ZOOM_STEP = 2;
  function Viewer(host, vp, opts) {
    this.host = host; this.vp = vp; this.opts = opts || {};
    this.s = 1; this.tx = 0; this.ty = 0; this.w = 0; this.h = 0; this.loaded = false; this.panMode = false;
    vp.innerHTML = '<div class="stage"><img class="img" alt="" draggable="false"><canvas class="upper-canvas"></canvas><svg class="svg" xmlns="http://www.w3.org/2000/svg"></svg></div>';
    this.stage = vp.querySelector(".stage");
    this.img = vp.querySelector("img");
    this.canvas = vp.querySelector("canvas");
    this.svg = vp.querySelector("svg");
    var self = this;
    vp.addEventListener("wheel", function (e) {
      if (!self.loaded) return;
      e.preventDefault();
      self.zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX, e.clientY);
    }, { passive: false });
    var pan = null;
    vp.addEventListener("pointerdown", function (e) {
      if (!self.loaded) return;
      vp.focus({ preventScroll: true });
      if (e.button === 1 || e.button === 2 || self.panMode || e.altKey || self.spaceDown) {
        e.preventDefault();
        pan = { x: e.clientX, y: e.clientY, tx: self.tx, ty: self.ty };
        vp.classList.add("panning");
        vp.setPointerCapture(e.pointerId);
        return;
      }
      if (e.button !== 0) return;
      e.preventDefault(); // no text selection or native drag: either would cancel the pointer stream
      vp.setPointerCapture(e.pointerId);
      if (self.opts.down) self.opts.down(self.toNat(e.clientX, e.clientY), e);
    });
    vp.addEventListener("pointermove", function (e) {
      if (pan) {
        self.tx = pan.tx + e.clientX - pan.x;
        self.ty = pan.ty + e.clientY - pan.y;
        self.apply();
        return;
      }
      if (self.loaded && self.opts.move) self.opts.move(self.toNat(e.clientX, e.clientY), e);
    });
    function end(e) {
      if (pan) { pan = null; vp.classList.remove("panning"); return; }
      if (self.loaded && self.opts.up) self.opts.up(self.toNat(e.clientX, e.clientY), e);
    }
    vp.addEventListener("pointerup", end);
    vp.addEventListener("pointercancel", function () {
      if (pan) { pan = null; vp.classList.remove("panning"); return; }
      if (self.opts.cancel) self.opts.cancel();
    });
    vp.addEventListener("dragstart", function (e) { e.preventDefault(); });
    vp.addEventListener("contextmenu", function (e) { e.preventDefault(); });
    vp.addEventListener("keydown", function (e) { if (e.key === " " && !e.repeat) { self.spaceDown = true; vp.classList.add("pan"); e.preventDefault(); } });
    vp.addEventListener("keyup", function (e) { if (e.key === " ") { self.spaceDown = false; vp.classList.toggle("pan", self.panMode); } });
    if (window.ResizeObserver) {
      this._ro = new ResizeObserver(function () { if (self.loaded && !self.userZoomed) self.fit(); });
      this._ro.observe(vp);
    }
  }
  Viewer.prototype.load = function (src) {
    var self = this, img = this.img;
    this.loaded = false;
    var old = this.vp.querySelector(".imgerr");
    if (old) old.remove();
    if (!src) { this.error("No image source was given."); return; }
    img.onload = function () {
      self.w = img.naturalWidth; self.h = img.naturalHeight;
      self.stage.style.width = self.w + "px";
      self.stage.style.height = self.h + "px";
      self.svg.setAttribute("viewBox", "0 0 " + self.w + " " + self.h);
      self.loaded = true;
      self.userZoomed = false;
      self.fit();
      if (self.opts.loaded) self.opts.loaded();
    };
    img.onerror = function () { self.error("The image could not be loaded."); };
    img.src = src;
  };
  Viewer.prototype.error = function (msg) {
    var d = document.createElement("div");
    d.className = "imgerr";
    d.setAttribute("role", "alert");
    d.textContent = msg;
    this.vp.appendChild(d);
    if (this.opts.failed) this.opts.failed(msg);
  };
  Viewer.prototype.fit = function () {
    var r = this.vp.getBoundingClientRect();
    if (!this.w || !r.width) return;
    this.s = Math.min(1, r.width / this.w, r.height / this.h);
    this.tx = Math.round((r.width - this.w * this.s) / 2);
    this.ty = Math.round((r.height - this.h * this.s) / 2);
    this.apply();
  };
  Viewer.prototype.apply = function () {
    this.stage.style.transform = "translate(" + this.tx + "px," + this.ty + "px) scale(" + this.s + ")";
    if (this.opts.zoomed) this.opts.zoomed(this.s);
  };
  Viewer.prototype.toNat = function (cx, cy) {
    var r = this.vp.getBoundingClientRect();
    return { x: (cx - r.left - this.tx) / this.s, y: (cy - r.top - this.ty) / this.s };
  };
  Viewer.prototype.zoomAt = function (f, cx, cy) {
    var r = this.vp.getBoundingClientRect();
    if (cx === undefined) { cx = r.left + r.width / 2; cy = r.top + r.height / 2; }
    var ns = Math.min(32, Math.max(0.02, this.s * f));
    var px = cx - r.left, py = cy - r.top;
    this.tx = Math.round(px - (px - this.tx) * ns / this.s);
    this.ty = Math.round(py - (py - this.ty) * ns / this.s);
    this.s = ns;
    this.userZoomed = true;
    this.apply();
  };
  Viewer.prototype.toolbarHtml = function () {
    return '<button type="button" data-act="zoom-in" title="Zoom in" aria-label="Zoom in">' + icon("zoom-in") + "</button>" +
      '<button type="button" data-act="zoom-out" title="Zoom out" aria-label="Zoom out">' + icon("zoom-out") + "</button>" +
      '<button type="button" data-act="fit" title="Fit image" aria-label="Fit image">' + icon("fit") + "</button>" +
      '<button type="button" data-act="pan" title="Pan (or drag with the middle button, or hold Space)" aria-label="Pan" aria-pressed="false">' + icon("pan") + "</button>" +
      '<span class="zl"></span>';
  };
  Viewer.prototype.wireToolbar = function (tb) {
    var self = this;
    tb.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (!b) return;
      var a = b.getAttribute("data-act");
      if (a === "zoom-in") self.zoomAt(ZOOM_STEP);
      else if (a === "zoom-out") self.zoomAt(1 / ZOOM_STEP);
      else if (a === "fit") { self.userZoomed = false; self.fit(); }
      else if (a === "pan") {
        self.panMode = !self.panMode;
        b.setAttribute("aria-pressed", String(self.panMode));
        self.vp.classList.toggle("pan", self.panMode);
      }
    });
    var zl = tb.querySelector(".zl");
    var prev = this.opts.zoomed;
    this.opts.zoomed = function (s) { if (zl) zl.textContent = Math.round(s * 100) + "%"; if (prev) prev(s); };
  };

  /* ------------------------------------------------------------------ classification widgets */

  function categoryText(c) {
    if (c && typeof c === "object") return String(c.name != null ? c.name : (c.text != null ? c.text : (c.label != null ? c.label : JSON.stringify(c))));
    return String(c);
  }

  class ClassifierBase extends Widget {
    constructor() { super(); this._sel = []; this._excl = false; this._comment = ""; }
    get multi() { return this.constructor.multi; }
    categoriesList() { var c = this.categories; return Array.isArray(c) ? c : []; }
    exclusionText() {
      var e = this.exclusionCategory;
      if (!e) return null;
      return typeof e === "object" ? String(e.text != null ? e.text : (e.name || "None")) : String(e);
    }
    choicesHtml() {
      var role = this.multi ? "checkbox" : "radio";
      var cats = this.categoriesList(), h = "";
      cats.forEach(function (c, i) {
        h += '<button type="button" class="choice cat" role="' + role + '" aria-checked="false" data-i="' + i + '"><span class="mark ' + (role === "radio" ? "r" : "c") + '"></span><span>' + esc(categoryText(c)) + "</span></button>";
      });
      var ex = this.exclusionText();
      if (ex !== null) h += '<button type="button" class="choice excl" role="' + role + '" aria-checked="false"><span class="mark ' + (role === "radio" ? "r" : "c") + '"></span><span>' + esc(ex) + "</span></button>";
      return '<div class="choices" role="' + (role === "radio" ? "radiogroup" : "group") + '" aria-label="Categories">' + h + "</div>";
    }
    wireChoices() {
      var self = this;
      var box = this.$(".choices");
      box.addEventListener("click", function (e) {
        var b = e.target.closest(".choice");
        if (!b || b.disabled) return;
        if (b.classList.contains("excl")) self.toggleExclusion();
        else self.toggle(Number(b.getAttribute("data-i")));
      });
      box.addEventListener("keydown", function (e) {
        var dir = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[e.key];
        if (!dir) return;
        var bs = self.$$(".choice:not(:disabled)");
        var i = bs.indexOf(self.shadowRoot.activeElement);
        if (i < 0) return;
        e.preventDefault();
        var nb = bs[(i + dir + bs.length) % bs.length];
        nb.focus();
        if (!self.multi) nb.click();
      });
    }
    toggle(i) {
      if (this.multi) {
        if (this._excl) return;
        var k = this._sel.indexOf(i);
        if (k >= 0) this._sel.splice(k, 1); else this._sel.push(i);
      } else {
        this._sel = [i];
        this._excl = false;
      }
      this.syncChoices();
      this.fire("crowd-change", { value: this.answer() });
    }
    toggleExclusion() {
      if (this.multi) {
        this._excl = !this._excl;
        if (this._excl) this._sel = [];
      } else {
        this._excl = true;
        this._sel = [];
      }
      this.syncChoices();
      this.fire("crowd-change", { value: this.answer() });
    }
    syncChoices() {
      var self = this;
      this.$$(".choice.cat").forEach(function (b) {
        var i = Number(b.getAttribute("data-i"));
        b.setAttribute("aria-checked", String(self._sel.indexOf(i) >= 0));
        b.disabled = self.multi && self._excl;
        if (!self.multi) b.tabIndex = (self._sel[0] === i || (self._sel.length === 0 && i === 0 && !self._excl)) ? 0 : -1;
      });
      var ex = this.$(".choice.excl");
      if (ex) ex.setAttribute("aria-checked", String(this._excl));
      if (this._sel.length || this._excl) this.showToolError("");
    }
    chosenLabels() {
      var cats = this.categoriesList();
      return this._sel.slice().sort(function (a, b) { return a - b; }).map(function (i) { return categoryText(cats[i]); });
    }
    answer() {
      var o;
      if (this.multi) {
        o = { labels: this._excl ? [] : this.chosenLabels() };
      } else {
        o = {};
        if (this._excl) o.label = this.exclusionText();
        else if (this._sel.length) o.label = this.chosenLabels()[0];
      }
      if (this._comment) o.workerComment = this._comment;
      return o;
    }
    validateAnswer() {
      if (!this._sel.length && !this._excl) return this.multi ? "Choose at least one category." : "Choose a category.";
      return null;
    }
    applyInitial() {
      var iv = this.getAttribute("initial-value");
      if (iv === null || iv === "") return;
      var v;
      try { v = parseLiteral(iv); } catch (e) { v = iv; }
      if (v && typeof v === "object" && !Array.isArray(v)) v = v.labels || v.label;
      var want = Array.isArray(v) ? v.map(String) : [String(v)];
      var cats = this.categoriesList().map(categoryText), self = this;
      want.forEach(function (w) {
        var i = cats.indexOf(w);
        if (i >= 0 && self._sel.indexOf(i) < 0) { if (self.multi) self._sel.push(i); else self._sel = [i]; }
      });
    }
    commentHtml() {
      var wc = this.querySelector(":scope > worker-comment");
      if (!wc) return "";
      var lt = wc.getAttribute("link-text") || "Add a comment";
      return '<div class="wc"><button type="button" class="btn link wclink">' + esc(lt) + '</button><div class="hint wcshow" hidden></div></div>';
    }
    wireComment() {
      var wc = this.querySelector(":scope > worker-comment");
      if (!wc) return;
      var self = this;
      var title = wc.getAttribute("header") || "Add a comment";
      var wrap = document.createElement("div");
      wrap.innerHTML = modalShell(title, '<div class="bdy"><slot name="worker-comment"></slot><textarea class="cm" aria-label="Comment"></textarea></div><div class="mfoot"><button type="button" class="btn cancel">Cancel</button><button type="button" class="btn primary save">Save</button></div>');
      var shell = wrap.firstChild;
      shell.classList.add("wcm");
      this.shadowRoot.appendChild(shell);
      var ta = shell.querySelector("textarea");
      ta.placeholder = wc.getAttribute("placeholder") || "";
      var bd = shell;
      function open(v) { bd.hidden = !v; if (v) { ta.value = self._comment; ta.focus(); } }
      shell.querySelector(".close").addEventListener("click", function () { open(false); });
      shell.querySelector(".cancel").addEventListener("click", function () { open(false); });
      shell.addEventListener("keydown", function (e) { if (e.key === "Escape") open(false); });
      shell.querySelector(".save").addEventListener("click", function () {
        self._comment = ta.value.trim() ? ta.value : "";
        var show = self.$(".wcshow");
        show.textContent = self._comment;
        show.hidden = !self._comment;
        open(false);
      });
      this.$(".wclink").addEventListener("click", function () { open(true); });
    }
    _crowdReset() { this._sel = []; this._excl = false; this._comment = ""; this.syncChoices(); }
  }

  class CrowdClassifier extends ClassifierBase {
    setup() {
      this.buildShell('<div class="target"><slot name="target"></slot></div>',
        '<div class="sect">Categories</div>' + this.choicesHtml());
      this.wireChoices();
      this.applyInitial();
      this.syncChoices();
    }
    render() {
      if (!this._ready) return;
      this.renderHeader();
      var side = this.$(".sidebody");
      side.innerHTML = '<div class="sect">Categories</div>' + this.choicesHtml();
      this.wireChoices();
      this.syncChoices();
    }
  }
  CrowdClassifier.multi = false;
  CrowdClassifier.attrs = { name: "string", header: "string", categories: "list", "exclusion-category": "object", "initial-value": "raw" };
  defineProps(CrowdClassifier, CrowdClassifier.attrs);
  define("crowd-classifier", CrowdClassifier);

  class CrowdClassifierMulti extends CrowdClassifier {}
  CrowdClassifierMulti.multi = true;
  CrowdClassifierMulti.attrs = CrowdClassifier.attrs;
  define("crowd-classifier-multi-select", CrowdClassifierMulti);

  class CrowdImageClassifier extends ClassifierBase {
    setup() {
      var self = this;
      this.buildShell('<div class="tb"></div><div class="vp" tabindex="0" aria-label="Image"></div>',
        '<div class="sect">Categories</div>' + this.choicesHtml() + this.commentHtml());
      this.viewer = new Viewer(this, this.$(".vp"), { loaded: function () { self.drawOverlay(); } });
      this.$(".tb").innerHTML = this.viewer.toolbarHtml();
      this.viewer.wireToolbar(this.$(".tb"));
      this.viewer.load(this.getAttribute("src"));
      this.wireChoices();
      this.wireComment();
      this.applyInitial();
      this.syncChoices();
    }
    render() {
      if (!this._ready) return;
      this.renderHeader();
      if (this.viewer.img.getAttribute("src") !== this.getAttribute("src")) this.viewer.load(this.getAttribute("src"));
    }
    drawOverlay() {
      var ov = this.overlay, v = this.viewer;
      var old = v.stage.querySelector(".ovl");
      if (old) old.remove();
      v.svg.innerHTML = "";
      if (!ov || typeof ov !== "object") return;
      if (ov.boundingBox) {
        var labels = ov.boundingBox.labels || [], h = "";
        (ov.boundingBox.value || []).forEach(function (b) {
          var c = paletteColor(Math.max(0, labels.indexOf(b.label)));
          h += '<rect x="' + Number(b.left) + '" y="' + Number(b.top) + '" width="' + Number(b.width) + '" height="' + Number(b.height) + '" fill="' + c + '" fill-opacity="0.15" stroke="' + c + '" stroke-width="2" vector-effect="non-scaling-stroke"/>' +
            '<text x="' + Number(b.left) + '" y="' + (Number(b.top) - 4) + '" fill="' + c + '" font-size="' + Math.max(12, 14 / v.s) + '">' + esc(b.label) + "</text>";
        });
        v.svg.innerHTML = h;
      }
      var seg = ov.semanticSegmentation || ov.instanceSegmentation;
      if (seg && seg.src) {
        var im = document.createElement("img");
        im.className = "ovl";
        im.alt = "";
        im.src = seg.src;
        im.style.opacity = "0.5";
        v.stage.appendChild(im);
      }
    }
  }
  CrowdImageClassifier.multi = false;
  CrowdImageClassifier.attrs = { name: "string", header: "string", src: "string", categories: "list", overlay: "object", "exclusion-category": "object", "initial-value": "raw" };
  defineProps(CrowdImageClassifier, CrowdImageClassifier.attrs);
  define("crowd-image-classifier", CrowdImageClassifier);

  class CrowdImageClassifierMulti extends CrowdImageClassifier {}
  CrowdImageClassifierMulti.multi = true;
  CrowdImageClassifierMulti.attrs = CrowdImageClassifier.attrs;
  define("crowd-image-classifier-multi-select", CrowdImageClassifierMulti);

  /* ------------------------------------------------------------------ image annotation tools */

  function labelText(l) { return l && typeof l === "object" ? String(l.label != null ? l.label : (l.name != null ? l.name : "")) : String(l); }
  function dist(a, b) { return Math.hypot(a.x - b.x, a.y - b.y); }
  function segDist(p, a, b) {
    var dx = b.x - a.x, dy = b.y - a.y, l = dx * dx + dy * dy;
    var t = l ? Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / l)) : 0;
    return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
  }
  function orient(a, b, c) { var v = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x); return v > 1e-9 ? 1 : v < -1e-9 ? -1 : 0; }
  function onSeg(a, b, c) { return Math.min(a.x, b.x) - 1e-9 <= c.x && c.x <= Math.max(a.x, b.x) + 1e-9 && Math.min(a.y, b.y) - 1e-9 <= c.y && c.y <= Math.max(a.y, b.y) + 1e-9; }
  function segsCross(p1, p2, p3, p4) {
    var o1 = orient(p1, p2, p3), o2 = orient(p1, p2, p4), o3 = orient(p3, p4, p1), o4 = orient(p3, p4, p2);
    if (o1 !== o2 && o3 !== o4) return true;
    if (o1 === 0 && onSeg(p1, p2, p3)) return true;
    if (o2 === 0 && onSeg(p1, p2, p4)) return true;
    if (o3 === 0 && onSeg(p3, p4, p1)) return true;
    if (o4 === 0 && onSeg(p3, p4, p2)) return true;
    return false;
  }
  /* does the closed (or open) ring of points have two non-adjacent edges that cross? */
  function selfCrossing(pts, closed) {
    var n = pts.length, edges = [];
    for (var i = 0; i < n - 1; i++) edges.push([i, i + 1]);
    if (closed && n > 2) edges.push([n - 1, 0]);
    for (var a = 0; a < edges.length; a++) {
      for (var b = a + 1; b < edges.length; b++) {
        var e = edges[a], f = edges[b];
        if (e[0] === f[0] || e[0] === f[1] || e[1] === f[0] || e[1] === f[1]) continue;
        if (segsCross(pts[e[0]], pts[e[1]], pts[f[0]], pts[f[1]])) return true;
      }
    }
    return false;
  }
  function ptsAttr(vs) { return vs.map(function (v) { return v.x + "," + v.y; }).join(" "); }

  class AnnotationTool extends Widget {
    constructor() {
      super();
      this.shapes = [];
      this._hist = []; this._redo = [];
      this._sel = -1; this._cur = 0;
      this._modified = false; this._hasInitial = false;
      this._drawing = null; this._op = null;
    }
    get labels() { return (this._labels ? this._labels : this.parsedAttr("labels", [])).map(labelText); }
    set labels(v) {
      this._labels = Array.isArray(v) ? v.map(labelText) : [];
      if (this._ready) this.renderLabels();
    }
    propChanged(prop) {
      if (prop === "labels") { this._labels = undefined; this.renderLabels(); }
      else if (prop === "header") this.renderHeader();
      else if (prop === "src") this.viewer.load(this.getAttribute("src"));
      else if (prop === "labelColors") { this.renderLabels(); }
    }
    setup() {
      var self = this;
      this.buildShell('<div class="tb"></div><div class="vp draw" tabindex="0" aria-label="Image annotation canvas"></div>',
        '<div class="sect">Labels</div><div class="labels" role="radiogroup" aria-label="Labels"></div>' +
        '<div class="sect">' + esc(this.constructor.listTitle) + '</div><ul class="shapes" role="listbox" aria-label="' + esc(this.constructor.listTitle) + '"></ul>' +
        '<div class="hint">' + esc(this.constructor.hint) + "</div>");
      this.viewer = new Viewer(this, this.$(".vp"), {
        down: function (p, e) { self.onDown(self.clampPt(p), e, p); },
        move: function (p, e) { self.onMove(self.clampPt(p), e, p); },
        up: function (p, e) { self.onUp(self.clampPt(p), e, p); },
        cancel: function () { self.onCancel(); },
        loaded: function () { self.draw(); },
        zoomed: function () { self.draw(); }
      });
      var tb = this.$(".tb");
      tb.innerHTML = this.viewer.toolbarHtml() + '<span class="sep"></span>' +
        '<button type="button" data-act="undo" title="Undo (Ctrl+Z)" aria-label="Undo">' + icon("undo") + "</button>" +
        '<button type="button" data-act="redo" title="Redo (Ctrl+Shift+Z)" aria-label="Redo">' + icon("redo") + "</button>" +
        '<button type="button" data-act="delete" title="Delete selected (Delete)" aria-label="Delete selected">' + icon("delete") + "</button>" + this.extraToolbar();
      this.viewer.wireToolbar(tb);
      tb.addEventListener("click", function (e) {
        var b = e.target.closest("button");
        if (!b) return;
        var a = b.getAttribute("data-act");
        if (a === "undo") self.undo(); else if (a === "redo") self.redo(); else if (a === "delete") self.deleteSelected();
        else self.toolbarAction(a, b);
      });
      this.$(".vp").addEventListener("keydown", function (e) { self.onKey(e); });
      this.$(".vp").addEventListener("dblclick", function (e) { self.onDouble(e); });
      this.$(".labels").addEventListener("click", function (e) {
        var b = e.target.closest(".choice");
        if (!b) return;
        self.pickLabel(Number(b.getAttribute("data-i")));
      });
      this.$(".labels").addEventListener("keydown", function (e) {
        var dir = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[e.key];
        if (!dir) return;
        e.preventDefault();
        var n = self.labels.length;
        if (!n) return;
        self.pickLabel((self._cur + dir + n) % n);
        var b = self.$$(".labels .choice")[self._cur];
        if (b) b.focus();
      });
      this.$(".shapes").addEventListener("click", function (e) {
        var li = e.target.closest("li");
        if (!li) return;
        var i = Number(li.getAttribute("data-i"));
        if (e.target.closest(".del")) { self._sel = i; self.deleteSelected(); return; }
        self.select(i);
      });
      this.loadInitial();
      this.viewer.load(this.getAttribute("src"));
      this.renderLabels();
    }
    extraToolbar() { return ""; }
    onCancel() {
      var op = this._op;
      this._op = null;
      if (op && op.pre) { this.shapes = JSON.parse(op.pre); this._sel = -1; }
      this._painting = false;
      this.renderList();
      this.draw();
    }
    toolbarAction() {}
    loadInitial() {
      if (!this.hasAttribute("initial-value")) return;
      var v = this.parsedAttr("initial-value", null);
      if (v === null) return;
      this._hasInitial = true;
      this.shapes = this.parseInitial(v);
    }
    clampPt(p) {
      var w = this.viewer.w, h = this.viewer.h;
      return { x: Math.max(0, Math.min(w, p.x)), y: Math.max(0, Math.min(h, p.y)) };
    }
    tol() { return 8 / (this.viewer.s || 1); }
    colorFor(label) {
      var ls = this.labels, i = ls.indexOf(label);
      if (i < 0) return "#687078";
      var lc = this.parsedAttr("label-colors", []);
      lc = Array.isArray(lc) ? lc : [];
      function ok(c) { return typeof c === "string" && /^#[0-9a-f]{6}$/i.test(c); }
      if (ok(lc[i])) return lc[i].toLowerCase();
      // labels without a colour take the next palette colour that label-colors does not use
      var used = lc.filter(ok).map(function (c) { return c.toLowerCase(); });
      var k = 0;
      for (var j = 0; j < i; j++) if (!ok(lc[j])) k++;
      for (var q = 0; ; q++) {
        var c = paletteColor(q);
        if (used.indexOf(c) >= 0) continue;
        if (k === 0) return c;
        k--;
      }
    }
    currentLabel() { var ls = this.labels; return ls.length ? ls[Math.min(this._cur, ls.length - 1)] : null; }
    renderLabels() {
      var box = this.$(".labels");
      if (!box) return;
      var ls = this.labels, self = this;
      if (this._cur >= ls.length) this._cur = 0;
      box.innerHTML = ls.length ? ls.map(function (l, i) {
        return '<button type="button" class="choice" role="radio" data-i="' + i + '" aria-checked="' + (i === self._cur) + '" tabindex="' + (i === self._cur ? 0 : -1) + '"><span class="sw" data-c="' + self.colorFor(l) + '"></span><span>' + esc(l) + "</span></button>";
      }).join("") : '<div class="hint">No labels yet.</div>';
      this.renderList();
      this.draw();
    }
    pickLabel(i) {
      this._cur = i;
      var l = this.currentLabel();
      if (this._sel >= 0 && this.shapes[this._sel] && this.shapes[this._sel].label !== l && l !== null) {
        var pre = this.snapshot();
        this.shapes[this._sel].label = l;
        this.commit(pre);
      }
      this.renderLabels();
    }
    renderList() {
      var ul = this.$(".shapes");
      if (!ul) return;
      var self = this;
      ul.innerHTML = this.shapes.map(function (s, i) {
        return '<li role="option" data-i="' + i + '" aria-selected="' + (i === self._sel) + '"><span class="sw" data-c="' + self.colorFor(s.label) + '"></span><span class="t">' +
          esc(s.label) + " #" + (i + 1) + '</span><button type="button" class="del" aria-label="Delete ' + esc(s.label) + " #" + (i + 1) + '">' + icon("close") + "</button></li>";
      }).join("");
      var del = this.$('.tb [data-act="delete"]');
      if (del) del.disabled = this._sel < 0;
      var u = this.$('.tb [data-act="undo"]'), r = this.$('.tb [data-act="redo"]');
      if (u) u.disabled = !this.canUndo();
      if (r) r.disabled = !this.canRedo();
    }
    select(i) { this._sel = i; this.renderList(); this.draw(); }
    snapshot() { return JSON.stringify(this.shapes); }
    commit(pre) {
      if (pre === this.snapshot()) return;
      this._hist.push(pre);
      if (this._hist.length > 200) this._hist.shift();
      this._redo = [];
      this._modified = true;
      this.renderList();
      this.draw();
      this.fire("crowd-change", { value: this.answer() });
    }
    canUndo() { return this._hist.length > 0; }
    canRedo() { return this._redo.length > 0; }
    undo() {
      if (!this._hist.length) return;
      this._redo.push(this.snapshot());
      this.shapes = JSON.parse(this._hist.pop());
      this._sel = -1;
      this._modified = true;
      this.renderList(); this.draw();
    }
    redo() {
      if (!this._redo.length) return;
      this._hist.push(this.snapshot());
      this.shapes = JSON.parse(this._redo.pop());
      this._sel = -1;
      this._modified = true;
      this.renderList(); this.draw();
    }
    deleteSelected() {
      if (this._sel < 0 || !this.shapes[this._sel]) return;
      var pre = this.snapshot();
      this.shapes.splice(this._sel, 1);
      this._sel = -1;
      this.commit(pre);
    }
    needLabel() {
      if (this.currentLabel() === null) { this.showToolError("Add or choose a label before drawing."); return true; }
      return false;
    }
    onKey(e) {
      var mod = e.ctrlKey || e.metaKey;
      if (mod && (e.key === "z" || e.key === "Z")) { e.preventDefault(); if (e.shiftKey) this.redo(); else this.undo(); return; }
      if (mod && (e.key === "y" || e.key === "Y")) { e.preventDefault(); this.redo(); return; }
      if (e.key === "Delete" || e.key === "Backspace") { e.preventDefault(); this.deleteSelected(); return; }
      if (e.key === "Escape") { this._drawing = null; this._op = null; this.select(-1); return; }
      if (e.key === "+" || e.key === "=") { this.viewer.zoomAt(ZOOM_STEP); return; }
      if (e.key === "-") { this.viewer.zoomAt(1 / ZOOM_STEP); return; }
      var d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
      if (d && this._sel >= 0) {
        e.preventDefault();
        var pre = this.snapshot();
        this.translateShape(this.shapes[this._sel], d[0], d[1]);
        this.commit(pre);
      }
    }
    onDouble() {}
    translateShape(s, dx, dy) {
      var w = this.viewer.w, h = this.viewer.h;
      if (s.vertices) {
        var minx = Math.min.apply(null, s.vertices.map(function (v) { return v.x; })), maxx = Math.max.apply(null, s.vertices.map(function (v) { return v.x; }));
        var miny = Math.min.apply(null, s.vertices.map(function (v) { return v.y; })), maxy = Math.max.apply(null, s.vertices.map(function (v) { return v.y; }));
        dx = Math.max(-minx, Math.min(w - maxx, dx)); dy = Math.max(-miny, Math.min(h - maxy, dy));
        s.vertices.forEach(function (v) { v.x += dx; v.y += dy; });
      } else if (s.width !== undefined) {
        s.left = Math.max(0, Math.min(w - s.width, s.left + dx));
        s.top = Math.max(0, Math.min(h - s.height, s.top + dy));
      } else {
        s.x = Math.max(0, Math.min(w, s.x + dx)); s.y = Math.max(0, Math.min(h, s.y + dy));
      }
    }
    draw() {
      var v = this.viewer;
      if (!v || !v.loaded) return;
      var r = 5 / v.s, self = this, h = "";
      this.shapes.forEach(function (s, i) { h += self.shapeSvg(s, i === self._sel, r, self.colorFor(s.label)); });
      h += this.drawingSvg(r);
      v.svg.innerHTML = h;
    }
    drawingSvg() { return ""; }
    handle(p, r, c) { return '<circle cx="' + p.x + '" cy="' + p.y + '" r="' + r + '" fill="#fff" stroke="' + c + '" stroke-width="2" vector-effect="non-scaling-stroke"/>'; }
    /* vector tools share the vertex drag / shape select / move logic */
    hitVertex(p) {
      var t = this.tol(), order = this.shapes.map(function (_, i) { return i; }).reverse();
      if (this._sel >= 0) order.unshift(this._sel);
      for (var k = 0; k < order.length; k++) {
        var s = this.shapes[order[k]];
        if (!s || !s.vertices) continue;
        for (var j = 0; j < s.vertices.length; j++) if (dist(p, s.vertices[j]) <= t) return { i: order[k], v: j };
      }
      return null;
    }
    hitEdge(p, closed) {
      var t = this.tol();
      for (var i = this.shapes.length - 1; i >= 0; i--) {
        var vs = this.shapes[i].vertices, n = vs.length;
        for (var j = 0; j < n - 1 + (closed ? 1 : 0); j++) if (segDist(p, vs[j], vs[(j + 1) % n]) <= t) return i;
      }
      return -1;
    }
    answer() {
      var w = this.viewer ? this.viewer.w : 0, h = this.viewer ? this.viewer.h : 0;
      var o = { inputImageProperties: { height: h, width: w } };
      var self = this;
      o[this.constructor.key] = this.shapes.map(function (s) { return self.outShape(s, w, h); });
      if (this._hasInitial) o.initialValueModified = this._modified;
      return o;
    }
    outPt(v, w, h) {
      var x = Math.round(v.x), y = Math.round(v.y);
      if (w) x = Math.max(0, Math.min(w, x));
      if (h) y = Math.max(0, Math.min(h, y));
      return { x: x, y: y };
    }
    outShape(s, w, h) { var self = this; return { label: s.label, vertices: s.vertices.map(function (v) { return self.outPt(v, w, h); }) }; }
    validateAnswer() { return null; }
    _crowdReset() { this.shapes = []; this._hist = []; this._redo = []; this._sel = -1; this._modified = false; this.loadInitial(); this.renderList(); this.draw(); }
  }
  var TOOL_ATTRS = { name: "string", src: "string", header: "string", labels: "list", "initial-value": "raw", "label-colors": "list" };

  /* ---- bounding box */
  class CrowdBoundingBox extends AnnotationTool {
    parseInitial(v) {
      var list = Array.isArray(v) ? v : (v && (v.boundingBoxes || v.value)) || [];
      return list.filter(function (b) { return b && typeof b === "object"; }).map(function (b) {
        return { label: String(b.label != null ? b.label : ""), left: Number(b.left) || 0, top: Number(b.top) || 0, width: Math.max(0, Number(b.width) || 0), height: Math.max(0, Number(b.height) || 0) };
      });
    }
    shapeSvg(s, sel, r, c) {
      var h = '<rect x="' + s.left + '" y="' + s.top + '" width="' + s.width + '" height="' + s.height + '" fill="' + c + '" fill-opacity="' + (sel ? 0.25 : 0.12) + '" stroke="' + c + '" stroke-width="' + (sel ? 3 : 2) + '" vector-effect="non-scaling-stroke"/>' +
        '<text x="' + s.left + '" y="' + s.top + '" dy="' + (-4 / this.viewer.s) + '" fill="' + c + '" font-size="' + (13 / this.viewer.s) + '" font-weight="700">' + esc(s.label) + "</text>";
      if (sel) {
        var self = this;
        this.handles(s).forEach(function (p) { h += self.handle(p, r, c); });
      }
      return h;
    }
    drawingSvg() {
      var d = this._op && this._op.kind === "new" ? this._op.box : null;
      if (!d) return "";
      var c = this.colorFor(this.currentLabel());
      return '<rect x="' + d.left + '" y="' + d.top + '" width="' + d.width + '" height="' + d.height + '" fill="none" stroke="' + c + '" stroke-width="2" stroke-dasharray="6 4" vector-effect="non-scaling-stroke"/>';
    }
    handles(s) {
      var l = s.left, t = s.top, r = s.left + s.width, b = s.top + s.height, mx = l + s.width / 2, my = t + s.height / 2;
      return [{ x: l, y: t, k: "nw" }, { x: mx, y: t, k: "n" }, { x: r, y: t, k: "ne" }, { x: r, y: my, k: "e" },
        { x: r, y: b, k: "se" }, { x: mx, y: b, k: "s" }, { x: l, y: b, k: "sw" }, { x: l, y: my, k: "w" }];
    }
    onDown(p, e, raw) {
      var t = this.tol();
      if (this._sel >= 0) {
        var s = this.shapes[this._sel], hs = this.handles(s);
        for (var k = 0; k < hs.length; k++) {
          if (dist(raw, hs[k]) <= t) { this._op = { kind: "resize", h: hs[k].k, pre: this.snapshot(), orig: JSON.parse(JSON.stringify(s)) }; return; }
        }
      }
      for (var i = this.shapes.length - 1; i >= 0; i--) {
        var b = this.shapes[i];
        if (raw.x >= b.left - t / 2 && raw.x <= b.left + b.width + t / 2 && raw.y >= b.top - t / 2 && raw.y <= b.top + b.height + t / 2) {
          this.select(i);
          this._op = { kind: "move", start: p, pre: this.snapshot(), orig: JSON.parse(JSON.stringify(b)) };
          return;
        }
      }
      if (this.needLabel()) return;
      this.select(-1);
      this._op = { kind: "new", a: p, box: { left: p.x, top: p.y, width: 0, height: 0 } };
    }
    onMove(p) {
      var op = this._op;
      if (!op) return;
      if (op.kind === "new") {
        op.box = { left: Math.min(op.a.x, p.x), top: Math.min(op.a.y, p.y), width: Math.abs(p.x - op.a.x), height: Math.abs(p.y - op.a.y) };
      } else if (op.kind === "move") {
        var s = this.shapes[this._sel], o = op.orig, w = this.viewer.w, h = this.viewer.h;
        s.left = Math.max(0, Math.min(w - o.width, o.left + p.x - op.start.x));
        s.top = Math.max(0, Math.min(h - o.height, o.top + p.y - op.start.y));
      } else if (op.kind === "resize") {
        var b = this.shapes[this._sel], q = op.orig;
        var l = q.left, t = q.top, r = q.left + q.width, bt = q.top + q.height;
        if (/w/.test(op.h)) l = p.x;
        if (/e/.test(op.h)) r = p.x;
        if (/n/.test(op.h)) t = p.y;
        if (/s/.test(op.h)) bt = p.y;
        b.left = Math.min(l, r); b.top = Math.min(t, bt); b.width = Math.abs(r - l); b.height = Math.abs(bt - t);
      }
      this.draw();
    }
    onUp(p) {
      var op = this._op;
      if (!op) return;
      this.onMove(p); // pointermove events are coalesced: apply the release point too
      this._op = null;
      if (op.kind === "new") {
        var b = op.box, s = this.viewer.s;
        if (b.width * s >= 3 && b.height * s >= 3) {
          var pre = this.snapshot();
          this.shapes.push({ label: this.currentLabel(), left: b.left, top: b.top, width: b.width, height: b.height });
          this._sel = -1;
          this.commit(pre);
        }
        this.draw();
        return;
      }
      this.commit(op.pre);
      this.draw();
    }
    outShape(b, w, h) {
      var l = Math.round(b.left), t = Math.round(b.top), r = Math.round(b.left + b.width), bt = Math.round(b.top + b.height);
      if (w) { l = Math.max(0, Math.min(w, l)); r = Math.max(0, Math.min(w, r)); }
      if (h) { t = Math.max(0, Math.min(h, t)); bt = Math.max(0, Math.min(h, bt)); }
      return { height: bt - t, label: b.label, left: l, top: t, width: r - l };
    }
  }
  CrowdBoundingBox.key = "boundingBoxes";
  CrowdBoundingBox.listTitle = "Boxes";
  CrowdBoundingBox.hint = "Choose a label, then drag on the image to draw a box. Drag a box to move it, drag its handles to resize, Delete removes it. Scroll to zoom; drag with the middle button, or hold Space, to pan.";
  CrowdBoundingBox.attrs = TOOL_ATTRS;
  defineProps(CrowdBoundingBox, TOOL_ATTRS);
  define("crowd-bounding-box", CrowdBoundingBox);

  /* ---- keypoint */
  class CrowdKeypoint extends AnnotationTool {
    parseInitial(v) {
      var list = Array.isArray(v) ? v : (v && v.keypoints) || [];
      var ls = this.labels;
      // a keypoint whose label is not in labels is not drawn [DG]
      return list.filter(function (k) { return k && ls.indexOf(String(k.label)) >= 0; }).map(function (k) { return { label: String(k.label), x: Number(k.x) || 0, y: Number(k.y) || 0 }; });
    }
    shapeSvg(s, sel, r, c) {
      return '<circle cx="' + s.x + '" cy="' + s.y + '" r="' + (sel ? r * 1.5 : r * 1.2) + '" fill="' + c + '" stroke="#fff" stroke-width="' + (sel ? 3 : 2) + '" vector-effect="non-scaling-stroke"/>' +
        '<text x="' + s.x + '" y="' + s.y + '" dx="' + (8 / this.viewer.s) + '" dy="' + (-6 / this.viewer.s) + '" fill="' + c + '" font-size="' + (13 / this.viewer.s) + '" font-weight="700" stroke="#fff" stroke-width="0.5" paint-order="stroke">' + esc(s.label) + "</text>";
    }
    onDown(p, e, raw) {
      var t = this.tol();
      for (var i = this.shapes.length - 1; i >= 0; i--) {
        if (dist(raw, this.shapes[i]) <= t) {
          this.select(i);
          this._op = { pre: this.snapshot() };
          return;
        }
      }
      if (this.needLabel()) return;
      var pre = this.snapshot();
      this.shapes.push({ label: this.currentLabel(), x: p.x, y: p.y });
      this._sel = this.shapes.length - 1;
      this._op = { pre: pre, created: true };
      this.renderList();
      this.draw();
    }
    onMove(p) {
      if (!this._op || this._sel < 0) return;
      var s = this.shapes[this._sel];
      s.x = p.x; s.y = p.y;
      this.draw();
    }
    onUp(p) {
      if (!this._op) return;
      this.onMove(p);
      var op = this._op;
      this._op = null;
      if (op.created) this._sel = -1;
      this.commit(op.pre);
      this.renderList();
      this.draw();
    }
    outShape(s, w, h) { var q = this.outPt(s, w, h); return { label: s.label, x: q.x, y: q.y }; }
  }
  CrowdKeypoint.key = "keypoints";
  CrowdKeypoint.listTitle = "Points";
  CrowdKeypoint.hint = "Choose a label, then click the image to place a point. Drag a point to move it; Delete removes the selected point.";
  CrowdKeypoint.attrs = TOOL_ATTRS;
  defineProps(CrowdKeypoint, TOOL_ATTRS);
  define("crowd-keypoint", CrowdKeypoint);

  /* ---- shared vertex-shape tool (line, polyline, polygon) */
  class VertexTool extends AnnotationTool {
    parseInitial(v) {
      var key = this.constructor.key;
      var list = Array.isArray(v) ? v : (v && v[key]) || [];
      return list.filter(function (s) { return s && Array.isArray(s.vertices); }).map(function (s) {
        return { label: String(s.label != null ? s.label : ""), vertices: s.vertices.map(function (q) { return { x: Number(q.x) || 0, y: Number(q.y) || 0 }; }) };
      });
    }
    shapeSvg(s, sel, r, c) {
      var closed = this.constructor.closed;
      var h = "<" + (closed ? "polygon" : "polyline") + ' points="' + ptsAttr(s.vertices) + '" fill="' + (closed ? c : "none") + '" fill-opacity="' + (sel ? 0.25 : 0.12) + '" stroke="' + c + '" stroke-width="' + (sel ? 3 : 2) + '" vector-effect="non-scaling-stroke" stroke-linejoin="round"/>';
      var self = this;
      s.vertices.forEach(function (v) { h += sel ? self.handle(v, r, c) : '<circle cx="' + v.x + '" cy="' + v.y + '" r="' + (r * 0.6) + '" fill="' + c + '"/>'; });
      if (s.vertices.length) h += '<text x="' + s.vertices[0].x + '" y="' + s.vertices[0].y + '" dy="' + (-8 / this.viewer.s) + '" fill="' + c + '" font-size="' + (13 / this.viewer.s) + '" font-weight="700">' + esc(s.label) + "</text>";
      return h;
    }
    drawingSvg(r) {
      var d = this._drawing;
      if (!d) return "";
      var c = this.colorFor(d.label), pts = d.vertices.concat(d.hover ? [d.hover] : []);
      var h = '<polyline points="' + ptsAttr(pts) + '" fill="none" stroke="' + c + '" stroke-width="2" stroke-dasharray="6 4" vector-effect="non-scaling-stroke"/>';
      var self = this;
      d.vertices.forEach(function (v, i) { h += self.handle(v, i === 0 ? r * 1.4 : r, c); });
      return h;
    }
    onDown(p, e, raw) {
      if (this._drawing) { this.drawClick(p, raw); return; }
      var hv = this.hitVertex(raw);
      if (hv) {
        this.select(hv.i);
        this._op = { kind: "vertex", i: hv.i, v: hv.v, pre: this.snapshot() };
        return;
      }
      var he = this.hitEdge(raw, this.constructor.closed);
      // inside the selected polygon drags it; inside any other one starts a new polygon [DG]
      if (he < 0 && this.constructor.closed && this._sel >= 0 && this.hitInside(raw) === this._sel) he = this._sel;
      if (he >= 0) {
        this.select(he);
        this._op = { kind: "move", start: p, pre: this.snapshot(), orig: JSON.parse(JSON.stringify(this.shapes[he])) };
        return;
      }
      if (this.needLabel()) return;
      this.select(-1);
      this._drawing = { label: this.currentLabel(), vertices: [p], hover: p, redo: [], downAt: p };
      this.draw();
    }
    hitInside() { return -1; }
    onMove(p) {
      if (this._drawing) { this._drawing.hover = p; this.draw(); return; }
      var op = this._op;
      if (!op) return;
      var s = this.shapes[op.i !== undefined ? op.i : this._sel];
      if (op.kind === "vertex") { s.vertices[op.v] = { x: p.x, y: p.y }; }
      else if (op.kind === "move") {
        s.vertices = op.orig.vertices.map(function (v) { return { x: v.x, y: v.y }; });
        this.translateShape(s, p.x - op.start.x, p.y - op.start.y);
      }
      this.draw();
    }
    onUp(p) {
      if (this._drawing) { this.drawRelease(p); return; }
      var op = this._op;
      if (!op) return;
      this.onMove(p);
      this._op = null;
      if (op.kind === "vertex" && this.constructor.closed && selfCrossing(this.shapes[op.i].vertices, true)) {
        this.shapes = JSON.parse(op.pre);
        this.showToolError("Edges of a polygon may not cross.");
        this.draw();
        return;
      }
      this.commit(op.pre);
    }
    drawRelease() {}
    finishDrawing() {
      var d = this._drawing;
      if (!d || d.vertices.length < this.constructor.minVertices) return false;
      this._drawing = null;
      var pre = this.snapshot();
      this.shapes.push({ label: d.label, vertices: d.vertices });
      this._sel = -1;
      this.commit(pre);
      return true;
    }
    addVertex(p) {
      var d = this._drawing;
      d.vertices.push(p);
      d.redo = [];
      this.showToolError("");
      this.renderList();
      this.draw();
    }
    canUndo() { return this._drawing ? this._drawing.vertices.length > 0 : super.canUndo(); }
    canRedo() { return this._drawing ? this._drawing.redo.length > 0 : super.canRedo(); }
    undo() {
      var d = this._drawing;
      if (!d) return super.undo();
      d.redo.push(d.vertices.pop());
      if (!d.vertices.length) this._drawing = null;
      this.renderList(); this.draw();
    }
    redo() {
      var d = this._drawing;
      if (!d) return super.redo();
      if (d.redo.length) d.vertices.push(d.redo.pop());
      this.renderList(); this.draw();
    }
    onKey(e) {
      if (this._drawing) {
        if (e.key === "Enter") { e.preventDefault(); this.finishDrawing(); return; }
        if (e.key === "Escape") { this._drawing = null; this.draw(); this.renderList(); return; }
        if (e.key === "Backspace" || e.key === "Delete") { e.preventDefault(); this.undo(); return; }
      }
      super.onKey(e);
    }
  }

  /* ---- line: press-drag-release, or click the start and click the end */
  class CrowdLine extends VertexTool {
    drawClick(p) {
      var d = this._drawing;
      d.vertices.push(p);
      this._drawing = d;
      this.finishDrawing();
    }
    drawRelease(p, e) {
      var d = this._drawing;
      if (d.vertices.length === 1 && dist(p, d.vertices[0]) * this.viewer.s > 4) {
        d.vertices.push(p);
        this.finishDrawing();
      }
    }
  }
  CrowdLine.key = "lines"; CrowdLine.closed = false; CrowdLine.minVertices = 2;
  CrowdLine.listTitle = "Lines";
  CrowdLine.hint = "Choose a label, then drag from the start point to the end point (or click both). Drag an end point to adjust it.";
  CrowdLine.attrs = TOOL_ATTRS;
  defineProps(CrowdLine, TOOL_ATTRS);
  define("crowd-line", CrowdLine);

  /* ---- polyline: click to add points, Enter (or a click on the last point) finishes */
  class CrowdPolyline extends VertexTool {
    drawClick(p, raw) {
      var d = this._drawing, last = d.vertices[d.vertices.length - 1];
      if (last && dist(raw, last) <= this.tol()) {
        if (d.vertices.length >= 2) this.finishDrawing();
        return;
      }
      this.addVertex(p);
    }
    onDouble() { if (this._drawing) this.finishDrawing(); }
  }
  CrowdPolyline.key = "polylines"; CrowdPolyline.closed = false; CrowdPolyline.minVertices = 2;
  CrowdPolyline.listTitle = "Polylines";
  CrowdPolyline.hint = "Choose a label, click to add points, and press Enter (or click the last point again) to finish. Esc cancels; Ctrl+Z removes the last point.";
  CrowdPolyline.attrs = TOOL_ATTRS;
  defineProps(CrowdPolyline, TOOL_ATTRS);
  define("crowd-polyline", CrowdPolyline);

  /* ---- polygon: click to add points, click the first point (or Enter) to close; crossing edges are refused */
  class CrowdPolygon extends VertexTool {
    drawClick(p, raw) {
      var d = this._drawing, vs = d.vertices, n = vs.length;
      if (n >= 3 && (dist(raw, vs[0]) <= this.tol() || dist(raw, vs[n - 1]) <= this.tol())) { this.closePolygon(); return; }
      if (n && dist(raw, vs[n - 1]) <= this.tol()) return;
      for (var i = 0; i < n - 2; i++) {
        if (segsCross(vs[i], vs[i + 1], vs[n - 1], p)) { this.showToolError("Edges of a polygon may not cross."); return; }
      }
      this.addVertex(p);
    }
    closePolygon() {
      var vs = this._drawing.vertices, n = vs.length;
      if (n < 3) return false;
      for (var i = 1; i < n - 2; i++) {
        if (segsCross(vs[i], vs[i + 1], vs[n - 1], vs[0])) { this.showToolError("Edges of a polygon may not cross."); return false; }
      }
      return this.finishDrawing();
    }
    onKey(e) {
      if (this._drawing && e.key === "Enter") { e.preventDefault(); this.closePolygon(); return; }
      super.onKey(e);
    }
    onDouble() { if (this._drawing) this.closePolygon(); }
    hitInside(p) {
      for (var i = this.shapes.length - 1; i >= 0; i--) {
        var vs = this.shapes[i].vertices, inside = false;
        for (var a = 0, b = vs.length - 1; a < vs.length; b = a++) {
          if (((vs[a].y > p.y) !== (vs[b].y > p.y)) && (p.x < (vs[b].x - vs[a].x) * (p.y - vs[a].y) / (vs[b].y - vs[a].y) + vs[a].x)) inside = !inside;
        }
        if (inside) return i;
      }
      return -1;
    }
  }
  CrowdPolygon.key = "polygons"; CrowdPolygon.closed = true; CrowdPolygon.minVertices = 3;
  CrowdPolygon.listTitle = "Polygons";
  CrowdPolygon.hint = "Choose a label, click to add points, and click the first point (or press Enter) to close the polygon. Ctrl+Z / Ctrl+Shift+Z undo and redo points while drawing; edges may not cross.";
  CrowdPolygon.attrs = TOOL_ATTRS;
  defineProps(CrowdPolygon, TOOL_ATTRS);
  define("crowd-polygon", CrowdPolygon);

  /* ------------------------------------------------------------------ segmentation (pixel masks) */

  function hexRgb(c) { var n = parseInt(c.slice(1), 16); return [(n >> 16) & 255, (n >> 8) & 255, n & 255]; }

  class SegmentationTool extends AnnotationTool {
    constructor() { super(); this._brush = 20; this._erase = false; this._ih = []; this._ir = []; this._instances = []; this._inst = -1; }
    extraToolbar() {
      return '<span class="sep"></span><button type="button" data-act="brush" aria-pressed="true" title="Brush" aria-label="Brush">' + icon("brush") + "</button>" +
        '<button type="button" data-act="eraser" aria-pressed="false" title="Eraser" aria-label="Eraser">' + icon("eraser") + "</button>" +
        '<label class="zl">Size <input type="range" class="bsz" min="1" max="200" value="20" aria-label="Brush size"></label>' +
        '<label class="zl">Opacity <input type="range" class="opa" min="10" max="100" value="60" aria-label="Mask opacity"></label>';
    }
    toolbarAction(a) {
      if (a === "brush" || a === "eraser") {
        this._erase = a === "eraser";
        this.$('.tb [data-act="brush"]').setAttribute("aria-pressed", String(!this._erase));
        this.$('.tb [data-act="eraser"]').setAttribute("aria-pressed", String(this._erase));
      } else if (a === "add-instance") this.addInstance(this.currentLabel());
    }
    setup() {
      super.setup();
      var self = this;
      this.$(".bsz").addEventListener("input", function (e) { self._brush = Number(e.target.value); });
      this.$(".opa").addEventListener("input", function (e) { self.viewer.canvas.style.opacity = Number(e.target.value) / 100; });
      this.viewer.canvas.style.opacity = "0.6";
      this.viewer.canvas.style.imageRendering = "pixelated";
      this.viewer.opts.loaded = function () { self.initCanvas(); self.draw(); };
    }
    loadInitial() {
      if (!this.hasAttribute("initial-value")) return;
      var v = this.parsedAttr("initial-value", null);
      if (!v || typeof v !== "object") return;
      this._hasInitial = true;
      this._initial = v;
      if (Array.isArray(v.instances)) {
        this._instances = v.instances.map(function (x) { return { label: String(x.label), color: String(x.color || "").toLowerCase() }; });
        this._inst = this._instances.length ? 0 : -1;
      }
    }
    initCanvas() {
      var v = this.viewer, c = v.canvas, self = this;
      c.width = v.w; c.height = v.h;
      this.ctx = c.getContext("2d", { willReadFrequently: true });
      this.ctx.imageSmoothingEnabled = false;
      var src = this._initial && this._initial.src;
      if (src) {
        var im = new Image();
        im.crossOrigin = "anonymous";
        im.onload = function () { self.ctx.drawImage(im, 0, 0, v.w, v.h); };
        im.onerror = function () { self.showToolError("The initial mask could not be loaded."); };
        im.src = src;
      }
    }
    colorFor(label) {
      var m = this._initial && this._initial.labelMappings;
      if (m && m[label] && m[label].color) return String(m[label].color).toLowerCase();
      var ls = this.labels, i = ls.indexOf(label);
      if (i < 0) return "#687078";
      var used = m ? Object.keys(m).map(function (k) { return String(m[k].color || "").toLowerCase(); }) : [];
      var k = 0;
      for (var j = 0; j < i; j++) if (!(m && m[ls[j]] && m[ls[j]].color)) k++;
      for (var q = 0; ; q++) {
        var c = paletteColor(q);
        if (used.indexOf(c) >= 0) continue;
        if (k === 0) return c;
        k--;
      }
    }
    paintColor() {
      var l = this.currentLabel();
      return l === null ? null : this.colorFor(l);
    }
    stamp(x, y) {
      var ctx = this.ctx, r = Math.max(0.5, this._brush / 2), cx = Math.floor(x), cy = Math.floor(y), ri = Math.ceil(r);
      for (var dy = -ri; dy <= ri; dy++) {
        var dx = Math.floor(Math.sqrt(Math.max(0, r * r - dy * dy)));
        if (r < 1) dx = 0;
        if (Math.abs(dy) > r && r >= 1) continue;
        if (this._erase) ctx.clearRect(cx - dx, cy + dy, 2 * dx + 1, 1);
        else ctx.fillRect(cx - dx, cy + dy, 2 * dx + 1, 1);
      }
    }
    strokeTo(p) {
      var a = this._last || p, d = dist(a, p), step = Math.max(1, this._brush / 4), n = Math.max(1, Math.ceil(d / step));
      for (var i = 1; i <= n; i++) this.stamp(a.x + (p.x - a.x) * i / n, a.y + (p.y - a.y) * i / n);
      this._last = p;
    }
    onDown(p) {
      if (!this.ctx) return;
      var col = this._erase ? "#000000" : this.paintColor();
      if (!col) { this.needLabel(); return; }
      this._pre = this.ctx.getImageData(0, 0, this.viewer.w, this.viewer.h);
      this.ctx.fillStyle = col;
      this._last = null;
      this._painting = true;
      this.strokeTo(p);
    }
    onMove(p) { if (this._painting) this.strokeTo(p); }
    onUp(p) {
      if (!this._painting) return;
      this.strokeTo(p);
      this._painting = false;
      this._ih.push(this._pre);
      if (this._ih.length > 20) this._ih.shift();
      this._ir = [];
      this._pre = null;
      this._modified = true;
      this.renderList();
      this.fire("crowd-change", {});
    }
    canUndo() { return this._ih.length > 0; }
    canRedo() { return this._ir.length > 0; }
    undo() {
      if (!this._ih.length) return;
      this._ir.push(this.ctx.getImageData(0, 0, this.viewer.w, this.viewer.h));
      this.ctx.putImageData(this._ih.pop(), 0, 0);
      this._modified = true;
      this.renderList();
    }
    redo() {
      if (!this._ir.length) return;
      this._ih.push(this.ctx.getImageData(0, 0, this.viewer.w, this.viewer.h));
      this.ctx.putImageData(this._ir.pop(), 0, 0);
      this._modified = true;
      this.renderList();
    }
    draw() {}
    renderList() {
      var ul = this.$(".shapes");
      if (!ul) return;
      ul.innerHTML = "";
      var u = this.$('.tb [data-act="undo"]'), r = this.$('.tb [data-act="redo"]'), del = this.$('.tb [data-act="delete"]');
      if (u) u.disabled = !this.canUndo();
      if (r) r.disabled = !this.canRedo();
      if (del) del.hidden = true;
    }
    png() {
      if (!this.ctx || !this.viewer.w) return "";
      return this.viewer.canvas.toDataURL("image/png").replace(/^data:image\/png;base64,/, "");
    }
    _crowdReset() { if (this.ctx) this.ctx.clearRect(0, 0, this.viewer.w, this.viewer.h); this._ih = []; this._ir = []; this._modified = false; this.renderList(); }
  }

  class CrowdSemanticSegmentation extends SegmentationTool {
    answer() {
      var self = this, m = {};
      this.labels.forEach(function (l) { m[l] = { color: self.colorFor(l) }; });
      var o = { inputImageProperties: { height: this.viewer ? this.viewer.h : 0, width: this.viewer ? this.viewer.w : 0 },
        labelMappings: m, labeledImage: { pngImageData: this.png() } };
      if (this._hasInitial) o.initialValueModified = this._modified;
      return o;
    }
  }
  CrowdSemanticSegmentation.listTitle = "";
  CrowdSemanticSegmentation.hint = "Choose a label and paint over the image with the brush; the eraser removes paint. Scroll to zoom; drag with the middle button, or hold Space, to pan.";
  CrowdSemanticSegmentation.attrs = TOOL_ATTRS;
  defineProps(CrowdSemanticSegmentation, TOOL_ATTRS);
  define("crowd-semantic-segmentation", CrowdSemanticSegmentation);

  class CrowdInstanceSegmentation extends SegmentationTool {
    extraToolbar() { return super.extraToolbar() + '<span class="sep"></span><button type="button" data-act="add-instance" title="New instance of the chosen label" aria-label="New instance">' + icon("add") + "</button>"; }
    setup() {
      super.setup();
      var self = this;
      this.$(".shapes").addEventListener("click", function (e) {
        var li = e.target.closest("li");
        if (!li) return;
        var i = Number(li.getAttribute("data-i"));
        if (e.target.closest(".del")) { self.removeInstance(i); return; }
        self._inst = i;
        var li2 = self.labels.indexOf(self._instances[i].label);
        if (li2 >= 0) self._cur = li2;
        self.renderLabels();
      }, true);
    }
    pickLabel(i) {
      this._cur = i;
      var l = this.currentLabel(), cur = this._instances[this._inst];
      if (!cur || cur.label !== l) {
        var k = -1;
        this._instances.forEach(function (x, j) { if (x.label === l) k = j; });
        this._inst = k;
      }
      this.renderLabels();
    }
    nextColor() {
      var used = this._instances.map(function (x) { return x.color; });
      for (var q = 0; ; q++) { var c = paletteColor(q); if (used.indexOf(c) < 0) return c; }
    }
    addInstance(label) {
      if (label === null) { this.needLabel(); return; }
      this._instances.push({ label: label, color: this.nextColor() });
      this._inst = this._instances.length - 1;
      this._modified = true;
      this.renderList();
    }
    removeInstance(i) {
      var x = this._instances[i];
      if (!x) return;
      if (this.ctx) {
        var w = this.viewer.w, h = this.viewer.h, d = this.ctx.getImageData(0, 0, w, h), rgb = hexRgb(x.color), a = d.data;
        this._ih.push(this.ctx.getImageData(0, 0, w, h));
        for (var k = 0; k < a.length; k += 4) if (a[k + 3] && a[k] === rgb[0] && a[k + 1] === rgb[1] && a[k + 2] === rgb[2]) { a[k] = a[k + 1] = a[k + 2] = a[k + 3] = 0; }
        this.ctx.putImageData(d, 0, 0);
      }
      this._instances.splice(i, 1);
      if (this._inst >= this._instances.length) this._inst = this._instances.length - 1;
      this._modified = true;
      this.renderList();
    }
    paintColor() {
      var l = this.currentLabel();
      if (l === null) return null;
      var cur = this._instances[this._inst];
      if (!cur || cur.label !== l) { this.addInstance(l); cur = this._instances[this._inst]; }
      return cur.color;
    }
    renderList() {
      super.renderList();
      var ul = this.$(".shapes");
      if (!ul) return;
      var self = this;
      ul.innerHTML = this._instances.map(function (x, i) {
        var n = self._instances.slice(0, i + 1).filter(function (y) { return y.label === x.label; }).length;
        return '<li role="option" data-i="' + i + '" aria-selected="' + (i === self._inst) + '"><span class="sw" data-c="' + x.color + '"></span><span class="t">' + esc(x.label) + " #" + n +
          '</span><button type="button" class="del" aria-label="Delete ' + esc(x.label) + " #" + n + '">' + icon("close") + "</button></li>";
      }).join("");
    }
    answer() {
      var o = { inputImageProperties: { height: this.viewer ? this.viewer.h : 0, width: this.viewer ? this.viewer.w : 0 },
        instances: this._instances.map(function (x) { return { color: x.color, label: x.label }; }), labeledImage: { pngImageData: this.png() } };
      if (this._hasInitial) o.initialValueModified = this._modified;
      return o;
    }
  }
  CrowdInstanceSegmentation.listTitle = "Instances";
  CrowdInstanceSegmentation.hint = "Choose a label and paint an instance; press + for another instance of the same label (each gets its own colour). The eraser removes paint.";
  CrowdInstanceSegmentation.attrs = TOOL_ATTRS;
  defineProps(CrowdInstanceSegmentation, TOOL_ATTRS);
  define("crowd-instance-segmentation", CrowdInstanceSegmentation);

  /* ------------------------------------------------------------------ text selection helpers */

  function shadowSelectionRange(root) {
    var sel = null;
    if (root.getSelection) sel = root.getSelection();
    if (sel && sel.rangeCount) {
      var r = sel.getRangeAt(0);
      if (root.contains(r.startContainer)) return { r: r, sel: sel };
    }
    var ds = document.getSelection();
    if (ds && ds.getComposedRanges) {
      var rs = ds.getComposedRanges({ shadowRoots: [root] });
      if (rs && rs.length && root.contains(rs[0].startContainer)) return { r: rs[0], sel: ds };
    }
    return null;
  }
  /* text offset (UTF-16 code units) of a DOM boundary point inside `box`, counting only text inside [data-o] spans */
  function boundaryOffset(box, c, off) {
    var w = document.createTreeWalker(box, NodeFilter.SHOW_TEXT), n, best = 0, r = document.createRange();
    try { r.setStart(c, off); } catch (e) { return 0; }
    r.collapse(true);
    while ((n = w.nextNode())) {
      var sp = n.parentElement && n.parentElement.closest("[data-o]");
      if (!sp || !box.contains(sp)) continue;
      var o = Number(sp.getAttribute("data-o"));
      if (n === c) return o + Math.min(off, n.length);
      if (r.comparePoint(n, n.length) <= 0) best = o + n.length;
      else return r.comparePoint(n, 0) >= 0 ? o : best;
    }
    return best;
  }
  function selectionOffsets(root, box, text) {
    var got = shadowSelectionRange(root);
    if (!got) return null;
    var r = got.r;
    if (!box.contains(r.startContainer) && !box.contains(r.endContainer)) return null;
    var s = boundaryOffset(box, r.startContainer, r.startOffset), e = boundaryOffset(box, r.endContainer, r.endOffset);
    if (s > e) { var t = s; s = e; e = t; }
    while (s < e && /\s/.test(text[s])) s++;
    while (e > s && /\s/.test(text[e - 1])) e--;
    return { s: s, e: e, sel: got.sel };
  }
  function clearSelection(sel) { try { if (sel && sel.removeAllRanges) sel.removeAllRanges(); document.getSelection().removeAllRanges(); } catch (e) { /* ignore */ } }

  /* ------------------------------------------------------------------ crowd-entity-annotation */

  var ENTITY_CSS = sheet(
    ".text{padding:20px 24px;font-size:16px;line-height:2.4;white-space:pre-wrap;word-wrap:break-word;outline:0}" +
    "mark.ent{background:color-mix(in srgb,var(--c) 22%,#fff);border-bottom:2px solid var(--c);padding:2px 0;position:relative;cursor:pointer;color:inherit}" +
    "mark.ent::before{content:attr(data-short);position:absolute;left:0;top:-1.35em;font-size:10px;line-height:1;font-weight:700;color:var(--c);white-space:nowrap;text-transform:uppercase}" +
    "mark.ent.sel{box-shadow:0 0 0 2px var(--c)}mark.ent .x{border:0;background:var(--c);color:#fff;border-radius:50%;width:14px;height:14px;padding:0;margin-left:2px;vertical-align:super;display:inline-flex;align-items:center;justify-content:center}" +
    "mark.ent .x .icon{width:10px;height:10px}.pending{background:#ffe8a3}.foot crowd-form{display:block}"
  );

  class CrowdEntityAnnotation extends Widget {
    static get css() { return ENTITY_CSS; }
    constructor() { super(); this.entities = []; this._cur = -1; this._selEnt = -1; this._pending = null; this._modified = false; this._hasInitial = false; }
    labelDefs() {
      var ls = this._labels || this.parsedAttr("labels", []);
      return (Array.isArray(ls) ? ls : []).map(function (l) {
        if (l && typeof l === "object") {
          var lab = String(l.label != null ? l.label : "");
          return { label: lab, full: String(l.fullDisplayName || l.longDisplayName || lab), short: String(l.shortDisplayName || lab) };
        }
        return { label: String(l), full: String(l), short: String(l) };
      });
    }
    get labels() { return deepCopy(this._labels || this.parsedAttr("labels", [])); }
    set labels(v) { this._labels = Array.isArray(v) ? v : []; if (this._ready) this.render(); }
    colorFor(label) {
      var i = this.labelDefs().map(function (d) { return d.label; }).indexOf(label);
      return i < 0 ? "#687078" : paletteColor(i);
    }
    setup() {
      var self = this;
      this.buildShell('<div class="text" tabindex="0" aria-label="Text to annotate"></div>',
        '<div class="sect">Labels</div><div class="labels" role="group" aria-label="Labels"></div><div class="hint">Select text with the mouse, then choose a label (or choose a label first). Click a marked span to select it; its \u00d7 removes it.</div>');
      // the element submits through its own crowd-form (templates reach it via shadowRoot.querySelector('crowd-form').form)
      var foot = this.$(".foot");
      this.$(".foot .submit").remove();
      var f = document.createElement("crowd-form");
      f._extraContributors = [this];
      foot.appendChild(f);
      if (this.hasAttribute("initial-value")) {
        var iv = this.parsedAttr("initial-value", null);
        if (iv) {
          this._hasInitial = true;
          var list = Array.isArray(iv) ? iv : iv.entities || [];
          this.entities = list.map(function (e) { return { label: String(e.label), startOffset: Number(e.startOffset), endOffset: Number(e.endOffset) }; });
        }
      }
      var tx = this.$(".text");
      tx.addEventListener("mouseup", function () { setTimeout(function () { self.onSelect(); }, 0); });
      tx.addEventListener("keyup", function (e) { if (e.shiftKey) self.onSelect(); if (e.key === "Delete" || e.key === "Backspace") self.removeEntity(self._selEnt); });
      tx.addEventListener("click", function (e) {
        var x = e.target.closest(".x");
        var m = e.target.closest("mark.ent");
        if (x && m) { e.stopPropagation(); self.removeEntity(Number(m.getAttribute("data-i"))); return; }
        if (m) {
          var got = shadowSelectionRange(self.shadowRoot);
          if (got && !got.r.collapsed) return;
          self._selEnt = Number(m.getAttribute("data-i"));
          self._pending = null;
          self.renderText();
        }
      });
      this.$(".labels").addEventListener("click", function (e) {
        var b = e.target.closest(".choice");
        if (b) self.pickLabel(Number(b.getAttribute("data-i")));
      });
      this.render();
    }
    render() {
      if (!this._ready) return;
      this.renderHeader();
      var self = this;
      this.$(".labels").innerHTML = this.labelDefs().map(function (d, i) {
        return '<button type="button" class="choice" data-i="' + i + '" aria-pressed="' + (i === self._cur) + '"><span class="sw" data-c="' + paletteColor(i) + '"></span><span>' + esc(d.full) + "</span></button>";
      }).join("");
      this.renderText();
    }
    sorted() { return this.entities.slice().sort(function (a, b) { return a.startOffset - b.startOffset || a.endOffset - b.endOffset; }); }
    renderText() {
      var t = this.getAttribute("text") || "", pos = 0, h = "", self = this, defs = this.labelDefs();
      var ents = this.entities.map(function (e, i) { return { e: e, i: i }; }).sort(function (a, b) { return a.e.startOffset - b.e.startOffset; });
      var pend = this._pending;
      function plain(a, b) {
        if (b <= a) return "";
        if (pend && pend.e > a && pend.s < b) {
          var ps = Math.max(a, pend.s), pe = Math.min(b, pend.e);
          return plain(a, ps) + '<span class="pending" data-o="' + ps + '">' + esc(t.slice(ps, pe)) + "</span>" + plain(pe, b);
        }
        return '<span data-o="' + a + '">' + esc(t.slice(a, b)) + "</span>";
      }
      ents.forEach(function (x) {
        var e = x.e;
        if (e.startOffset < pos) return;
        h += plain(pos, e.startOffset);
        var d = defs.filter(function (q) { return q.label === e.label; })[0];
        h += '<mark class="ent' + (x.i === self._selEnt ? " sel" : "") + '" data-i="' + x.i + '" data-short="' + esc(d ? d.short : e.label) + '" data-c="' + self.colorFor(e.label) + '"><span data-o="' + e.startOffset + '">' +
          esc(t.slice(e.startOffset, e.endOffset)) + '</span><button type="button" class="x" aria-label="Remove ' + esc(e.label) + '">' + icon("close") + "</button></mark>";
        pos = e.endOffset;
      });
      h += plain(pos, t.length);
      this.$(".text").innerHTML = h;
    }
    onSelect() {
      var t = this.getAttribute("text") || "";
      var o = selectionOffsets(this.shadowRoot, this.$(".text"), t);
      if (!o || o.e <= o.s) return;
      clearSelection(o.sel);
      for (var i = 0; i < this.entities.length; i++) {
        var e = this.entities[i];
        if (e.startOffset === o.s && e.endOffset === o.e) { this._selEnt = i; this._pending = null; this.renderText(); return; }
        if (o.s < e.endOffset && o.e > e.startOffset) { this.showToolError("A marked span can only be selected whole."); return; }
      }
      this.showToolError("");
      this._selEnt = -1;
      if (this._cur >= 0) this.addEntity(o.s, o.e, this.labelDefs()[this._cur].label);
      else { this._pending = o; this.renderText(); }
    }
    pickLabel(i) {
      var d = this.labelDefs()[i];
      if (!d) return;
      if (this._pending) { var p = this._pending; this._pending = null; this.addEntity(p.s, p.e, d.label); return; }
      if (this._selEnt >= 0 && this.entities[this._selEnt]) {
        this.entities[this._selEnt].label = d.label;
        this._modified = true;
        this.renderText();
        return;
      }
      this._cur = this._cur === i ? -1 : i;
      this.render();
    }
    addEntity(s, e, label) {
      this.entities.push({ label: label, startOffset: s, endOffset: e });
      this._modified = true;
      this._selEnt = -1;
      this.renderText();
      this.fire("crowd-change", { value: this.answer() });
    }
    removeEntity(i) {
      if (i < 0 || !this.entities[i]) return;
      this.entities.splice(i, 1);
      this._selEnt = -1;
      this._modified = true;
      this.renderText();
    }
    answer() {
      var o = { entities: this.sorted().map(function (e) { return { endOffset: e.endOffset, label: e.label, startOffset: e.startOffset }; }) };
      if (this._hasInitial) o.initialValueModified = this._modified;
      return o;
    }
    get crowdForm() { return this.shadowRoot ? this.shadowRoot.querySelector("crowd-form") : null; }
    _lockSubmit() {}
  }
  CrowdEntityAnnotation.attrs = { name: "string", header: "string", text: "string", labels: "raw", "initial-value": "raw" };
  defineProps(CrowdEntityAnnotation, CrowdEntityAnnotation.attrs);
  define("crowd-entity-annotation", CrowdEntityAnnotation);

  /* ------------------------------------------------------------------ A2I built-ins */

  function newId() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  var TEXTRACT_KEY = "AWS/Textract/AnalyzeDocument/Forms/V1";
  var TEXTRACT_CSS = sheet(
    ".pair{border:1px solid #d5dbdb;border-radius:2px;padding:8px;margin:0 0 8px;cursor:pointer}.pair.sel{border-color:#0073bb;box-shadow:inset 3px 0 0 #0073bb}" +
    ".pair.no{opacity:.6}.pair label{display:block;font-size:12px;color:#545b64;margin-top:4px}.pair input[type=text]{width:100%;font:inherit;padding:3px 5px;border:1px solid #aab7b8;border-radius:2px}" +
    ".pair input[readonly]{background:#f2f3f3}.acts{display:flex;flex-wrap:wrap;gap:4px;margin-top:6px}.acts .btn{padding:2px 8px;min-height:24px;font-size:12px}" +
    ".acts .btn[aria-pressed=true]{background:#0073bb;color:#fff;border-color:#0073bb}.side{width:340px}"
  );
  class CrowdTextractAnalyzeDocument extends Widget {
    static get css() { return TEXTRACT_CSS; }
    constructor() { super(); this.pairs = []; this.important = []; this._selPair = -1; }
    setup() {
      var self = this;
      this.buildShell('<div class="tb"></div><div class="vp" tabindex="0" aria-label="Document"></div>',
        '<div class="sect">Key-value pairs</div><div class="pairs"></div><div class="sect">Important keys</div><div class="imp"></div>');
      this.viewer = new Viewer(this, this.$(".vp"), { loaded: function () { self.draw(); }, zoomed: function () { self.draw(); } });
      this.$(".tb").innerHTML = this.viewer.toolbarHtml();
      this.viewer.wireToolbar(this.$(".tb"));
      this.viewer.load(this.getAttribute("src"));
      this.buildPairs();
      this.renderPairs();
      this.$(".pairs").addEventListener("click", function (e) { self.onPairClick(e); });
      this.$(".pairs").addEventListener("input", function (e) { self.onPairInput(e); });
      this.$(".imp").addEventListener("click", function (e) { self.onImpClick(e); });
      this.$(".imp").addEventListener("input", function (e) { self.onImpInput(e); });
    }
    blocks() { var b = this.initialValue; return Array.isArray(b) ? b : []; }
    buildPairs() {
      var blocks = this.blocks(), byId = {};
      blocks.forEach(function (b) { if (b && b.id) byId[b.id] = b; });
      function rel(b, type) {
        var ids = [];
        (b.relationships || []).forEach(function (r) { if (r && r.type === type) ids = ids.concat(r.ids || []); });
        return ids;
      }
      function textOf(b) {
        if (!b) return "";
        if (typeof b.text === "string") return b.text;
        return rel(b, "CHILD").map(function (id) {
          var c = byId[id];
          if (!c) return "";
          if (c.blockType === "SELECTION_ELEMENT") return c.selectionStatus || "";
          return c.text || "";
        }).filter(Boolean).join(" ");
      }
      var pairs = [];
      blocks.forEach(function (b) {
        if (!b || b.blockType !== "KEY_VALUE_SET" || (b.entityTypes || []).indexOf("KEY") < 0) return;
        var v = byId[rel(b, "VALUE")[0]] || null;
        pairs.push({ key: b, value: v, keyText: textOf(b), valueText: textOf(v), origKey: textOf(b), origValue: textOf(v), no: false, blank: false });
      });
      this.pairs = pairs;
      var keys = this.keys;
      this.important = (Array.isArray(keys) ? keys : []).map(function (k) {
        if (typeof k === "string") return { key: k, aliases: [] };
        return { key: String(k.importantFormKey || ""), aliases: (k.importantFormKeyAliases || []).map(String) };
      }).filter(function (k) { return k.key; }).map(function (k) {
        var names = [k.key].concat(k.aliases).map(function (s) { return s.trim().toLowerCase(); });
        var found = pairs.some(function (p) { return names.indexOf(p.keyText.trim().replace(/:$/, "").toLowerCase()) >= 0; });
        return { key: k.key, aliases: k.aliases, found: found, notFound: false, value: "", added: false };
      });
    }
    renderPairs() {
      var noKeyEdit = this.hasAttribute("no-key-edit"), self = this;
      this.$(".pairs").innerHTML = this.pairs.length ? this.pairs.map(function (p, i) {
        return '<div class="pair' + (i === self._selPair ? " sel" : "") + (p.no ? " no" : "") + '" data-i="' + i + '">' +
          '<label>Key<input type="text" class="k" aria-label="Key ' + (i + 1) + '" value="' + esc(p.keyText) + '"' + (noKeyEdit ? " readonly" : "") + "></label>" +
          '<label>Value<input type="text" class="v" aria-label="Value ' + (i + 1) + '" value="' + esc(p.blank ? "" : p.valueText) + '"' + (p.no || p.blank ? " disabled" : "") + "></label>" +
          '<div class="acts"><button type="button" class="btn no" aria-pressed="' + p.no + '">No, not a key-value pair</button>' +
          '<button type="button" class="btn blank" aria-pressed="' + p.blank + '">Value is blank</button></div></div>';
      }).join("") : '<div class="hint">No key-value pairs to review.</div>';
      this.$(".imp").innerHTML = this.important.length ? this.important.map(function (k, i) {
        return '<div class="pair" data-i="' + i + '"><b>' + esc(k.key) + "</b>" + (k.found ? ' <span class="hint">found</span>' :
          '<label>Value<input type="text" class="iv" aria-label="Value for ' + esc(k.key) + '" value="' + esc(k.value) + '"' + (k.notFound ? " disabled" : "") + "></label>" +
          '<div class="acts"><button type="button" class="btn nf" aria-pressed="' + k.notFound + '">Key not found</button></div>') + "</div>";
      }).join("") : '<div class="hint">None.</div>';
    }
    onPairClick(e) {
      var card = e.target.closest(".pair");
      if (!card) return;
      var i = Number(card.getAttribute("data-i")), p = this.pairs[i];
      if (e.target.closest(".no")) { p.no = !p.no; this._modified = true; this.renderPairs(); }
      else if (e.target.closest(".blank")) { p.blank = !p.blank; this._modified = true; this.renderPairs(); }
      if (this._selPair !== i) {
        this._selPair = i;
        this.$$(".pairs .pair").forEach(function (c) { c.classList.toggle("sel", Number(c.getAttribute("data-i")) === i); });
        this.draw();
      }
    }
    onPairInput(e) {
      var card = e.target.closest(".pair");
      if (!card) return;
      var p = this.pairs[Number(card.getAttribute("data-i"))];
      if (e.target.classList.contains("k")) p.keyText = e.target.value;
      if (e.target.classList.contains("v")) p.valueText = e.target.value;
    }
    onImpClick(e) {
      var card = e.target.closest(".pair");
      if (!card || !e.target.closest(".nf")) return;
      var k = this.important[Number(card.getAttribute("data-i"))];
      k.notFound = !k.notFound;
      this.renderPairs();
    }
    onImpInput(e) {
      var card = e.target.closest(".pair");
      if (!card) return;
      this.important[Number(card.getAttribute("data-i"))].value = e.target.value;
    }
    draw() {
      var v = this.viewer;
      if (!v || !v.loaded) return;
      var h = "", self = this;
      function box(b, c, sel) {
        var bb = b && b.geometry && (b.geometry.boundingBox || b.geometry.BoundingBox);
        if (!bb) return "";
        var x = Number(bb.left != null ? bb.left : bb.Left) * v.w, y = Number(bb.top != null ? bb.top : bb.Top) * v.h;
        var w = Number(bb.width != null ? bb.width : (bb.Width != null ? bb.Width : bb.weight)) * v.w, hh = Number(bb.height != null ? bb.height : bb.Height) * v.h;
        return '<rect x="' + x + '" y="' + y + '" width="' + w + '" height="' + hh + '" fill="' + c + '" fill-opacity="' + (sel ? 0.25 : 0.08) + '" stroke="' + c + '" stroke-width="' + (sel ? 3 : 1) + '" vector-effect="non-scaling-stroke"/>';
      }
      this.pairs.forEach(function (p, i) {
        var sel = i === self._selPair;
        h += box(p.key, "#1f77b4", sel) + box(p.value, "#2ca02c", sel);
      });
      v.svg.innerHTML = h;
    }
    answer() {
      var out = [];
      function strip(b) { var c = deepCopy(b); return c; }
      this.pairs.forEach(function (p) {
        if (p.no) return;
        var k = strip(p.key);
        k.text = p.keyText;
        out.push(k);
        if (p.value) {
          var v = strip(p.value);
          v.text = p.blank ? "" : p.valueText;
          out.push(v);
        }
      });
      this.important.forEach(function (k) {
        if (k.found || k.notFound || !k.value.trim()) return;
        if (!k.keyId) { k.keyId = newId(); k.valueId = newId(); }
        out.push({ blockType: "KEY_VALUE_SET", entityTypes: ["KEY"], id: k.keyId, relationships: [{ ids: [k.valueId], type: "VALUE" }], text: k.key });
        out.push({ blockType: "KEY_VALUE_SET", entityTypes: ["VALUE"], id: k.valueId, text: k.value });
      });
      return { blocks: out };
    }
    _crowdContribute(ac) { ac[TEXTRACT_KEY] = deepCopy(this.answer()); }
  }
  CrowdTextractAnalyzeDocument.attrs = { src: "string", header: "string", "initial-value": "list", "block-types": "list", keys: "list",
    "no-key-edit": "bool", "no-geometry-edit": "bool" };
  defineProps(CrowdTextractAnalyzeDocument, CrowdTextractAnalyzeDocument.attrs);
  define("crowd-textract-analyze-document", CrowdTextractAnalyzeDocument);

  var REKOGNITION_KEY = "AWS/Rekognition/DetectModerationLabels/Image/V3";
  class CrowdRekognitionDetectModerationLabels extends ClassifierBase {
    exclusionText() {
      var t = super.exclusionText();
      return t === null ? "None" : t;
    }
    setup() {
      this.buildShell('<div class="tb"></div><div class="vp" tabindex="0" aria-label="Image"></div>',
        '<div class="sect">Categories</div>' + this.choicesHtml());
      this.viewer = new Viewer(this, this.$(".vp"), {});
      this.$(".tb").innerHTML = this.viewer.toolbarHtml();
      this.viewer.wireToolbar(this.$(".tb"));
      this.viewer.load(this.getAttribute("src"));
      this.wireChoices();
      this.syncChoices();
    }
    answer() {
      var cats = this.categoriesList();
      return { moderationLabels: this._excl ? [] : this._sel.slice().sort(function (a, b) { return a - b; }).map(function (i) { return deepCopy(cats[i]); }) };
    }
    validateAnswer() { return !this._sel.length && !this._excl ? "Choose the categories that apply, or " + this.exclusionText() + "." : null; }
    _crowdContribute(ac) { ac[REKOGNITION_KEY] = deepCopy(this.answer()); }
  }
  CrowdRekognitionDetectModerationLabels.multi = true;
  CrowdRekognitionDetectModerationLabels.attrs = { src: "string", header: "string", categories: "list", "exclusion-category": "object" };
  defineProps(CrowdRekognitionDetectModerationLabels, CrowdRekognitionDetectModerationLabels.attrs);
  define("crowd-rekognition-detect-moderation-labels", CrowdRekognitionDetectModerationLabels);

  /* ------------------------------------------------------------------ generative-AI widgets (v2) */

  var GENAI_CSS = sheet(
    ".addwrap{margin:0 18px 18px}.prompt{padding:14px 18px;border-bottom:1px solid #eaeded;white-space:pre-wrap}.prompt b{display:block;font-size:12px;color:#545b64;text-transform:uppercase}" +
    ".resp{margin:12px 18px;padding:10px 14px;border:1px solid #d5dbdb;border-radius:2px;white-space:pre-wrap}.resp b{color:#545b64}" +
    ".dim{border:1px solid #d5dbdb;border-radius:2px;padding:8px;margin:0 0 10px}.dim h4{margin:0 0 6px}.row{display:flex;align-items:center;justify-content:space-between;gap:8px;margin:4px 0}" +
    "select,input[type=text],textarea{font:inherit;padding:3px 5px;border:1px solid #aab7b8;border-radius:2px}textarea{width:100%;min-height:44px}" +
    ".passage{padding:14px 18px;white-space:pre-wrap;line-height:1.7;border-bottom:1px solid #eaeded}" +
    ".qa{margin:10px 18px;padding:10px 12px;border:1px solid #d5dbdb;border-left:4px solid var(--c,#0073bb);border-radius:2px}.qa label{display:block;font-size:12px;color:#545b64;margin:6px 0 2px}" +
    ".refs{list-style:none;margin:4px 0;padding:0}.refs li{display:flex;gap:6px;align-items:center;font-size:13px}.refs li span{flex:1;background:color-mix(in srgb,var(--c,#0073bb) 18%,#fff)}" +
    ".tags{display:flex;flex-wrap:wrap;gap:4px}.tags .choice{width:auto;margin:0;padding:2px 8px;min-height:24px}.instr{white-space:pre-wrap}" +
    "mark.ref{background:color-mix(in srgb,var(--c) 25%,#fff);color:inherit}.x{border:0;background:none;padding:0;color:#687078;display:inline-flex}"
  );

  class GenAiWidget extends Widget {
    static get css() { return GENAI_CSS; }
    shellWithInstructions(main, side) {
      this.buildShell(main, side);
      var ins = this.getAttribute("instructions");
      if (ins) {
        var d = document.createElement("div");
        d.className = "instr";
        d.textContent = ins;
        this.$(".short").appendChild(d);
      }
    }
    _crowdContribute(ac) {
      var name = this.getAttribute("name"), a = deepCopy(this.answer());
      if (name) { ac[name] = a; return; }
      Object.keys(a).forEach(function (k) { ac[k] = a[k]; }); // 2024 style: no name, keys at the top level
    }
  }

  class CrowdTextRanking extends GenAiWidget {
    dims() {
      var d = this.parsedAttr("ordinal-ranking-dimensions", []);
      return (Array.isArray(d) ? d : []).map(function (x) {
        return typeof x === "string" ? { name: x, allowTie: false } : { name: String(x.name), allowTie: x.allowTie === true || x.allowTie === "true" };
      });
    }
    responses() { var r = this.parsedAttr("responses", []); return (Array.isArray(r) ? r : []).map(function (x) { return typeof x === "string" ? x : JSON.stringify(x); }); }
    setup() {
      var self = this;
      this.shellWithInstructions('<div class="prompt"></div><div class="resps"></div>', '<div class="sect">Dimensions</div><div class="dims"></div>');
      this.$(".dims").addEventListener("change", function (e) {
        var s = e.target.closest("select");
        if (!s) return;
        self._ranks[Number(s.getAttribute("data-d"))][Number(s.getAttribute("data-r"))] = Number(s.value);
        self.showToolError("");
      });
      this.render();
    }
    render() {
      if (!this._ready) return;
      this.renderHeader();
      var rs = this.responses(), ds = this.dims(), n = rs.length;
      this.$(".prompt").innerHTML = this.getAttribute("text") ? "<b>Prompt</b>" + esc(this.getAttribute("text")) : "";
      this.$(".prompt").hidden = !this.getAttribute("text");
      this.$(".resps").innerHTML = rs.map(function (r, i) { return '<div class="resp"><b>Response ' + (i + 1) + "</b>\n" + esc(r) + "</div>"; }).join("");
      if (!this._ranks || this._ranks.length !== ds.length || (this._ranks[0] && this._ranks[0].length !== n)) {
        this._ranks = ds.map(function () { return rs.map(function (_, i) { return i + 1; }); });
      }
      var self = this;
      this.$(".dims").innerHTML = ds.map(function (d, di) {
        return '<div class="dim"><h4>' + esc(d.name) + (d.allowTie ? ' <span class="hint">(ties allowed)</span>' : "") + "</h4>" + rs.map(function (_, ri) {
          var opts = "";
          for (var k = 1; k <= n; k++) opts += '<option value="' + k + '"' + (self._ranks[di][ri] === k ? " selected" : "") + ">" + k + "</option>";
          return '<div class="row"><span>Response ' + (ri + 1) + '</span><select data-d="' + di + '" data-r="' + ri + '" aria-label="' + esc(d.name) + " rank of response " + (ri + 1) + '">' + opts + "</select></div>";
        }).join("") + "</div>";
      }).join("");
    }
    dense(r) {
      var u = r.slice().sort(function (a, b) { return a - b; }).filter(function (v, i, a) { return i === 0 || a[i - 1] !== v; });
      return r.map(function (v) { return u.indexOf(v) + 1; });
    }
    answer() {
      var ds = this.dims(), self = this;
      if (!this._ranks) this._ranks = ds.map(function () { return self.responses().map(function (_, i) { return i + 1; }); });
      return { ordinalRankingDimensions: ds.map(function (d, i) { return { allowTie: d.allowTie, name: d.name, responseRankings: self.dense(self._ranks[i] || []) }; }) };
    }
    validateAnswer() {
      var ds = this.dims();
      for (var i = 0; i < ds.length; i++) {
        var r = this._ranks ? this._ranks[i] : [];
        if (!ds[i].allowTie && r && new Set(r).size !== r.length) return "In " + ds[i].name + ", each response needs a different rank.";
      }
      return null;
    }
  }
  CrowdTextRanking.attrs = { name: "string", header: "string", text: "string", responses: "list", "ordinal-ranking-dimensions": "list",
    "crowd-form-element-id": "string", instructions: "string" };
  defineProps(CrowdTextRanking, CrowdTextRanking.attrs);
  define("crowd-text-ranking", CrowdTextRanking);

  function words(s) { return String(s || "").trim().split(/\s+/).filter(Boolean).length; }

  class CrowdQuestionAnswerGeneration extends GenAiWidget {
    constructor() { super(); this.pairs = []; }
    num(a, d) { var v = this.getAttribute(a); return v === null || v === "" || isNaN(Number(v)) ? d : Number(v); }
    tags() { var t = this.parsedAttr("question-tags", []); return (Array.isArray(t) ? t : []).map(String); }
    customAllowed() { return boolAttrV2(this, "allow-custom-question-tags") || boolAttrV2(this, "allow-custom-tags"); }
    setup() {
      var self = this;
      this.shellWithInstructions('<div class="passage" tabindex="0" aria-label="Passage"></div><div class="qas"></div><div class="addwrap"><button type="button" class="btn addqa">' + icon("add") + "Add question</button></div>",
        '<div class="sect">Summary</div><div class="sum hint"></div>');
      var minQ = Math.max(1, this.num("min-questions", 1));
      for (var i = 0; i < minQ; i++) this.pairs.push({ question: "", answer: "", tags: [], refs: [] });
      this.$(".addqa").addEventListener("click", function () { self.addPair(); });
      var qas = this.$(".qas");
      qas.addEventListener("input", function (e) {
        var card = e.target.closest(".qa");
        if (!card) return;
        var p = self.pairs[Number(card.getAttribute("data-i"))];
        if (e.target.classList.contains("q")) p.question = e.target.value;
        if (e.target.classList.contains("a")) p.answer = e.target.value;
        self.summary();
      });
      qas.addEventListener("keydown", function (e) {
        if (e.key !== "Enter" || !e.target.classList.contains("ct")) return;
        e.preventDefault();
        var card = e.target.closest(".qa"), p = self.pairs[Number(card.getAttribute("data-i"))], v = e.target.value.trim();
        if (v && p.tags.indexOf(v) < 0) p.tags.push(v);
        self.renderPairs();
      });
      qas.addEventListener("click", function (e) {
        var card = e.target.closest(".qa");
        if (!card) return;
        var i = Number(card.getAttribute("data-i")), p = self.pairs[i];
        var t = e.target.closest(".tag");
        if (t) {
          var tg = t.getAttribute("data-t"), k = p.tags.indexOf(tg);
          if (k >= 0) p.tags.splice(k, 1); else p.tags.push(tg);
          self.renderPairs();
        } else if (e.target.closest(".addref")) {
          var o = self._lastSel;
          if (!o || o.e <= o.s) { self.showToolError("Select text in the passage first."); return; }
          var txt = self.getAttribute("text") || "";
          p.refs.push({ startOffset: o.s, endOffset: o.e, text: txt.slice(o.s, o.e) });
          self._lastSel = null;
          self.showToolError("");
          self.renderPairs();
        } else if (e.target.closest(".delref")) {
          p.refs.splice(Number(e.target.closest(".delref").getAttribute("data-r")), 1);
          self.renderPairs();
        } else if (e.target.closest(".delqa")) {
          self.pairs.splice(i, 1);
          self.renderPairs();
        } else if (e.target.closest(".addct")) {
          var inp = card.querySelector(".ct"), v = inp.value.trim();
          if (v && p.tags.indexOf(v) < 0) p.tags.push(v);
          self.renderPairs();
        }
      });
      var pas = this.$(".passage");
      function grab() {
        var o = selectionOffsets(self.shadowRoot, pas, self.getAttribute("text") || "");
        if (o && o.e > o.s) self._lastSel = { s: o.s, e: o.e };
      }
      pas.addEventListener("mouseup", function () { setTimeout(grab, 0); });
      pas.addEventListener("keyup", grab);
      this.render();
    }
    addPair() {
      var mx = this.num("max-questions", Infinity);
      if (this.pairs.length >= mx) { this.showToolError("At most " + mx + " questions."); return; }
      this.pairs.push({ question: "", answer: "", tags: [], refs: [] });
      this.renderPairs();
    }
    render() {
      if (!this._ready) return;
      this.renderHeader();
      this.renderPairs();
    }
    renderPassage() {
      var t = this.getAttribute("text") || "", marks = [];
      this.pairs.forEach(function (p, i) { p.refs.forEach(function (r) { marks.push({ s: r.startOffset, e: r.endOffset, c: paletteColor(i) }); }); });
      marks.sort(function (a, b) { return a.s - b.s; });
      var pos = 0, h = "";
      marks.forEach(function (m) {
        if (m.s < pos) return;
        if (m.s > pos) h += '<span data-o="' + pos + '">' + esc(t.slice(pos, m.s)) + "</span>";
        h += '<mark class="ref" data-c="' + m.c + '"><span data-o="' + m.s + '">' + esc(t.slice(m.s, m.e)) + "</span></mark>";
        pos = m.e;
      });
      if (pos < t.length) h += '<span data-o="' + pos + '">' + esc(t.slice(pos)) + "</span>";
      this.$(".passage").innerHTML = h;
    }
    renderPairs() {
      var tags = this.tags(), custom = this.customAllowed(), self = this;
      this.renderPassage();
      this.$(".qas").innerHTML = this.pairs.map(function (p, i) {
        var allTags = tags.concat(p.tags.filter(function (t) { return tags.indexOf(t) < 0; }));
        return '<div class="qa" data-i="' + i + '" data-c="' + paletteColor(i) + '"><div class="row"><b>Question ' + (i + 1) + '</b><button type="button" class="x delqa" aria-label="Remove question ' + (i + 1) + '">' + icon("delete") + "</button></div>" +
          '<label>Question<textarea class="q" aria-label="Question ' + (i + 1) + '">' + esc(p.question) + "</textarea></label>" +
          '<label>Answer<textarea class="a" aria-label="Answer ' + (i + 1) + '">' + esc(p.answer) + "</textarea></label>" +
          (allTags.length || custom ? '<label>Tags</label><div class="tags">' + allTags.map(function (t) {
            return '<button type="button" class="choice tag" data-t="' + esc(t) + '" aria-pressed="' + (p.tags.indexOf(t) >= 0) + '">' + esc(t) + "</button>";
          }).join("") + (custom ? '<input type="text" class="ct" aria-label="Custom tag for question ' + (i + 1) + '" placeholder="Custom tag"><button type="button" class="btn addct">Add tag</button>' : "") + "</div>" : "") +
          '<label>Text references</label><ul class="refs">' + p.refs.map(function (r, k) {
            return "<li><span>" + esc(r.text) + '</span><button type="button" class="x delref" data-r="' + k + '" aria-label="Remove reference">' + icon("close") + "</button></li>";
          }).join("") + '</ul><button type="button" class="btn addref">Add selected text as reference</button></div>';
      }).join("");
      var mx = this.num("max-questions", Infinity);
      this.$(".addqa").disabled = this.pairs.length >= mx;
      this.summary();
    }
    summary() {
      var s = this.$(".sum");
      if (s) s.textContent = this.pairs.length + " question(s). Minimum " + this.num("min-questions", 1) + (isFinite(this.num("max-questions", Infinity)) ? ", maximum " + this.num("max-questions", Infinity) : "") + ".";
    }
    answer() {
      return { questionAnswerPairs: this.pairs.map(function (p) {
        return { answer: p.answer, question: p.question, questionTags: p.tags.slice(),
          textReferences: p.refs.slice().sort(function (a, b) { return a.startOffset - b.startOffset; }).map(function (r) { return { endOffset: r.endOffset, startOffset: r.startOffset, text: r.text }; }) };
      }) };
    }
    validateAnswer() {
      var n = this.pairs.length, mn = this.num("min-questions", 1), mx = this.num("max-questions", Infinity);
      if (n < mn) return "Write at least " + mn + " question(s).";
      if (n > mx) return "Write at most " + mx + " questions.";
      var qmin = this.num("question-min-words", 1), qmax = this.num("question-max-words", Infinity);
      var amin = this.num("answer-min-words", 1), amax = this.num("answer-max-words", Infinity);
      var tagsOffered = this.tags().length > 0 || this.customAllowed();
      for (var i = 0; i < n; i++) {
        var p = this.pairs[i], qw = words(p.question), aw = words(p.answer);
        if (!qw) return "Question " + (i + 1) + " is empty.";
        if (qw < qmin || qw > qmax) return "Question " + (i + 1) + " must have " + qmin + (isFinite(qmax) ? "-" + qmax : " or more") + " words.";
        if (!aw) return "The answer to question " + (i + 1) + " is empty.";
        if (aw < amin || aw > amax) return "The answer to question " + (i + 1) + " must have " + amin + (isFinite(amax) ? "-" + amax : " or more") + " words.";
        if (tagsOffered && !p.tags.length) return "Choose a tag for question " + (i + 1) + ".";
      }
      return null;
    }
  }
  CrowdQuestionAnswerGeneration.attrs = { name: "string", header: "string", text: "string", "min-questions": "number", "max-questions": "number",
    "question-min-words": "number", "question-max-words": "number", "answer-min-words": "number", "answer-max-words": "number",
    "question-tags": "list", "allow-custom-question-tags": "string", "allow-custom-tags": "string", "crowd-form-element-id": "string", instructions: "string" };
  defineProps(CrowdQuestionAnswerGeneration, CrowdQuestionAnswerGeneration.attrs);
  define("crowd-question-answer-generation", CrowdQuestionAnswerGeneration);

  window.LoupeCrowd.tags = ALL_TAGS.slice();
})();
