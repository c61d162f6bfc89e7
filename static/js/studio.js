// Small progressive enhancements of the studio forms; every page works without them.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var all = event.target.closest("[data-check-all]");
    var none = event.target.closest("[data-check-none]");
    var button = all || none;
    if (button) {
      var name = button.getAttribute(all ? "data-check-all" : "data-check-none");
      var form = button.closest("form");
      form.querySelectorAll('input[name="' + name + '"]').forEach(function (box) { box.checked = !!all; });
      form.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }
    // Clicking the crop preview sets the focal point (percent of width and height).
    var target = event.target.closest("[data-focal-target] img");
    if (target) {
      var rect = target.getBoundingClientRect();
      var form2 = target.closest("form");
      form2.elements.focal_x.value = (100 * (event.clientX - rect.left) / rect.width).toFixed(1);
      form2.elements.focal_y.value = (100 * (event.clientY - rect.top) / rect.height).toFixed(1);
      form2.elements.crop_mode.value = "focal";
      form2.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  // Compression presets fill the fields they stand for; editing a field switches to Custom.
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[name=preset]");
    if (!select) return;
    var option = select.selectedOptions[0];
    var form = select.closest("form");
    ["format", "quality", "target_kb"].forEach(function (name) {
      var value = option.getAttribute("data-" + name.replace("_", "-"));
      if (value !== null && form.elements[name]) form.elements[name].value = value;
    });
    ["strip", "progressive"].forEach(function (name) {
      var flag = option.getAttribute("data-" + name);
      if (flag !== null) form.elements[name].checked = flag === "1";
    });
  });
  // Editing a field by hand after picking a preset makes the settings custom.
  document.addEventListener("change", function (event) {
    if (["format", "quality", "target_kb", "strip", "progressive"].indexOf(event.target.name) < 0) return;
    var preset = event.target.form && event.target.form.elements.preset;
    if (preset) preset.value = "";
  });
  document.addEventListener("input", function (event) {
    if (event.target.name === "quality") {
      var out = document.getElementById("quality-value");
      if (out) out.textContent = event.target.value;
    }
  });
})();
