// Star ratings on the guest's feedback form (templates/feedback/partials/stars.html).
//
// The radios are the form's truth, and stay in the page: a tap or click on a star is a click on
// its label, and the keyboard works as for any radio group (Tab into the group, arrow keys to
// move and choose, a visible focus ring). This script only draws the choice: stars filled up to
// it, its word below, and a preview under a mouse. Without it the radios show as a plain list.
(function () {
  "use strict";

  function enhance(group) {
    var options = Array.prototype.slice.call(group.querySelectorAll(".star-option"));
    var caption = group.querySelector("[data-star-caption]");

    function chosen() {
      var checked = group.querySelector(".star-input:checked");
      return checked && checked.value ? Number(checked.value) : 0;
    }

    function fill(value, className) {
      options.forEach(function (option) {
        option.classList.toggle(className, Number(option.dataset.star) <= value);
      });
    }

    function show() {
      var value = chosen();
      fill(value, "is-on");
      group.classList.toggle("has-value", value > 0);
      if (caption) {
        caption.textContent = value ? options[value - 1].dataset.caption : caption.dataset.empty;
      }
    }

    options.forEach(function (option) {
      option.addEventListener("pointerenter", function (event) {
        if (event.pointerType !== "mouse") return;
        fill(Number(option.dataset.star), "is-preview");
        group.classList.add("is-previewing");
      });
      option.addEventListener("pointerleave", function () {
        fill(0, "is-preview");
        group.classList.remove("is-previewing");
      });
    });
    group.addEventListener("change", show);
    group.classList.add("stars-enhanced");
    show();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-star-rating]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
