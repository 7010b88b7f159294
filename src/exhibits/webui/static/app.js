// Small progressive enhancement shared by every page. The pages work without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Confirm destructive actions (forms marked data-confirm).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  // Move focus to the first error summary so screen readers announce it.
  var alert = document.querySelector(".alert[tabindex]");
  if (alert) alert.focus();
});
