// Mallkit member features: keeps the product page's "Add to cart" on the variant the picker
// shows. Every form works without this file (it then posts and the page reloads).
(function () {
  "use strict";

  var form = document.querySelector("[data-product-add]");
  var skuText = document.querySelector("[data-sku]");
  if (!form || !skuText) {
    return;
  }
  var skuInput = form.querySelector("[data-product-add-sku]");
  var button = form.querySelector("[data-product-add-button]");
  var stock = document.querySelector("[data-stock]");

  // The storefront's picker script rewrites the SKU and stock texts; follow what it shows.
  var sync = function () {
    skuInput.value = skuText.textContent.trim();
    if (stock && button) {
      button.disabled = /stock--(out|unavailable)/.test(stock.className);
    }
  };
  new MutationObserver(sync).observe(skuText, { childList: true, characterData: true, subtree: true });
  if (stock) {
    new MutationObserver(sync).observe(stock, { attributes: true, attributeFilter: ["class"] });
  }
})();
