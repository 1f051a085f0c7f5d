// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  function valueOf(id) {
    var wrap = document.getElementById(id + "-wrap");
    if (!wrap) { return null; }
    if (wrap.querySelector("input[type=radio]")) {
      // A question not answered yet shows none of the questions that depend on it.
      var checked = wrap.querySelector("input[type=radio]:checked");
      return checked ? checked.value : "";
    }
    var box = wrap.querySelector("input[type=checkbox]");
    if (box) { return box.checked ? "true" : "false"; }
    var input = wrap.querySelector("select, textarea, input");
    return input ? input.value : null;
  }
  // The same rules as the server's ``is_visible``: equals, not_equals, in, answered.
  function holds(field, current) {
    var operator = field.getAttribute("data-when-op") || "equals";
    var expected = field.getAttribute("data-when-value");
    if (operator === "answered") { return current !== ""; }
    if (operator === "not_equals") { return current !== "" && current !== expected; }
    if (operator === "in") {
      var values = [];
      try { values = JSON.parse(field.getAttribute("data-when-values") || "[]"); } catch (error) { values = []; }
      return values.indexOf(current) !== -1;
    }
    return current === expected;
  }
  function refresh() {
    document.querySelectorAll("[data-when]").forEach(function (field) {
      var current = valueOf(field.getAttribute("data-when"));
      if (current === null) { return; }
      field.hidden = !holds(field, current.trim());
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    refresh();
    document.addEventListener("change", refresh);
    document.addEventListener("input", refresh);
    // The questions that depend on an answer appear at once here; the server need not stop the step.
    document.querySelectorAll("form[data-live-conditions]").forEach(function (form) {
      var marker = document.createElement("input");
      marker.type = "hidden";
      marker.name = "_live_conditions";
      marker.value = "1";
      form.appendChild(marker);
    });
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
    // Browsers skip ``autofocus`` when the address points into the page (#new-entry): focus anyway.
    var opening = document.querySelector("main [autofocus]");
    function focusOpening() {
      var active = document.activeElement;
      if (!summary && opening && (!active || active === document.body)) { opening.focus(); }
    }
    focusOpening();
    // Chromium clears the focus when it scrolls to the address's #fragment, after the page has
    // loaded: focus the new entry again then, unless the resident has already moved elsewhere.
    window.addEventListener("load", function () {
      window.requestAnimationFrame(function () { window.setTimeout(focusOpening, 0); });
    });
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var button = form.querySelector("[data-once]");
        if (!button) { return; }
        if (form.dataset.sent) { event.preventDefault(); return; }
        form.dataset.sent = "1";
      });
    });
  });
})();

// Copy buttons (the payment code of a QR slip): shown only where the clipboard can be used;
// without JavaScript the code stays selectable in its read-only field.
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.setAttribute("aria-pressed", "true");
      });
    });
  });
})();
