// The help console's queue: j / k move between tasks, Enter opens the selected one.
// The page works without this script; every task is a plain link.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
    if (!rows.length) { return; }
    var current = -1;
    function select(index) {
      if (current >= 0) { rows[current].removeAttribute("aria-selected"); }
      current = Math.max(0, Math.min(rows.length - 1, index));
      rows[current].setAttribute("aria-selected", "true");
      var link = rows[current].querySelector("a");
      if (link) { link.focus(); }
    }
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.altKey || event.ctrlKey || event.metaKey || (target && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName))) {
        return;
      }
      if (event.key === "j") { select(current + 1); event.preventDefault(); }
      else if (event.key === "k") { select(current - 1); event.preventDefault(); }
      else if (event.key === "Enter" && current >= 0 && target === document.body) {
        window.location.href = rows[current].getAttribute("data-href");
      }
    });
  });
})();
