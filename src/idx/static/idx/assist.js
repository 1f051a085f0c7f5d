// The assistant as a small chat panel. Without JavaScript the panel stays hidden and the
// "Questions" page (/ask/) does the same work as a plain form; this file only calls the same
// answers through the API (/api/v1/assistant/answers) and shows them in place.
(function () {
  "use strict";
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("assist-panel");
    if (!panel || !window.fetch) { return; }
    var toggle = document.getElementById("assist-toggle");
    var body = document.getElementById("assist-panel-body");
    var form = document.getElementById("assist-panel-form");
    var input = document.getElementById("assist-panel-q");
    var log = document.getElementById("assist-panel-log");
    var t = panel.dataset;
    panel.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", open ? "false" : "true");
      body.hidden = open;
      if (!open) { input.focus(); }
    });
    var close = document.getElementById("assist-close");
    if (close) {
      close.addEventListener("click", function () {
        if (!body.hidden) { toggle.click(); }
        toggle.focus();
      });
    }
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !body.hidden) { toggle.click(); toggle.focus(); }
    });
    form.addEventListener("submit", function (event) {
      var question = input.value.trim();
      if (!question) { return; }
      event.preventDefault();
      var asked = el("li", "chat-user", question);
      log.appendChild(asked);
      input.value = "";
      var url = t.api + "?" + new URLSearchParams({ q: question, language: t.language });
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
        .then(function (data) {
          var reply = el("li", "chat-bot");
          if (data.status === "unsupported") {
            reply.appendChild(el("p", "", t.unsupported + " " + data.languages.join(", ")));
          } else if (data.status === "empty" || data.status === "too_long") {
            reply.appendChild(el("p", "", t.rephrase));
          } else {
            if (data.status === "unsure") { reply.appendChild(el("p", "", t.unsure)); }
            var list = el("ul", "");
            data.answers.slice(0, 3).forEach(function (answer, position) {
              var item = el("li", "");
              var link = el("a", "", answer.question);
              var params = { q: question };
              if (answer.language !== t.language) {
                // Answered in the question's language (or a fallback): say so to screen readers.
                params.language = answer.language;
                item.lang = { "ja-easy": "ja", "pt-br": "pt-BR", "zh-hans": "zh-Hans" }[answer.language] || answer.language;
              }
              link.href = answer.url + "?" + new URLSearchParams(params);
              item.appendChild(link);
              if (position === 0 && answer.confidence !== "low") {
                item.appendChild(el("p", "", answer.answer.length > 240 ? answer.answer.slice(0, 240) + "…" : answer.answer));
              }
              answer.procedures.forEach(function (procedure) {
                var apply = el("a", "button button-small", t.apply + ": " + procedure.name);
                apply.href = procedure.url;
                item.appendChild(apply);
              });
              list.appendChild(item);
            });
            reply.appendChild(list);
          }
          var more = el("a", "", t.inquiry);
          more.href = data.inquiry_url + "?" + new URLSearchParams({ q: question });
          reply.appendChild(more);
          log.appendChild(reply);
        })
        .catch(function () {
          // The API could not answer (offline, rate limit): the plain page still can.
          window.location.href = form.action + "?" + new URLSearchParams({ q: question });
        });
    });
  });
})();
