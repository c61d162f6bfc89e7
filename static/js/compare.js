// Before/after comparison: two layered images with a draggable divider (mouse, touch and the
// arrow keys; role="slider" keeps aria-valuenow current) and zoom and pan applied to both layers
// at once (wheel, or the − / Fit / + buttons; drag to pan once zoomed). No dependencies.
(function () {
  "use strict";

  var MAX_ZOOM = 8;
  var ZOOM_STEP = 1.25;

  function clamp(value, low, high) {
    return Math.max(low, Math.min(high, value));
  }

  function Compare(root) {
    this.root = root;
    this.viewport = root.querySelector("[data-compare-viewport]");
    this.clip = root.querySelector("[data-compare-clip]");
    this.divider = root.querySelector("[data-compare-divider]");
    this.layers = root.querySelectorAll("[data-compare-layer]");
    this.position = 50;
    this.zoom = 1;
    this.panX = 0;
    this.panY = 0;
    this.drag = null;
    this.bind();
    this.setPosition(50);
    this.apply();
  }

  Compare.prototype.bind = function () {
    var self = this;
    this.divider.addEventListener("pointerdown", function (e) {
      e.preventDefault();
      e.stopPropagation();
      self.divider.setPointerCapture(e.pointerId);
      self.drag = { kind: "divider" };
    });
    this.divider.addEventListener("pointermove", function (e) {
      if (self.drag && self.drag.kind === "divider") self.setPosition(self.percentAt(e.clientX));
    });
    this.divider.addEventListener("keydown", function (e) { self.key(e); });
    this.viewport.addEventListener("pointerdown", function (e) {
      if (e.button > 0) return;
      self.viewport.setPointerCapture(e.pointerId);
      self.drag = { kind: "pan", x: e.clientX, y: e.clientY, panX: self.panX, panY: self.panY, moved: false };
    });
    this.viewport.addEventListener("pointermove", function (e) {
      var d = self.drag;
      if (!d || d.kind !== "pan") return;
      var dx = e.clientX - d.x, dy = e.clientY - d.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) d.moved = true;
      if (self.zoom > 1 && d.moved) {
        self.panX = d.panX + dx;
        self.panY = d.panY + dy;
        self.apply();
      }
    });
    var stop = function (e) {
      var d = self.drag;
      // A click (no drag) on the picture moves the divider there.
      if (d && d.kind === "pan" && !d.moved && e.type === "pointerup") self.setPosition(self.percentAt(e.clientX));
      self.drag = null;
    };
    ["pointerup", "pointercancel"].forEach(function (type) {
      self.viewport.addEventListener(type, stop);
      self.divider.addEventListener(type, stop);
    });
    this.viewport.addEventListener("wheel", function (e) {
      e.preventDefault();
      var rect = self.viewport.getBoundingClientRect();
      var factor = e.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP;
      self.setZoom(self.zoom * factor, e.clientX - rect.left, e.clientY - rect.top);
    }, { passive: false });
    this.root.querySelectorAll("[data-compare-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-compare-zoom");
        var rect = self.viewport.getBoundingClientRect();
        if (how === "fit") self.setZoom(1);
        else self.setZoom(self.zoom * (how === "in" ? ZOOM_STEP : 1 / ZOOM_STEP), rect.width / 2, rect.height / 2);
      });
    });
  };

  Compare.prototype.percentAt = function (clientX) {
    var rect = this.viewport.getBoundingClientRect();
    return 100 * (clientX - rect.left) / rect.width;
  };

  Compare.prototype.setPosition = function (percent) {
    this.position = clamp(percent, 0, 100);
    var rounded = Math.round(this.position);
    this.clip.style.clipPath = "inset(0 0 0 " + this.position + "%)";
    this.divider.style.left = this.position + "%";
    this.divider.setAttribute("aria-valuenow", String(rounded));
    this.divider.setAttribute("aria-valuetext", rounded + " %: before on the left, after on the right");
  };

  Compare.prototype.key = function (e) {
    var step = e.shiftKey ? 10 : 2;
    var next = { ArrowLeft: this.position - step, ArrowDown: this.position - step,
                 ArrowRight: this.position + step, ArrowUp: this.position + step,
                 Home: 0, End: 100, PageDown: this.position - 10, PageUp: this.position + 10 }[e.key];
    if (next === undefined) {
      if (e.key === "+" || e.key === "=") this.setZoom(this.zoom * ZOOM_STEP);
      else if (e.key === "-") this.setZoom(this.zoom / ZOOM_STEP);
      else return;
    } else {
      this.setPosition(next);
    }
    e.preventDefault();
  };

  // Zoom about a point of the viewport (its centre by default), keeping that point still.
  Compare.prototype.setZoom = function (zoom, x, y) {
    var rect = this.viewport.getBoundingClientRect();
    x = x === undefined ? rect.width / 2 : x;
    y = y === undefined ? rect.height / 2 : y;
    var next = clamp(zoom, 1, MAX_ZOOM);
    this.panX = x - (x - this.panX) * (next / this.zoom);
    this.panY = y - (y - this.panY) * (next / this.zoom);
    this.zoom = next;
    if (next === 1) { this.panX = 0; this.panY = 0; }
    this.apply();
  };

  Compare.prototype.apply = function () {
    var rect = this.viewport.getBoundingClientRect();
    // Keep the picture covering the viewport: no panning past its edges.
    this.panX = clamp(this.panX, rect.width * (1 - this.zoom), 0);
    this.panY = clamp(this.panY, rect.height * (1 - this.zoom), 0);
    var transform = "translate(" + this.panX + "px, " + this.panY + "px) scale(" + this.zoom + ")";
    this.layers.forEach(function (layer) { layer.style.transform = transform; });
    this.viewport.classList.toggle("zoomed", this.zoom > 1);
  };

  function scan(element) {
    if (!element || !element.querySelectorAll) return;
    var found = Array.prototype.slice.call(element.querySelectorAll("[data-compare]"));
    if (element.matches && element.matches("[data-compare]")) found.push(element);
    found.forEach(function (root) {
      if (root.compare) return;
      root.compare = new Compare(root);
    });
  }

  document.addEventListener("htmx:load", function (event) { scan(event.detail.elt); });
  scan(document.body);
})();
