// Waiting-room display and ticket pages: with JavaScript, the numbers are fetched again in place
// every few seconds (no page reload, no flicker on a wall screen, focus and scroll kept). Without
// it, the <noscript> meta refresh in the page head reloads the page instead. "Stop updating" turns
// both off (the server then leaves data-refresh empty).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var seconds = parseInt(document.body.getAttribute("data-refresh") || "0", 10);
    var main = document.getElementById("main");
    if (!seconds || !main || !window.fetch || !window.DOMParser) { return; }
    window.setInterval(function () {
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
          if (fresh) { main.innerHTML = fresh.innerHTML; }
        })
        .catch(function () { /* keep showing the last numbers; the next round tries again */ });
    }, seconds * 1000);
  });
})();
