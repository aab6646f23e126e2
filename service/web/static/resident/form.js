// The report form with JavaScript: a pin to place on a map (and the browser's
// position), only the chosen category's questions, photos downscaled to the
// large derivative's size before upload, and one submission per tap.
// Without it the form is a plain multipart post with the same fields.
(function () {
  "use strict";
  var LARGE_SIDE = 1600;
  var form = document.querySelector(".report-form");
  if (!form) { return; }
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");

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

  // The map: a movable pin writing the coordinates fields.
  var mapNode = document.getElementById("pin-map");
  var status = document.getElementById("locate-status");
  var pin = null;
  var map = null;
  function setPosition(latitude, longitude, zoom) {
    lat.value = latitude.toFixed(6);
    lon.value = longitude.toFixed(6);
    // Tells the "already reported?" list (htmx, on change) that the place moved.
    lon.dispatchEvent(new Event("change", { bubbles: true }));
    if (!map) { return; }
    var at = [latitude, longitude];
    if (pin) { pin.setLatLng(at); } else {
      pin = window.L.marker(at, { draggable: true, keyboard: true, title: mapNode.getAttribute("aria-label") }).addTo(map);
      pin.on("dragend", function () { var p = pin.getLatLng(); setPosition(p.lat, p.lng); });
    }
    map.setView(at, zoom || map.getZoom());
  }
  // Leaflet, the map and its tiles load only when the resident asks for them, to spare mobile data.
  var leaflet = null;
  function loadLeaflet() {
    if (!leaflet) {
      leaflet = new Promise(function (resolve, reject) {
        var style = document.createElement("link");
        style.rel = "stylesheet";
        style.href = mapNode.getAttribute("data-leaflet-css");
        document.head.appendChild(style);
        var script = document.createElement("script");
        script.src = mapNode.getAttribute("data-leaflet-js");
        script.onload = resolve;
        script.onerror = reject;
        document.body.appendChild(script);
      });
    }
    return leaflet;
  }
  function ensureMap() {
    return loadLeaflet().then(showMap);
  }
  function showMap() {
    if (map || !window.L) { return; }
    mapNode.hidden = false;
    var box = JSON.parse(mapNode.getAttribute("data-bbox") || "null");
    map = window.L.map(mapNode);
    if (box) { map.fitBounds([[box[1], box[0]], [box[3], box[2]]]); } else { map.setView([35.68, 139.76], 12); }
    window.L.tileLayer(mapNode.getAttribute("data-tiles"), { attribution: mapNode.getAttribute("data-attribution"), maxZoom: 18 }).addTo(map);
    map.on("click", function (event) { setPosition(event.latlng.lat, event.latlng.lng); });
    var a = parseFloat(lat.value), b = parseFloat(lon.value);
    if (!isNaN(a) && !isNaN(b)) { setPosition(a, b, 17); }
  }
  if (mapNode) {
    document.querySelector(".map-tools").hidden = false;
    document.getElementById("show-map").addEventListener("click", ensureMap);
    [lat, lon].forEach(function (input) {
      input.addEventListener("change", function (event) {
        var a = parseFloat(lat.value), b = parseFloat(lon.value);
        if (event.isTrusted && map && !isNaN(a) && !isNaN(b)) { setPosition(a, b, 17); }
      });
    });
  }
  var locate = document.getElementById("locate-me");
  if (locate && navigator.geolocation) {
    locate.addEventListener("click", function () {
      status.textContent = mapNode.getAttribute("data-locating");
      navigator.geolocation.getCurrentPosition(function (position) {
        ensureMap().then(function () {
          setPosition(position.coords.latitude, position.coords.longitude, 17);
          status.textContent = mapNode.getAttribute("data-located");
        });
      }, function () {
        status.textContent = mapNode.getAttribute("data-unlocated");
      }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }

  // Photos: downscaled in the browser so a phone sends about 1600 px, not its full 12 MP.
  var photos = document.getElementById("photos");
  var pending = Promise.resolve();
  function downscale(file) {
    if (!window.createImageBitmap || !/^image\/(jpeg|png)$/.test(file.type)) { return Promise.resolve(file); }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, LARGE_SIDE / Math.max(bitmap.width, bitmap.height));
      if (scale === 1) { return file; }
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
