// Parts of a form shown or hidden by another field (order form, registration).
// A static file driven by data-* attributes: the Content-Security-Policy allows no inline script.
//
// On the part to show or hide:
//   data-show-if="<CSS selector of the controlling field(s)>"
//   data-show-when="empty"            shown while the field's value is empty (a "new ..." choice)
//   data-show-when="unchecked"        shown while the checkbox is not ticked
//   data-show-when="is:a b"           shown while the value is one of a, b
//   data-show-when="not:a b"          shown while the value is none of a, b
//   data-show-default="a"             value of a radio group with nothing ticked
// A <details> opens whenever it is shown.
(function () {
  "use strict";

  function valueOf(controls, fallback) {
    var first = controls[0];
    if (first.type === "radio") {
      for (var i = 0; i < controls.length; i++) {
        if (controls[i].checked) {
          return controls[i].value;
        }
      }
      return fallback;
    }
    if (first.type === "checkbox") {
      return first.checked ? first.value || "on" : "";
    }
    return first.value;
  }

  function shown(rule, controls, fallback) {
    var value = valueOf(controls, fallback);
    if (rule === "empty") {
      return value === "";
    }
    if (rule === "unchecked") {
      return !controls[0].checked;
    }
    var colon = rule.indexOf(":");
    var values = rule.slice(colon + 1).split(" ");
    var member = values.indexOf(value) !== -1;
    return rule.slice(0, colon) === "is" ? member : !member;
  }

  document.querySelectorAll("[data-show-if]").forEach(function (part) {
    var controls;
    try {
      controls = document.querySelectorAll(part.getAttribute("data-show-if"));
    } catch (error) {
      return; // a field the form does not have ("#" alone)
    }
    if (!controls.length) {
      return;
    }
    var rule = part.getAttribute("data-show-when") || "empty";
    var fallback = part.getAttribute("data-show-default") || "";
    function update() {
      var visible = shown(rule, controls, fallback);
      if (visible && part.tagName === "DETAILS") {
        part.open = true;
      }
      part.hidden = !visible;
    }
    controls.forEach(function (control) {
      control.addEventListener("change", update);
    });
    update();
  });
})();
