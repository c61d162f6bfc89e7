// The AI studio forms (Create, Edit, Upscale, Control): show the sections the chosen kind and
// model use, fill a platform template's settings, show slider values, and tell the model
// picker when the images or the kind change. Every page works without this file.
(function () {
  "use strict";

  function words(text) {
    return (text || "").split(/\s+/).filter(Boolean);
  }

  function currentKind(form) {
    var kind = form.querySelector('input[name="kind"]:checked, select[name="kind"]');
    return kind ? kind.value : "";
  }

  // The parameters the checked model declares (AIModel.params); null when unknown.
  function modelParams(form) {
    var radio = form.querySelector('input[name="model"]:checked');
    var params = radio ? words(radio.getAttribute("data-params")) : [];
    return params.length ? params : null;
  }

  function hasErrors(el) {
    return !!el.querySelector(".errorlist");
  }

  function refresh(form) {
    var kind = currentKind(form);
    if (kind) {
      form.querySelectorAll("[data-kinds]").forEach(function (el) {
        el.hidden = words(el.getAttribute("data-kinds")).indexOf(kind) < 0 && !hasErrors(el);
      });
    }
    var params = modelParams(form);
    form.querySelectorAll("[data-param]").forEach(function (el) {
      el.hidden = params !== null && params.indexOf(el.getAttribute("data-param")) < 0 && !hasErrors(el);
    });
  }

  function showValue(input) {
    var output = document.querySelector('output[data-value-of="' + input.id + '"]');
    if (output) output.textContent = input.value;
  }

  // A platform template fills the aspect ratio, style, Auto mode and recommended model.
  function applyTemplate(select) {
    var form = select.form;
    var option = select.selectedOptions[0];
    var info = form.querySelector("[data-template-info]");
    if (!option || !option.value) {
      if (info) info.textContent = "Pick a template to fill the aspect ratio, style and model.";
      return;
    }
    var data = option.dataset;
    if (form.elements.aspect) form.elements.aspect.value = data.aspect;
    if (form.elements.style) form.elements.style.value = data.style || "";
    if (form.elements.mode) form.elements.mode.value = data.mode;
    var model = form.querySelector('input[name="model"][value="' + data.model + '"]');
    var auto = form.querySelector('input[name="model"][value="auto"]');
    if (model && !model.disabled) model.checked = true;
    else if (auto && !auto.disabled) auto.checked = true;
    if (form.elements.apply_template) form.elements.apply_template.checked = true;
    if (info) {
      info.textContent = data.size + " px, made at " + data.aspect + ": " + data.description +
        " Your prompt becomes “" + data.prompt + "”." +
        (model && model.disabled ? " Its recommended model is not available here, so Auto picks one." : "");
    }
    refresh(form);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var form = target.form || target.closest("form");
    if (!form || !form.classList.contains("ai-form")) return;
    if (target.name === "assets" || target.name === "kind" || target.name === "mode") {
      form.dispatchEvent(new CustomEvent("studio:inputs", { bubbles: true }));
    }
    if (target.matches("[data-template-select]")) applyTemplate(target);
    refresh(form);
  });

  document.addEventListener("input", function (event) {
    if (event.target.type === "range") showValue(event.target);
  });

  // The model picker is swapped in by HTMX: show the fields its checked model uses.
  document.addEventListener("htmx:load", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("form.ai-form");
    if (form) refresh(form);
  });

  document.querySelectorAll("form.ai-form").forEach(refresh);
})();
