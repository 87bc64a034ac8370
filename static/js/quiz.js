// Progressive enhancement for quiz pages; everything works without this file.
(function () {
  "use strict";

  // One commit per click: a double click sends one POST (the server ignores a second anyway).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-commit], [data-recall]")) return;
    if (form.dataset.submitted) { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  // On the reveal, keys 1–4 choose Again, Hard, Good or Easy.
  document.addEventListener("keydown", function (event) {
    if (event.metaKey || event.ctrlKey || event.altKey) return;
    if (event.target.closest && event.target.closest("input[type=text], input[type=search], textarea, select")) return;
    var form = document.querySelector("form[data-recall]");
    var index = "1234".indexOf(event.key);
    if (!form || index < 0) return;
    var radios = form.querySelectorAll("input[name=recall]");
    if (radios[index]) { radios[index].checked = true; radios[index].focus(); }
  });
})();
