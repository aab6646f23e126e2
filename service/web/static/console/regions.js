// Drawing boxes to blur on a photo (/staff/photos/<id>/regions).
// A box drawn with the pointer fills the first empty row of numeric fields
// (percentages of the photo) and a new empty row is added; the fields alone
// do the same without a pointer, and the form is posted as typed.
// Each filled row shows as a box on the photo that takes the focus: the arrow
// keys move it, Shift with the arrow keys resizes it, Delete removes it; the
// "add" button puts a new box in the middle of the photo and focuses it.
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
    copy.box = null;
    boxes.appendChild(copy);
    sync(copy);
    return copy;
  }

  function read(row) {
    var box = {};
    var complete = SIDES.every(function (side) {
      var field = row.querySelector(".box-" + side);
      box[side] = parseFloat(field.value) / 100;
      return field.value !== "" && !isNaN(box[side]);
    });
    return complete ? box : null;
  }

  // The box on the photo that stands for a row; made when the row is first filled.
  function shown(row) {
    if (!row.box) {
      var span = document.createElement("span");
      span.className = "region region-new";
      span.tabIndex = 0;
      span.setAttribute("role", "group");
      span.setAttribute("aria-describedby", "regions-keys");
      span.addEventListener("keydown", function (event) { onKey(row, event); });
      canvas.appendChild(span);
      row.box = span;
    }
    var legend = row.querySelector("legend").textContent.trim();
    row.box.setAttribute("aria-label", (canvas.dataset.textBox || "{legend}").replace("{legend}", legend));
    return row.box;
  }

  function sync(row) {
    var box = read(row);
    if (box) { place(shown(row), box); row.box.hidden = false; } else if (row.box) { row.box.hidden = true; }
    var remove = row.querySelector(".remove-box");
    if (remove) { remove.hidden = !box; }
  }

  function write(row, box) {
    SIDES.forEach(function (side) {
      row.querySelector(".box-" + side).value = (Math.round(box[side] * 1000) / 10).toFixed(1);
    });
    sync(row);
  }

  function fill(box) {
    var row = rows().filter(empty)[0] || addRow();
    write(row, box);
    if (!rows().some(empty)) { addRow(); }
    return row;
  }

  function clear(row) {
    SIDES.forEach(function (side) { row.querySelector(".box-" + side).value = ""; });
    sync(row);
  }

  // One key press moves or resizes by this share of the photo.
  var STEP = 0.01;
  var MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

  function onKey(row, event) {
    var box = read(row);
    if (!box) { return; }
    if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      clear(row);
      if (adder) { adder.focus(); }
      return;
    }
    var move = MOVES[event.key];
    if (!move) { return; }
    event.preventDefault();
    if (event.shiftKey) {
      box.width = Math.min(1 - box.left, Math.max(STEP, box.width + move[0] * STEP));
      box.height = Math.min(1 - box.top, Math.max(STEP, box.height + move[1] * STEP));
    } else {
      box.left = Math.min(1 - box.width, Math.max(0, box.left + move[0] * STEP));
      box.top = Math.min(1 - box.height, Math.max(0, box.top + move[1] * STEP));
    }
    write(row, box);
  }

  var adder = document.getElementById("add-box");
  if (adder) {
    adder.hidden = false;
    adder.addEventListener("click", function () {
      shown(fill({ left: 0.4, top: 0.4, width: 0.2, height: 0.2 })).focus();
    });
  }
  boxes.addEventListener("input", function (event) {
    var row = event.target.closest(".new-box");
    if (row) { sync(row); }
  });
  boxes.addEventListener("click", function (event) {
    var button = event.target.closest(".remove-box");
    if (button) { clear(button.closest(".new-box")); if (adder) { adder.focus(); } }
  });
  rows().forEach(sync);

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
    drawing.remove();
    if (box.width < SMALLEST || box.height < SMALLEST) { return; }
    fill(box);
  });
})();
