// Filling in a test card is a convenience only; the form works without it. The ids of the fields
// come from the script element's data attributes (no inline script under the CSP).
(function () {
  var fields = document.currentScript.dataset;
  document.querySelectorAll(".sbx-use").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      document.getElementById(fields.number).value = button.dataset.card;
      var expiry = document.getElementById(fields.expiry);
      var cvc = document.getElementById(fields.cvc);
      if (!expiry.value) { expiry.value = "12 / " + String(new Date().getFullYear() + 3).slice(2); }
      if (!cvc.value) { cvc.value = "123"; }
    });
  });
})();
