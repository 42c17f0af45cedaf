// Mallkit storefront: small enhancements. Every page works without this file.
(function () {
  "use strict";

  // Forms marked data-autosubmit (language, filters) apply a choice as soon as it is made.
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      if (event.target.matches("select, input[type=checkbox], input[type=radio]")) {
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }
    });
  });
  // Controls that belong to a form through their form="" attribute (the sort menu).
  document.querySelectorAll("[data-autosubmit-control]").forEach(function (control) {
    control.addEventListener("change", function () {
      var form = control.form;
      if (form) {
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }
    });
  });

  // On a phone the filters start folded so the products come first.
  var phone = window.matchMedia("(max-width: 899px)");
  document.querySelectorAll("details[data-collapse-on-phone]").forEach(function (details) {
    var sync = function () {
      details.open = !phone.matches;
    };
    sync();
    phone.addEventListener("change", sync);
  });

  // Gallery: a thumbnail shows its picture in the main frame instead of opening the big file.
  document.querySelectorAll("[data-gallery]").forEach(function (gallery) {
    var main = gallery.querySelector("[data-gallery-main]");
    var image = main && main.querySelector("img");
    if (!image) {
      return;
    }
    gallery.querySelectorAll("[data-gallery-thumb]").forEach(function (thumb) {
      thumb.addEventListener("click", function (event) {
        if (event.metaKey || event.ctrlKey || event.shiftKey) {
          return;
        }
        event.preventDefault();
        image.src = thumb.dataset.src;
        if (thumb.dataset.width) {
          image.width = Number(thumb.dataset.width);
          image.height = Number(thumb.dataset.height);
        }
        image.alt = thumb.dataset.alt || "";
        main.href = thumb.href;
        gallery.querySelectorAll("[data-gallery-thumb]").forEach(function (other) {
          other.removeAttribute("aria-current");
        });
        thumb.setAttribute("aria-current", "true");
      });
    });
  });

  // Variant picker: switch price, stock and SKU in place; the URL keeps the choice.
  var picker = document.querySelector("[data-variant-picker]");
  var dataElement = document.getElementById("variant-data");
  if (picker && dataElement) {
    var variants = JSON.parse(dataElement.textContent);
    var price = document.querySelector("[data-price]");
    var compareWrap = document.querySelector("[data-compare-at-wrap]");
    var compareAt = document.querySelector("[data-compare-at]");
    var priceBlock = document.querySelector("[data-price-block]");
    var stock = document.querySelector("[data-stock]");
    var sku = document.querySelector("[data-sku]");
    var saleBadge = document.querySelector("[data-sale-badge]");

    picker.addEventListener("change", function () {
      var chosen = {};
      new FormData(picker).forEach(function (value, key) {
        chosen[key] = value;
      });
      var match = variants.find(function (variant) {
        return Object.keys(chosen).every(function (key) {
          return variant.options[key] === chosen[key];
        });
      });
      if (priceBlock) {
        priceBlock.hidden = !match;
      }
      if (match && price) {
        price.textContent = match.price;
        price.classList.toggle("price__now--sale", Boolean(match.compare_at));
        compareAt.textContent = match.compare_at;
        compareWrap.hidden = !match.compare_at;
      }
      if (saleBadge) {
        saleBadge.hidden = !(match && match.compare_at);
      }
      if (stock) {
        stock.textContent = match ? match.stock : stock.dataset.unavailable;
        stock.className = "stock stock--" + (match ? match.stock_code : "unavailable");
      }
      if (sku && match) {
        sku.textContent = match.sku;
      }
      var query = new URLSearchParams(chosen).toString();
      window.history.replaceState(null, "", query ? "?" + query : window.location.pathname);
    });
  }
})();
