// The report form with JavaScript: only the chosen category's questions, photos
// downscaled to the large derivative's size before upload, and one submission per
// tap (the place, its map and its search are location.js's).
// Without it the form is a plain multipart post with the same fields.
(function () {
  "use strict";
  var LARGE_SIDE = 1600;
  var form = document.querySelector(".report-form");
  if (!form) { return; }

  // Questions: show those of the chosen category only.
  var groups = form.querySelectorAll(".question-group");
  function showQuestions() {
    var chosen = form.querySelector("input[name=category]:checked");
    groups.forEach(function (group) {
      var mine = chosen && group.getAttribute("data-category") === chosen.value;
      group.hidden = !mine;
      group.querySelectorAll("input").forEach(function (input) { input.disabled = !mine; });
    });
  }
  form.querySelectorAll("input[name=category]").forEach(function (input) { input.addEventListener("change", showQuestions); });
  showQuestions();

  // Photos: downscaled in the browser so a phone sends about 1600 px, not its full 12 MP.
  var photos = document.getElementById("photos");
  var pending = Promise.resolve();
  function downscale(file) {
    if (!window.createImageBitmap || !/^image\/(jpeg|png)$/.test(file.type)) { return Promise.resolve(file); }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, LARGE_SIDE / Math.max(bitmap.width, bitmap.height));
      // A JPEG is drawn again even at its size, so its camera metadata (the GPS position above all) is not sent.
      if (scale === 1 && file.type !== "image/jpeg") { return file; }
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob ? new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }) : file);
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }
  if (photos && window.DataTransfer) {
    photos.addEventListener("change", function () {
      var chosen = Array.prototype.slice.call(photos.files);
      pending = Promise.all(chosen.map(downscale)).then(function (files) {
        var list = new DataTransfer();
        files.forEach(function (f) { list.items.add(f); });
        photos.files = list.files;
      });
    });
  }

  // One submission: a second tap waits; the page's Idempotency-Key covers a retry.
  var sending = false;
  form.addEventListener("submit", function (event) {
    if (sending) { event.preventDefault(); return; }
    event.preventDefault();
    sending = true;
    form.querySelector("button[type=submit]").setAttribute("aria-disabled", "true");
    pending.then(function () { form.submit(); });
  });
})();
