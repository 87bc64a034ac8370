// The admin's annotation tool (frame change page): draw arrows, ellipses and labels over the frame
// with the mouse or the keyboard; each shape fills the next empty row of the annotations below
// (fractions of the frame's width and height). Without this file, editors type the numbers.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr.form-row, tr.dynamic-annotations"))
      .filter(function (row) { return row.querySelector("[name$='-x1']"); });
  }
  function field(row, name) { return row.querySelector("[name$='-" + name + "']"); }
  function number(input) { return input && input.value !== "" ? Number(input.value) : null; }

  function init(box) {
    var img = box.querySelector("img");
    box.tabIndex = 0;
    box.setAttribute("role", "application");
    box.setAttribute("aria-label", "Frame: draw with the mouse, or move the cross with the arrow keys and press Enter at the start and at the end");
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "annotator__overlay");
    svg.setAttribute("viewBox", "0 0 1000 1000");
    svg.setAttribute("preserveAspectRatio", "none");
    box.append(svg);
    var cursor = { x: 0.5, y: 0.5 }, start = null;

    function target() {
      return rows().find(function (row) { return number(field(row, "x1")) === null; });
    }
    function shapeOf(row) {
      var select = field(row, "shape");
      if (select && !select.value) select.value = "arrow";
      return select ? select.value : "arrow";
    }
    function round(v) { return Math.round(Math.max(0, Math.min(1, v)) * 1000) / 1000; }
    function commit(a, b) {
      var row = target();
      if (!row) { box.dataset.full = "1"; return; }
      var shape = shapeOf(row);
      if (shape === "ellipse") {
        field(row, "x1").value = round((a.x + b.x) / 2); field(row, "y1").value = round((a.y + b.y) / 2);
        field(row, "x2").value = round(Math.abs(b.x - a.x) / 2); field(row, "y2").value = round(Math.abs(b.y - a.y) / 2);
      } else if (shape === "label") {
        field(row, "x1").value = round(b.x); field(row, "y1").value = round(b.y);
        var label = field(row, "label_en"); if (label) label.focus();
      } else {
        field(row, "x1").value = round(a.x); field(row, "y1").value = round(a.y);
        field(row, "x2").value = round(b.x); field(row, "y2").value = round(b.y);
      }
      draw();
    }
    function el(name, attrs) {
      var node = document.createElementNS(SVG, name);
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
      svg.append(node);
      return node;
    }
    function draw() {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      rows().forEach(function (row) {
        var x1 = number(field(row, "x1")), y1 = number(field(row, "y1"));
        if (x1 === null || y1 === null) return;
        var x2 = number(field(row, "x2")), y2 = number(field(row, "y2"));
        var shape = field(row, "shape") ? field(row, "shape").value : "arrow";
        var style = { stroke: "#ffd400", "stroke-width": 5, fill: "none", "vector-effect": "non-scaling-stroke" };
        if (shape === "ellipse" && x2 !== null) el("ellipse", Object.assign({ cx: x1 * 1000, cy: y1 * 1000, rx: x2 * 1000, ry: y2 * 1000 }, style));
        else if (shape === "arrow" && x2 !== null) {
          el("line", Object.assign({ x1: x1 * 1000, y1: y1 * 1000, x2: x2 * 1000, y2: y2 * 1000 }, style));
          el("circle", { cx: x2 * 1000, cy: y2 * 1000, r: 10, fill: "#ffd400" });
        } else el("circle", { cx: x1 * 1000, cy: y1 * 1000, r: 8, fill: "#ffd400" });
      });
      el("path", { d: "M" + (cursor.x * 1000 - 20) + " " + cursor.y * 1000 + "h40M" + cursor.x * 1000 + " " + (cursor.y * 1000 - 20) + "v40", stroke: "#00e5ff", "stroke-width": 3, "vector-effect": "non-scaling-stroke" });
      if (start) el("circle", { cx: start.x * 1000, cy: start.y * 1000, r: 10, fill: "none", stroke: "#00e5ff", "stroke-width": 3 });
    }
    function at(event) {
      var r = img.getBoundingClientRect();
      return { x: round((event.clientX - r.left) / r.width), y: round((event.clientY - r.top) / r.height) };
    }
    box.addEventListener("pointerdown", function (event) { event.preventDefault(); start = at(event); cursor = start; draw(); });
    box.addEventListener("pointerup", function (event) { if (!start) return; var end = at(event); commit(start, end); start = null; cursor = end; draw(); });
    box.addEventListener("keydown", function (event) {
      var step = event.shiftKey ? 0.05 : 0.01, handled = true;
      if (event.key === "ArrowLeft") cursor.x = round(cursor.x - step);
      else if (event.key === "ArrowRight") cursor.x = round(cursor.x + step);
      else if (event.key === "ArrowUp") cursor.y = round(cursor.y - step);
      else if (event.key === "ArrowDown") cursor.y = round(cursor.y + step);
      else if (event.key === "Enter" || event.key === " ") {
        if (!start) start = { x: cursor.x, y: cursor.y };
        else { commit(start, { x: cursor.x, y: cursor.y }); start = null; }
      } else if (event.key === "Escape") start = null;
      else handled = false;
      if (handled) { event.preventDefault(); draw(); }
    });
    document.addEventListener("input", draw);
    document.addEventListener("change", draw);
    draw();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-annotator]"), init);
  });
})();
