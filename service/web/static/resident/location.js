// The report form's place with JavaScript: a pin to place on a map (or the browser's
// position), an address search that suggests places inside the jurisdiction as the
// resident types (an ARIA 1.2 combobox), and a photo's own GPS position offered.
// Without it the resident types coordinates or an address, geocoded when the form is posted.
(function () {
  "use strict";
  var form = document.querySelector(".report-form");
  var mapNode = document.getElementById("pin-map");
  if (!form || !mapNode) { return; }
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var status = document.getElementById("locate-status");
  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  // The map: a movable pin writing the coordinates fields.
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
      // Leaflet finds its marker images through its stylesheet, which may not be applied yet
      // when the map was just loaded on demand: name their folder beside the script.
      window.L.Icon.Default.imagePath = mapNode.getAttribute("data-leaflet-js").replace(/[^/]*$/, "images/");
      pin = window.L.marker(at, { draggable: true, keyboard: true, title: mapNode.getAttribute("aria-label") }).addTo(map);
      pin.on("dragend", function () { var p = pin.getLatLng(); setPosition(p.lat, p.lng); });
    }
    map.setView(at, zoom || map.getZoom());
  }
  // Leaflet, the map and its tiles load only when the resident asks for them, to spare mobile data.
  var leaflet = null;
  function load(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.body.appendChild(script);
    });
  }
  function loadLeaflet() {
    if (!leaflet) {
      var style = document.createElement("link");
      style.rel = "stylesheet";
      style.href = mapNode.getAttribute("data-leaflet-css");
      document.head.appendChild(style);
      leaflet = load(mapNode.getAttribute("data-leaflet-js"));
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
  function moveTo(latitude, longitude, zoom) {
    return ensureMap().then(function () { setPosition(latitude, longitude, zoom); });
  }
  document.querySelector(".map-tools").hidden = false;
  document.getElementById("show-map").addEventListener("click", ensureMap);
  [lat, lon].forEach(function (input) {
    input.addEventListener("change", function (event) {
      var a = parseFloat(lat.value), b = parseFloat(lon.value);
      if (event.isTrusted && map && !isNaN(a) && !isNaN(b)) { setPosition(a, b, 17); }
    });
  });
  var locate = document.getElementById("locate-me");
  if (locate && navigator.geolocation) {
    locate.addEventListener("click", function () {
      status.textContent = mapNode.getAttribute("data-locating");
      navigator.geolocation.getCurrentPosition(function (position) {
        moveTo(position.coords.latitude, position.coords.longitude, 17).then(function () {
          status.textContent = mapNode.getAttribute("data-located");
        });
      }, function () {
        status.textContent = mapNode.getAttribute("data-unlocated");
      }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }

  // The address search: an ARIA 1.2 combobox over POST /api/v1/jurisdictions/{code}/places/search.
  var search = document.querySelector(".place-search");
  var input = document.getElementById("address_hint");
  var listbox = document.getElementById("place-options");
  var announce = document.getElementById("place-status");
  var hint = document.getElementById("address-search-hint");
  var DEBOUNCE_MS = 350;
  var places = [];
  var active = -1;
  var timer = null;
  var asked = 0;
  var chosen = null;
  if (search && input && listbox && window.fetch) {
    hint.hidden = false;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("autocomplete", "off");
    input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + hint.id).trim());
    input.addEventListener("input", function () {
      clearTimeout(timer);
      chosen = null;
      var query = input.value.trim();
      if (!query) { close(); return; }
      timer = setTimeout(function () { ask(query); }, DEBOUNCE_MS);
    });
    input.addEventListener("keydown", onKey);
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    // A press on an option keeps the focus in the field, as the pattern asks.
    listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
    listbox.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) { choose(Number(option.getAttribute("data-index"))); }
    });
  }
  function ask(query) {
    var mine = ++asked;
    fetch(search.getAttribute("data-search-url"), {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ query: query.slice(0, 100), limit: 5 }), credentials: "omit"
    }).then(function (response) {
      return response.ok ? response.json() : { places: [] };
    }).then(function (body) {
      // An answer to an older query than the field now holds is dropped.
      if (mine !== asked || input.value.trim() !== query) { return; }
      show(body.places || []);
    }).catch(function () { close(); });
  }
  function show(found) {
    places = found;
    active = -1;
    listbox.textContent = "";
    input.removeAttribute("aria-activedescendant");
    found.forEach(function (place, index) {
      var option = document.createElement("li");
      option.id = "place-option-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-index", String(index));
      option.textContent = place.label;
      listbox.appendChild(option);
    });
    listbox.hidden = found.length === 0;
    input.setAttribute("aria-expanded", found.length ? "true" : "false");
    announce.textContent = found.length ? format(search.getAttribute("data-found"), { count: found.length })
      : search.getAttribute("data-none");
  }
  function close() {
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }
  function highlight(index) {
    var options = listbox.querySelectorAll("[role=option]");
    if (!options.length) { return; }
    active = (index + options.length) % options.length;
    options.forEach(function (option, i) { option.setAttribute("aria-selected", i === active ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", options[active].id);
    options[active].scrollIntoView({ block: "nearest" });
  }
  function onKey(event) {
    var open = !listbox.hidden;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!open && places.length) { listbox.hidden = false; input.setAttribute("aria-expanded", "true"); }
      highlight(active === -1 && event.key === "ArrowUp" ? -1 : active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter" && open && active >= 0) {
      // Enter chooses the highlighted place; it does not send the form.
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      close();
    }
  }
  function choose(index) {
    var place = places[index];
    if (!place) { return; }
    chosen = place;
    input.value = place.label;
    close();
    moveTo(place.lat, place.lon, place.approximate ? 15 : 17).then(function () {
      announce.textContent = format(search.getAttribute("data-chosen"), { place: place.label });
    });
  }

  // The photo's own position: read in the browser from the original, before the downscale drops its metadata.
  // Only the coordinates the resident chooses are sent, in the form's own fields.
  var photos = document.getElementById("photos");
  var offer = document.getElementById("photo-place");
  var offerText = document.getElementById("photo-place-text");
  var exifr = null;
  var taken = null;
  function distance(a, b, c, d) {
    var rad = Math.PI / 180, x = Math.sin((c - a) * rad / 2), y = Math.sin((d - b) * rad / 2);
    var h = x * x + Math.cos(a * rad) * Math.cos(c * rad) * y * y;
    return 2 * 6371000 * Math.asin(Math.sqrt(h));
  }
  function spoken(metres) {
    return metres < 1000 ? Math.round(metres / 10) * 10 + " m" : (metres / 1000).toFixed(1) + " km";
  }
  function offerPlace(gps) {
    taken = gps;
    var a = parseFloat(lat.value), b = parseFloat(lon.value);
    offerText.textContent = isNaN(a) || isNaN(b) ? offer.getAttribute("data-no-pin")
      : format(offer.getAttribute("data-far"), { distance: spoken(distance(a, b, gps.latitude, gps.longitude)) });
    offer.hidden = false;
  }
  if (photos && offer) {
    photos.addEventListener("change", function () {
      // The originals, taken now: the downscale replaces the field's files with copies without metadata.
      var originals = Array.prototype.slice.call(photos.files);
      offer.hidden = true;
      taken = null;
      if (!originals.length) { return; }
      exifr = exifr || load(offer.getAttribute("data-exifr"));
      exifr.then(function () {
        return originals.reduce(function (found, file) {
          return found.then(function (gps) {
            return gps || window.exifr.gps(file).catch(function () { return null; });
          });
        }, Promise.resolve(null));
      }).then(function (gps) {
        if (gps && isFinite(gps.latitude) && isFinite(gps.longitude)) { offerPlace(gps); }
      }).catch(function () { offer.hidden = true; });
    });
    document.getElementById("use-photo-place").addEventListener("click", function () {
      if (!taken) { return; }
      moveTo(taken.latitude, taken.longitude, 17).then(function () {
        offerText.textContent = offer.getAttribute("data-moved");
      });
    });
  }
})();
