// Detection and rendering read the whole original and can take minutes on a long clip: say so,
// and stop a second press from starting the same work again.
(function () {
  "use strict";
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      var status = form.querySelector("[role=status]");
      if (button) button.disabled = true;
      if (status) status.textContent = form.getAttribute("data-busy");
    });
  });
})();
