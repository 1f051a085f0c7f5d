/* The procedure builder's enhancements. Every action also works without this script:
   drag a question to move it (the 移動先 page does the same), the やさしい日本語 check as you
   type (the server checks again on save), and the condition's answers narrowed to the chosen question. */
(function () {
  "use strict";

  // ---- やさしい日本語: check as you type ----
  function debounce(fn, wait) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, wait);
    };
  }
  document.querySelectorAll("[data-easyja]").forEach(function (input) {
    var box = document.getElementById(input.id + "-advice");
    if (!box) { return; }
    var run = debounce(function () {
      var url = input.getAttribute("data-easyja") + "?text=" + encodeURIComponent(input.value);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { advice: [] }; })
        .then(function (data) {
          box.textContent = "";
          (data.advice || []).forEach(function (text) {
            var p = document.createElement("p");
            p.className = "builder-item-note";
            p.textContent = text;
            box.appendChild(p);
          });
        })
        .catch(function () { /* the check on save still runs */ });
    }, 400);
    input.addEventListener("input", run);
  });

  // ---- conditions: offer only the answers of the chosen question ----
  var whenField = document.getElementById("when_field");
  function narrow() {
    ["when_value", "when_values"].forEach(function (id) {
      var select = document.getElementById(id);
      if (!select) { return; }
      select.querySelectorAll("optgroup").forEach(function (group) {
        var match = group.getAttribute("data-field") === whenField.value;
        group.hidden = !match;
        group.disabled = !match;
      });
    });
  }
  if (whenField) {
    whenField.addEventListener("change", narrow);
    narrow();
  }

  // ---- drag a question to move it ----
  var dragged = null;
  function topItems(list) {
    return Array.prototype.filter.call(list.children, function (li) {
      return li.classList.contains("builder-item") && !li.classList.contains("builder-child");
    });
  }
  function send(li, stepId, position) {
    var form = document.getElementById("builder-drag-form");
    if (!form) { return; }
    form.querySelector("input[name=path]").value = li.getAttribute("data-path");
    form.querySelector("input[name=target]").value = stepId + ":" + position;
    form.submit();
  }
  document.querySelectorAll(".builder-item[draggable=true]").forEach(function (li) {
    li.addEventListener("dragstart", function (event) {
      dragged = li;
      li.classList.add("builder-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", li.getAttribute("data-path"));
    });
    li.addEventListener("dragend", function () {
      li.classList.remove("builder-dragging");
      document.querySelectorAll(".builder-drop-before, .builder-drop-after").forEach(function (el) {
        el.classList.remove("builder-drop-before", "builder-drop-after");
      });
    });
  });
  document.querySelectorAll(".builder-step").forEach(function (section) {
    var list = section.querySelector("ol.builder-items");
    if (!list) { return; }
    function place(event) {
      var items = topItems(list);
      for (var i = 0; i < items.length; i++) {
        var box = items[i].getBoundingClientRect();
        if (event.clientY < box.top + box.height / 2) { return { index: i, el: items[i], before: true }; }
      }
      return { index: items.length, el: items[items.length - 1], before: false };
    }
    section.addEventListener("dragover", function (event) {
      if (!dragged) { return; }
      event.preventDefault();
      document.querySelectorAll(".builder-drop-before, .builder-drop-after").forEach(function (el) {
        el.classList.remove("builder-drop-before", "builder-drop-after");
      });
      var spot = place(event);
      if (spot.el) { spot.el.classList.add(spot.before ? "builder-drop-before" : "builder-drop-after"); }
    });
    section.addEventListener("drop", function (event) {
      if (!dragged) { return; }
      event.preventDefault();
      var spot = place(event);
      send(dragged, section.getAttribute("data-step"), spot.index);
    });
  });
})();
