// The Edit Studio's mask editor: paint over the picked image where it should change.
// Brush and eraser, brush size, undo, clear, invert and zoom (the mask stays aligned: image and
// canvas sit in one stage that is scaled as a whole). On submit the mask is exported at the
// image's natural pixel size, white where painted on black, as a PNG attached to the form's
// <input type="file" name="mask"> through DataTransfer, so the form posts multipart as usual.
// No dependencies; without JavaScript the form offers a mask upload instead.
(function () {
  "use strict";

  var MAX_WORK_SIDE = 4096; // the painting canvas never exceeds this; the export is full size
  var UNDO_LIMIT = 30;
  var PAINT = "rgb(255, 0, 102)"; // shown at half opacity over the image (studio.css)
  var ZOOM_STEP = 1.25;

  function MaskEditor(root) {
    this.root = root;
    this.form = root.closest("form");
    this.input = document.getElementById(root.getAttribute("data-mask-input"));
    this.image = root.querySelector("[data-mask-image]");
    this.canvas = root.querySelector("[data-mask-canvas]");
    this.ctx = this.canvas.getContext("2d");
    this.stage = root.querySelector("[data-stage]");
    this.viewport = root.querySelector("[data-viewport]");
    this.status = root.querySelector("[data-mask-status]");
    this.sizeInput = root.querySelector("[data-brush-size]");
    this.sizeOutput = root.querySelector("[data-brush-size-value]");
    this.zoomOutput = root.querySelector("[data-zoom-value]");
    this.undoButton = root.querySelector('[data-action="undo"]');
    this.tool = "brush";
    this.zoom = 1;
    this.undo = [];
    this.natural = null;
    this.painted = false;
    this.last = null;
    this.bind();
    var picked = this.form.querySelector('input[name="assets"]:checked');
    if (picked) this.load(picked);
  }

  MaskEditor.prototype.bind = function () {
    var self = this;
    this.root.querySelectorAll("[data-tool]").forEach(function (button) {
      button.addEventListener("click", function () { self.setTool(button.getAttribute("data-tool")); });
    });
    this.root.querySelectorAll("[data-action]").forEach(function (button) {
      button.addEventListener("click", function () { self.act(button.getAttribute("data-action")); });
    });
    this.sizeInput.addEventListener("input", function () { self.sizeOutput.textContent = self.sizeInput.value; });
    this.canvas.addEventListener("pointerdown", function (e) { self.start(e); });
    this.canvas.addEventListener("pointermove", function (e) { self.move(e); });
    this.canvas.addEventListener("pointerup", function (e) { self.end(e); });
    this.canvas.addEventListener("pointercancel", function (e) { self.end(e); });
    this.form.addEventListener("change", function (e) {
      if (e.target.name === "assets" && e.target.checked) self.load(e.target);
    });
    this.form.addEventListener("submit", function (e) { self.submit(e); });
  };

  MaskEditor.prototype.load = function (radio) {
    var width = parseInt(radio.getAttribute("data-width"), 10);
    var height = parseInt(radio.getAttribute("data-height"), 10);
    if (!width || !height) return;
    var scale = Math.min(1, MAX_WORK_SIDE / Math.max(width, height));
    this.natural = { width: width, height: height };
    this.canvas.width = Math.round(width * scale);
    this.canvas.height = Math.round(height * scale);
    this.undo = [];
    this.painted = false;
    this.updateUndo();
    this.image.src = radio.getAttribute("data-src");
    this.root.hidden = false;
    this.fit();
    this.say("Paint over what to change (" + width + "×" + height + " px image).");
  };

  MaskEditor.prototype.say = function (text) {
    this.status.textContent = text;
  };

  MaskEditor.prototype.setTool = function (tool) {
    this.tool = tool;
    this.root.querySelectorAll("[data-tool]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-tool") === tool));
    });
  };

  MaskEditor.prototype.act = function (action) {
    if (!this.natural) return;
    if (action === "undo") this.popUndo();
    else if (action === "clear") { this.pushUndo(); this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height); this.painted = false; }
    else if (action === "invert") this.invert();
    else if (action === "zoom-in") this.setZoom(this.zoom * ZOOM_STEP);
    else if (action === "zoom-out") this.setZoom(this.zoom / ZOOM_STEP);
    else if (action === "zoom-fit") this.fit();
  };

  // Zoom scales the stage (image and canvas together) in CSS pixels; the viewport scrolls.
  MaskEditor.prototype.setZoom = function (zoom) {
    this.zoom = Math.max(0.05, Math.min(zoom, 8));
    this.stage.style.width = Math.round(this.natural.width * this.zoom) + "px";
    this.stage.style.height = Math.round(this.natural.height * this.zoom) + "px";
    this.zoomOutput.textContent = Math.round(this.zoom * 100) + " %";
  };

  MaskEditor.prototype.fit = function () {
    if (!this.natural) return;
    var width = this.viewport.clientWidth || this.natural.width;
    this.setZoom(Math.min(1, width / this.natural.width));
  };

  MaskEditor.prototype.pushUndo = function () {
    this.undo.push(this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height));
    if (this.undo.length > UNDO_LIMIT) this.undo.shift();
    this.updateUndo();
  };

  MaskEditor.prototype.popUndo = function () {
    var snapshot = this.undo.pop();
    if (snapshot) this.ctx.putImageData(snapshot, 0, 0);
    this.updateUndo();
  };

  MaskEditor.prototype.updateUndo = function () {
    this.undoButton.disabled = this.undo.length === 0;
  };

  MaskEditor.prototype.invert = function () {
    this.pushUndo();
    var tmp = document.createElement("canvas");
    tmp.width = this.canvas.width;
    tmp.height = this.canvas.height;
    var t = tmp.getContext("2d");
    t.fillStyle = PAINT;
    t.fillRect(0, 0, tmp.width, tmp.height);
    t.globalCompositeOperation = "destination-out";
    t.drawImage(this.canvas, 0, 0);
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.ctx.globalCompositeOperation = "source-over";
    this.ctx.drawImage(tmp, 0, 0);
    this.painted = true;
  };

  MaskEditor.prototype.point = function (event) {
    var rect = this.canvas.getBoundingClientRect();
    var ratio = this.canvas.width / rect.width;
    return { x: (event.clientX - rect.left) * ratio, y: (event.clientY - rect.top) * ratio, ratio: ratio };
  };

  MaskEditor.prototype.stroke = function (from, to) {
    var c = this.ctx;
    c.globalCompositeOperation = this.tool === "eraser" ? "destination-out" : "source-over";
    c.strokeStyle = PAINT;
    c.fillStyle = PAINT;
    c.lineCap = "round";
    c.lineJoin = "round";
    c.lineWidth = parseInt(this.sizeInput.value, 10) * to.ratio; // the brush size is screen pixels
    c.beginPath();
    c.moveTo(from.x, from.y);
    c.lineTo(to.x + 0.01, to.y);
    c.stroke();
  };

  MaskEditor.prototype.start = function (event) {
    if (!this.natural || event.button > 0) return;
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    this.pushUndo();
    this.last = this.point(event);
    this.stroke(this.last, this.last);
  };

  MaskEditor.prototype.move = function (event) {
    if (!this.last) return;
    var next = this.point(event);
    this.stroke(this.last, next);
    this.last = next;
  };

  MaskEditor.prototype.end = function () {
    if (!this.last) return;
    this.last = null;
    this.painted = true;
    this.say("Painted. Keep painting, or submit to edit the image.");
  };

  MaskEditor.prototype.hasPaint = function () {
    if (!this.natural || !this.painted) return false;
    var data = this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height).data;
    for (var i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
    return false;
  };

  // White where painted on black, at the image's natural pixel size.
  MaskEditor.prototype.exportMask = function (done) {
    var white = document.createElement("canvas");
    white.width = this.canvas.width;
    white.height = this.canvas.height;
    var w = white.getContext("2d");
    w.drawImage(this.canvas, 0, 0);
    w.globalCompositeOperation = "source-in";
    w.fillStyle = "#fff";
    w.fillRect(0, 0, white.width, white.height);
    var out = document.createElement("canvas");
    out.width = this.natural.width;
    out.height = this.natural.height;
    var o = out.getContext("2d");
    o.fillStyle = "#000";
    o.fillRect(0, 0, out.width, out.height);
    o.imageSmoothingEnabled = false;
    o.drawImage(white, 0, 0, out.width, out.height);
    out.toBlob(done, "image/png");
  };

  MaskEditor.prototype.usesMask = function () {
    var kind = this.form.querySelector('input[name="kind"]:checked');
    var kinds = (this.form.getAttribute("data-mask-kinds") || "").split(/\s+/);
    return !!kind && kinds.indexOf(kind.value) >= 0;
  };

  MaskEditor.prototype.submit = function (event) {
    if (this.exported || !this.usesMask() || !this.hasPaint()) return;
    event.preventDefault();
    var self = this;
    var submitter = event.submitter;
    this.say("Preparing the mask…");
    this.exportMask(function (blob) {
      var transfer = new DataTransfer();
      transfer.items.add(new File([blob], "mask.png", { type: "image/png" }));
      self.input.files = transfer.files;
      self.exported = true;
      if (self.form.requestSubmit) self.form.requestSubmit(submitter || undefined);
      else self.form.submit();
    });
  };

  document.querySelectorAll("[data-mask-editor]").forEach(function (root) {
    new MaskEditor(root);
  });
})();
