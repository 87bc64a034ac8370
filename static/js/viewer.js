// Image stacks: progressive enhancement of the strip of frames (templates/imaging/_series.html).
// Without this file every frame is shown in a scrollable strip, each linking to its full size.
// With it: one frame at a time, scrolled with the wheel, the arrow keys, the slider or a swipe;
// zoom and pan; brightness and contrast; CT windows rendered on the server; full screen; and, after
// the reveal, a "Show annotations" toggle (key: a).
(function () {
  "use strict";

  // Django's catalogue of translated strings (/jsi18n/, loaded before this file); English without it.
  var gettext = window.gettext || function (text) { return text; };
  var pgettext = window.pgettext || function (context, text) { return text; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\(\w+\)s/g, function (match) { return String(values[match.slice(2, -2)]); });
  };

  function button(label, action, extra) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "stack__button";
    b.textContent = label;
    b.dataset.action = action;
    if (extra) Object.keys(extra).forEach(function (k) { b.setAttribute(k, extra[k]); });
    return b;
  }

  function range(label, min, max, value, name) {
    var wrap = document.createElement("label");
    wrap.className = "stack__range";
    var text = document.createElement("span");
    text.textContent = label;
    var input = document.createElement("input");
    input.type = "range"; input.min = min; input.max = max; input.value = value; input.name = name;
    wrap.append(text, input);
    return { wrap: wrap, input: input };
  }

  function initStack(figure) {
    if (figure.dataset.viewer) return;
    var strip = figure.querySelector(".stack__strip");
    var frames = Array.prototype.slice.call(figure.querySelectorAll(".stack__frame"));
    if (!strip || !frames.length) return;
    figure.dataset.viewer = "1";
    figure.classList.add("stack--viewer");
    var hasAnnotations = !!figure.querySelector(".stack__annotations");
    if (hasAnnotations) figure.classList.add("stack--annotations-hidden");
    var state = { i: 0, zoom: 1, x: 0, y: 0, brightness: 100, contrast: 100 };

    var controls = document.createElement("div");
    controls.className = "stack__controls";
    var counter = document.createElement("span");
    counter.className = "stack__counter";
    counter.setAttribute("aria-live", "polite");
    var slider = range(gettext("Frame"), 1, frames.length, 1, "frame");
    slider.input.setAttribute("aria-label", gettext("Frame"));
    var prev = button(gettext("◀ Previous"), "prev", { "aria-keyshortcuts": "ArrowUp" });
    var next = button(gettext("Next ▶"), "next", { "aria-keyshortcuts": "ArrowDown" });
    var zoomIn = button(gettext("Zoom in"), "zoom-in", { "aria-keyshortcuts": "+" });
    var zoomOut = button(gettext("Zoom out"), "zoom-out", { "aria-keyshortcuts": "-" });
    var reset = button(gettext("Reset view"), "reset", { "aria-keyshortcuts": "0" });
    var full = button(gettext("Full screen"), "fullscreen", { "aria-keyshortcuts": "f" });
    var brightness = range(gettext("Brightness"), 30, 200, 100, "brightness");
    var contrast = range(gettext("Contrast"), 30, 300, 100, "contrast");
    var toggle = hasAnnotations ? button(gettext("Show annotations"), "annotations", { "aria-pressed": "false", "aria-keyshortcuts": "a" }) : null;
    var presets = [];
    var first = frames[0].querySelector("img");
    Object.keys(first.dataset).forEach(function (key) {
      if (key.indexOf("srcset") === 0 && key.length > 6) presets.push(key);
    });
    var select = null;
    if (presets.length) {
      var label = document.createElement("label");
      label.className = "stack__range";
      var span = document.createElement("span");
      span.textContent = pgettext("CT window", "Window");
      select = document.createElement("select");
      select.name = "window";
      var original = document.createElement("option");
      original.value = ""; original.textContent = gettext("As acquired");
      select.append(original);
      presets.forEach(function (key) {
        var option = document.createElement("option");
        option.value = key;
        var name = key.slice(6).replace(/([A-Z])/g, " $1").trim().toLowerCase();
        // The server's CT presets (imaging.processing.CT_PRESETS); any other shows its own name.
        option.textContent = ({ "soft tissue": gettext("soft tissue"), bone: gettext("bone") })[name] || name;
        select.append(option);
      });
      label.append(span, select);
    }
    var row1 = document.createElement("div");
    row1.className = "stack__row";
    row1.append(prev, slider.wrap, next, counter);
    var row2 = document.createElement("div");
    row2.className = "stack__row";
    row2.append(zoomIn, zoomOut, reset, brightness.wrap, contrast.wrap);
    if (select) row2.append(select.parentNode);
    row2.append(full);
    if (toggle) row2.append(toggle);
    controls.append(row1, row2);
    figure.insertBefore(controls, strip.nextSibling);

    strip.tabIndex = 0;
    strip.setAttribute("aria-keyshortcuts", "ArrowUp ArrowDown PageUp PageDown Home End + - 0 f a");
    strip.setAttribute("aria-describedby", figure.getAttribute("aria-labelledby") || "");

    function apply() {
      var picture = frames[state.i].querySelector(".stack__picture");
      picture.style.transform = "translate(" + state.x + "px, " + state.y + "px) scale(" + state.zoom + ")";
      var img = picture.querySelector("img");
      img.style.filter = "brightness(" + state.brightness + "%) contrast(" + state.contrast + "%)";
    }

    function show(i) {
      state.i = Math.max(0, Math.min(frames.length - 1, i));
      frames.forEach(function (frame, k) { frame.hidden = k !== state.i; });
      for (var k = state.i + 1; k <= state.i + 3 && k < frames.length; k++) {
        frames[k].querySelector("img").loading = "eager";  // the next frames load ahead
      }
      counter.textContent = interpolate(gettext("Frame %(number)s of %(total)s"), { number: state.i + 1, total: frames.length }, true);
      slider.input.value = state.i + 1;
      apply();
    }

    function zoomBy(factor) {
      state.zoom = Math.max(1, Math.min(8, state.zoom * factor));
      if (state.zoom === 1) { state.x = 0; state.y = 0; }
      apply();
    }

    function toggleAnnotations() {
      if (!toggle) return;
      var hidden = figure.classList.toggle("stack--annotations-hidden");
      toggle.setAttribute("aria-pressed", hidden ? "false" : "true");
      toggle.textContent = hidden ? gettext("Show annotations") : gettext("Hide annotations");
    }
    figure.toggleAnnotations = toggleAnnotations;

    controls.addEventListener("click", function (event) {
      var action = event.target.dataset && event.target.dataset.action;
      if (action === "prev") show(state.i - 1);
      else if (action === "next") show(state.i + 1);
      else if (action === "zoom-in") zoomBy(1.25);
      else if (action === "zoom-out") zoomBy(0.8);
      else if (action === "reset") { state.zoom = 1; state.x = 0; state.y = 0; state.brightness = 100; state.contrast = 100; brightness.input.value = 100; contrast.input.value = 100; apply(); }
      else if (action === "fullscreen") { if (document.fullscreenElement) document.exitFullscreen(); else if (figure.requestFullscreen) figure.requestFullscreen(); }
      else if (action === "annotations") toggleAnnotations();
    });
    slider.input.addEventListener("input", function () { show(Number(slider.input.value) - 1); });
    brightness.input.addEventListener("input", function () { state.brightness = Number(brightness.input.value); apply(); });
    contrast.input.addEventListener("input", function () { state.contrast = Number(contrast.input.value); apply(); });
    if (select) {
      select.addEventListener("change", function () {
        frames.forEach(function (frame) {
          var img = frame.querySelector("img");
          if (!img.dataset.srcsetOriginal) img.dataset.srcsetOriginal = img.srcset;
          img.srcset = select.value ? img.dataset[select.value] : img.dataset.srcsetOriginal;
        });
      });
    }

    strip.addEventListener("keydown", function (event) {
      if (event.metaKey || event.ctrlKey || event.altKey) return;
      var key = event.key, handled = true;
      if (key === "ArrowDown" || key === "ArrowRight" || key === "PageDown") show(state.i + (key === "PageDown" ? 10 : 1));
      else if (key === "ArrowUp" || key === "ArrowLeft" || key === "PageUp") show(state.i - (key === "PageUp" ? 10 : 1));
      else if (key === "Home") show(0);
      else if (key === "End") show(frames.length - 1);
      else if (key === "+" || key === "=") zoomBy(1.25);
      else if (key === "-") zoomBy(0.8);
      else if (key === "0") { state.zoom = 1; state.x = 0; state.y = 0; apply(); }
      else if (key === "f") full.click();
      else handled = false;
      if (handled) event.preventDefault();
    });

    var wheelAccumulated = 0;
    strip.addEventListener("wheel", function (event) {
      event.preventDefault();
      wheelAccumulated += event.deltaY;
      if (Math.abs(wheelAccumulated) >= 40) {
        show(state.i + (wheelAccumulated > 0 ? 1 : -1));
        wheelAccumulated = 0;
      }
    }, { passive: false });

    // Drag: pans when zoomed in, otherwise scrolls through the frames (a swipe on a phone).
    var drag = null;
    strip.addEventListener("pointerdown", function (event) {
      drag = { x: event.clientX, y: event.clientY, startX: state.x, startY: state.y, frame: state.i, moved: false };
      strip.setPointerCapture(event.pointerId);
    });
    strip.addEventListener("pointermove", function (event) {
      if (!drag) return;
      var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
      if (state.zoom > 1) { state.x = drag.startX + dx; state.y = drag.startY + dy; apply(); }
      else {
        var delta = Math.abs(dy) > Math.abs(dx) ? dy : dx;
        show(drag.frame - Math.round(delta / 25));
      }
    });
    function endDrag() { drag = null; }
    strip.addEventListener("pointerup", endDrag);
    strip.addEventListener("pointercancel", endDrag);
    strip.addEventListener("click", function (event) {
      if (event.target.closest(".stack__link")) event.preventDefault();  // a drag, not a navigation
    });

    show(0);
  }

  function initAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-stack]"), initStack);
  }

  // "a" toggles the annotations of every stack on the page (after the reveal).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "a" || event.metaKey || event.ctrlKey || event.altKey) return;
    if (event.target.closest && event.target.closest("input, textarea, select, [contenteditable]")) return;
    var stacks = document.querySelectorAll("[data-stack]");
    var any = false;
    Array.prototype.forEach.call(stacks, function (figure) {
      if (figure.toggleAnnotations && figure.querySelector(".stack__annotations")) { figure.toggleAnnotations(); any = true; }
    });
    if (any) event.preventDefault();
  });

  document.addEventListener("casebook:content", function (event) { initAll(event.target); });
  initAll(document);
})();
