// The main menu collapses behind a "Menu" button on narrow screens (issue 8 point 12).
// A static file, no inline script: the Content-Security-Policy allows scripts from 'self' only.
(function () {
  "use strict";
  var button = document.querySelector("[data-menu-toggle]");
  var menu = document.getElementById("main-menu");
  if (!button || !menu) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = menu.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
