// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // "Reveal diagnosis": fetch the answer page and show its answer section (and related cases) in place.
  function reveal(link) {
    if (link.dataset.loading) return;
    link.dataset.loading = "1";
    fetch(link.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var answer = page.getElementById("answer");
        if (!answer) throw new Error("no answer section");
        // The images' answer side (teaching captions, annotations) comes with the presentation.
        var before = document.querySelector(".presentation"), after = page.querySelector(".presentation");
        if (before && after) {
          var fresh = document.importNode(after, true);
          before.replaceWith(fresh);
          fresh.dispatchEvent(new CustomEvent("casebook:content", { bubbles: true }));
        }
        var area = document.getElementById("reveal-area");
        var shown = document.importNode(answer, true);
        area.replaceWith(shown);
        // Related cases follow the answer, as on the answer page itself.
        var related = page.querySelector(".related-cases");
        if (related) shown.after(document.importNode(related, true));
        history.replaceState(null, "", link.href);
        var heading = document.getElementById("answer-heading");
        if (heading) heading.focus();
      })
      .catch(function () { window.location.href = link.href; });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-reveal]");
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    reveal(link);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "r" || event.metaKey || event.ctrlKey || event.altKey) return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var link = document.querySelector("a[data-reveal]");
    if (link) { event.preventDefault(); reveal(link); }
  });

  // Previous / next case in the list the resident came from: j or ArrowRight, k or ArrowLeft.
  var NEIGHBOUR_KEYS = { j: "next", ArrowRight: "next", k: "prev", ArrowLeft: "prev" };
  document.addEventListener("keydown", function (event) {
    var rel = NEIGHBOUR_KEYS[event.key];
    if (!rel || event.metaKey || event.ctrlKey || event.altKey || event.shiftKey || event.defaultPrevented) return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable], [data-stack]")) return;
    var link = document.querySelector(".case-neighbours a[data-neighbour='" + rel + "']");
    if (link) { event.preventDefault(); window.location.href = link.href; }
  });
})();
