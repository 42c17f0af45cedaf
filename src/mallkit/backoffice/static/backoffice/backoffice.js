// Mallkit back office: small enhancements. Every page works without this file.
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // A rendition not made yet (pictures loaded in bulk): show the original instead.
  document.addEventListener("error", function (event) {
    var img = event.target;
    if (img.tagName === "IMG" && img.dataset.fallback && img.src !== img.dataset.fallback) {
      img.src = img.dataset.fallback;
    }
  }, true);

  // Forms that destroy something ask first.
  document.addEventListener("submit", function (event) {
    var message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Product list: tick all, and show only the inputs the chosen bulk action needs.
  function initBulk() {
    var all = document.querySelector("[data-check-all]");
    var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name=products]"));
    var count = document.querySelector("[data-bulk-count]");
    var initialText = count ? count.textContent : "";
    function update() {
      var ticked = boxes.filter(function (box) { return box.checked; }).length;
      if (count) {
        count.textContent = ticked ? ticked + " ✓" : initialText;
      }
      if (all) {
        all.checked = ticked > 0 && ticked === boxes.length;
        all.indeterminate = ticked > 0 && ticked < boxes.length;
      }
    }
    if (all) {
      all.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = all.checked; });
        update();
      });
    }
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    var action = document.querySelector("[data-bulk-action]");
    if (action) {
      var showExtras = function () {
        document.querySelectorAll("[data-bulk-for]").forEach(function (extra) {
          extra.hidden = extra.dataset.bulkFor !== action.value;
        });
      };
      action.addEventListener("change", showExtras);
      showExtras();
    }
  }

  // Product form: grey out rows ticked for removal; add rows from the empty form.
  function initVariants(root) {
    root.querySelectorAll("[data-variant-row] input[name$='-DELETE']").forEach(function (box) {
      var row = box.closest("[data-variant-row]");
      var sync = function () { row.classList.toggle("removed", box.checked); };
      box.addEventListener("change", sync);
      sync();
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-variant]");
    if (!button) {
      return;
    }
    var template = document.getElementById("variant-template");
    var total = document.querySelector("input[name=variants-TOTAL_FORMS]");
    var rows = document.querySelector("[data-variant-rows]");
    if (!template || !total || !rows) {
      return;
    }
    event.preventDefault();
    var index = parseInt(total.value, 10) || 0;
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    initVariants(rows.lastElementChild.parentNode);
    var first = rows.lastElementChild.querySelector("input[type=text]");
    if (first) {
      first.focus();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    initVariants(event.target);
  });

  // Pictures: drop files (or pick them) and each uploads on its own, with its own answer.
  function initUpload() {
    var form = document.querySelector("[data-upload]");
    if (!form) {
      return;
    }
    var zone = form.querySelector("[data-dropzone]");
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector("[data-upload-list]");
    var url = form.dataset.uploadUrl;

    function uploadOne(file) {
      var item = document.createElement("li");
      item.textContent = file.name + " …";
      list.appendChild(item);
      var data = new FormData();
      data.append("images", file);
      return fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.ok) {
            item.className = "done";
            item.textContent = file.name + " ✓";
            return true;
          }
          item.className = "failed";
          item.textContent = (body.errors || [file.name + ": upload failed."]).join(" ");
          return false;
        });
      }).catch(function () {
        item.className = "failed";
        item.textContent = file.name + ": the connection failed.";
        return false;
      });
    }

    function uploadAll(files) {
      list.innerHTML = "";
      var chain = Promise.resolve();
      var added = 0;
      Array.prototype.forEach.call(files, function (file) {
        chain = chain.then(function () {
          return uploadOne(file).then(function (ok) { added += ok ? 1 : 0; });
        });
      });
      chain.then(function () {
        var failed = list.querySelector(".failed");
        if (added && !failed) {
          window.location.reload();
        } else if (added) {
          var again = document.createElement("li");
          again.innerHTML = "<a href=''>↻</a>";
          list.appendChild(again);
        }
      });
    }

    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragover");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.remove("dragover");
      });
    });
    zone.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) {
        uploadAll(event.dataTransfer.files);
      }
    });
    form.addEventListener("submit", function (event) {
      if (input.files.length) {
        event.preventDefault();
        uploadAll(input.files);
      }
    });
  }

  // Pictures: drag a picture onto another to reorder; the new order is saved at once.
  function initSortable() {
    var gallery = document.querySelector("[data-sortable][data-order-url]");
    if (!gallery) {
      return;
    }
    var dragged = null;
    gallery.addEventListener("dragstart", function (event) {
      dragged = event.target.closest(".gallery-item");
      if (dragged) {
        dragged.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
      }
    });
    gallery.addEventListener("dragend", function () {
      if (dragged) {
        dragged.classList.remove("dragging");
      }
      gallery.querySelectorAll(".drop-target").forEach(function (el) {
        el.classList.remove("drop-target");
      });
      dragged = null;
    });
    gallery.addEventListener("dragover", function (event) {
      var target = event.target.closest(".gallery-item");
      if (dragged && target && target !== dragged) {
        event.preventDefault();
        target.classList.add("drop-target");
      }
    });
    gallery.addEventListener("dragleave", function (event) {
      var target = event.target.closest(".gallery-item");
      if (target) {
        target.classList.remove("drop-target");
      }
    });
    gallery.addEventListener("drop", function (event) {
      var target = event.target.closest(".gallery-item");
      if (!dragged || !target || target === dragged) {
        return;
      }
      event.preventDefault();
      var items = Array.prototype.slice.call(gallery.children);
      if (items.indexOf(dragged) < items.indexOf(target)) {
        target.after(dragged);
      } else {
        target.before(dragged);
      }
      var data = new URLSearchParams();
      Array.prototype.forEach.call(gallery.children, function (item) {
        data.append("order", item.dataset.id);
      });
      fetch(gallery.dataset.orderUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      }).then(function () { window.location.reload(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initBulk();
    initVariants(document);
    initUpload();
    initSortable();
  });
})();
