// The phone menu. Loaded in <head> without defer so the "js" class is set before the first paint:
// only then does the stylesheet fold the navigation behind the Menu button, so without this
// script (or JavaScript) every link stays on the page.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".menu-toggle");
    if (!button) return;
    button.setAttribute("aria-expanded", String(button.getAttribute("aria-expanded") !== "true"));
  });
  document.addEventListener("keydown", function (event) {
    var button = document.querySelector('.menu-toggle[aria-expanded="true"]');
    if (event.key === "Escape" && button) {
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
})();
