// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  function valueOf(id) {
    var wrap = document.getElementById(id + "-wrap");
    if (!wrap) { return null; }
    var checked = wrap.querySelector("input[type=radio]:checked");
    if (checked) { return checked.value; }
    var box = wrap.querySelector("input[type=checkbox]");
    if (box) { return box.checked ? "true" : "false"; }
    var input = wrap.querySelector("select, input");
    return input ? input.value : null;
  }
  function refresh() {
    document.querySelectorAll("[data-when]").forEach(function (field) {
      var current = valueOf(field.getAttribute("data-when"));
      if (current === null) { return; }
      field.hidden = current !== field.getAttribute("data-when-value");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    refresh();
    document.addEventListener("change", refresh);
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
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
