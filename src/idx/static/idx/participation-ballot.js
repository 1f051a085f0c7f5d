/* The budget ballot: while boxes are ticked, say the total of the choices and what is left of the
   budget (or how much it is over). Pure enhancement: without it, the total is shown after sending. */
(function () {
  "use strict";
  var form = document.getElementById("ballot-form");
  var live = document.getElementById("ballot-live");
  if (!form || !live) return;
  var budget = parseInt(live.getAttribute("data-budget"), 10) || 0;
  var yen = function (amount) {
    return live.getAttribute("data-yen").replace("__AMOUNT__", amount.toLocaleString("en-US"));
  };
  var update = function () {
    var total = 0;
    form.querySelectorAll("input[type=checkbox][data-cost]:checked").forEach(function (box) {
      total += parseInt(box.getAttribute("data-cost"), 10) || 0;
    });
    var text = total > budget ? live.getAttribute("data-over") : live.getAttribute("data-left");
    live.textContent = text
      .replace("__TOTAL__", yen(total))
      .replace("__LEFT__", yen(Math.abs(budget - total)));
    live.className = "pt-running" + (total > budget ? " error-text" : "");
  };
  live.hidden = false;
  form.addEventListener("change", update);
  update();
})();
