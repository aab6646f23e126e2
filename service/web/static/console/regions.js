// Drawing boxes to blur on a photo (/staff/photos/<id>/regions).
// A box drawn with the pointer fills the first empty row of numeric fields
// (percentages of the photo) and a new empty row is added; the fields alone
// do the same without a pointer, and the form is posted as typed.
(function () {
  "use strict";
  var canvas = document.getElementById("regions-canvas");
  var photo = document.getElementById("regions-photo");
  var boxes = document.getElementById("new-boxes");
  if (!canvas || !photo || !boxes) { return; }
  var SIDES = ["left", "top", "width", "height"];
  // A drag shorter than this share of the photo is a click, not a box.
  var SMALLEST = 0.01;

  function place(span, box) {
    span.style.left = (box.left * 100) + "%";
    span.style.top = (box.top * 100) + "%";
    span.style.width = (box.width * 100) + "%";
    span.style.height = (box.height * 100) + "%";
  }

  function clamp(value) { return Math.min(1, Math.max(0, value)); }

  function at(event) {
    var rect = photo.getBoundingClientRect();
    return { x: clamp((event.clientX - rect.left) / rect.width), y: clamp((event.clientY - rect.top) / rect.height) };
  }

  function between(a, b) {
    return { left: Math.min(a.x, b.x), top: Math.min(a.y, b.y), width: Math.abs(a.x - b.x), height: Math.abs(a.y - b.y) };
  }

  function rows() { return Array.prototype.slice.call(boxes.querySelectorAll(".new-box")); }

  function empty(row) {
    return SIDES.every(function (side) { return row.querySelector(".box-" + side).value === ""; });
  }

  function addRow() {
    var all = rows();
    var copy = all[all.length - 1].cloneNode(true);
    var number = all.length + 1;
    copy.querySelectorAll("input, select").forEach(function (field) {
      var base = field.id.replace(/-\d+$/, "");
      var label = copy.querySelector("label[for='" + field.id + "']");
      field.id = base + "-" + number;
      if (label) { label.htmlFor = field.id; }
      if (field.tagName === "INPUT") { field.value = ""; } else { field.selectedIndex = 0; }
    });
    var legend = copy.querySelector("legend");
    legend.textContent = legend.textContent.replace(/\d+\s*$/, String(number));
    boxes.appendChild(copy);
    return copy;
  }

  function fill(box) {
    var row = rows().filter(empty)[0] || addRow();
    SIDES.forEach(function (side) {
      row.querySelector(".box-" + side).value = (Math.round(box[side] * 1000) / 10).toFixed(1);
    });
    if (!rows().some(empty)) { addRow(); }
  }

  canvas.querySelectorAll(".region").forEach(function (span) {
    place(span, { left: +span.dataset.left, top: +span.dataset.top, width: +span.dataset.width, height: +span.dataset.height });
  });

  var start = null;
  var drawing = null;
  canvas.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) { return; }
    event.preventDefault();
    start = at(event);
    drawing = document.createElement("span");
    drawing.className = "region region-new";
    canvas.appendChild(drawing);
    place(drawing, between(start, start));
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", function (event) {
    if (start) { place(drawing, between(start, at(event))); }
  });
  canvas.addEventListener("pointerup", function (event) {
    if (!start) { return; }
    var box = between(start, at(event));
    start = null;
    if (box.width < SMALLEST || box.height < SMALLEST) { drawing.remove(); return; }
    fill(box);
  });
})();
