/* The staff map: pins of the filtered reports, clustered, over the jurisdiction's and wards' outlines.
 *
 * Everything the script needs is in the data-* attributes of #staff-map (the
 * Content-Security-Policy allows no inline script). Outlines and pins are
 * fetched from this site and drawn whether or not any tile arrives.
 * When the pins are drawn, #staff-map gets data-state="ready" and data-count.
 *
 * Up to 100,000 pins: a marker is a plain L.marker with no popup of its own
 * (one popup is made when a pin is opened), the clusters are computed only
 * for the zoom levels from two below the jurisdiction's view to the level
 * where clustering stops, and the page marks (performance.measure, names
 * starting "map:") how long the points' fetch, their parsing, the markers
 * and the clustering took.
 */
(function () {
  "use strict";
  var element = document.getElementById("staff-map");
  if (!element || typeof L === "undefined") { return; }
  var data = element.dataset;
  var statuses = JSON.parse(data.statuses || "{}");
  var categories = JSON.parse(data.categories || "{}");
  var counter = document.getElementById("map-count");
  var form = document.getElementById("map-filters");

  var map = L.map(element, { center: [35.68, 139.76], zoom: 12, keyboard: true });
  // Zooming out further than this from the jurisdiction's view shows nothing a clerk needs,
  // and every level kept costs the clustering a pass over all pins.
  var ZOOM_OUT_LEVELS = 2;
  if (data.tileUrl) {
    // Leaflet writes an attribution as HTML: the setting is shown as text.
    var attribution = document.createElement("span");
    attribution.textContent = data.attribution || "";
    L.tileLayer(data.tileUrl, { attribution: attribution.innerHTML, maxZoom: 18 }).addTo(map);
  }
  var outlineStyle = {
    jurisdiction: { color: "#1a3d8f", weight: 3, fill: false },
    ward: { color: "#5a6b8c", weight: 1.5, dashArray: "6 4", fillOpacity: 0.03 }
  };
  // Pins are clustered in chunks so that the page keeps answering while 100,000 are added;
  // the last chunk's progress call comes just before its clusters are put on the map.
  var finished = null;
  var pins = L.markerClusterGroup({
    chunkedLoading: true, chunkInterval: 150, chunkDelay: 1, maxClusterRadius: 60, disableClusteringAtZoom: 17,
    chunkProgress: function (processed, total) {
      if (processed === total && finished) { setTimeout(finished, 0); finished = null; }
    }
  });
  // One popup for whichever pin is opened, made when it is opened (by click or by Enter on a focused pin).
  // A marker's Enter turns into a click on the marker alone, so the key is heard here as well.
  pins.on("click keypress", function (event) {
    var marker = event.layer;
    if (event.type === "keypress" && event.originalEvent.keyCode !== 13) { return; }
    if (marker && marker.row && !marker.getPopup()) {
      marker.bindPopup(popup.bind(null, marker.row)).openPopup();
    }
  });

  function mark(name) { if (window.performance && performance.mark) { performance.mark(name); } }
  function measure(name, from, to) {
    if (window.performance && performance.measure) {
      try { performance.measure(name, from, to); } catch (ignored) { /* a mark is missing: nothing to measure */ }
    }
  }

  // The clusters are made for the zoom levels the map allows, so the pins are added once those are set.
  function showPins() {
    if (pins._map) { return; }
    map.setMinZoom(Math.max(0, map.getZoom() - ZOOM_OUT_LEVELS));
    map.addLayer(pins);
  }

  function say(text) { if (counter) { counter.textContent = text; } }

  function drawOutlines(collection) {
    var layer = L.geoJSON(collection, {
      style: function (feature) { return outlineStyle[feature.properties.kind] || outlineStyle.ward; },
      onEachFeature: function (feature, drawn) {
        if (feature.properties.kind === "ward") { drawn.bindTooltip(feature.properties.name, { sticky: true }); }
      }
    }).addTo(map);
    layer.bringToBack();
    var bounds = layer.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { animate: false }); }
  }

  function popup(row) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = data.reportUrl.replace("__report__", encodeURIComponent(row[0]));
    link.textContent = row[0];
    var title = document.createElement("strong");
    title.appendChild(link);
    var detail = document.createElement("p");
    detail.textContent = (categories[row[4]] || row[4]) + " / " + (statuses[row[3]] || row[3]);
    box.appendChild(title);
    box.appendChild(detail);
    return box;
  }

  function drawPins(answer) {
    mark("map:markers-start");
    var points = answer.points;
    var markers = new Array(points.length);
    for (var i = 0; i < points.length; i++) {
      var row = points[i];
      var marker = L.marker([row[1], row[2]], { title: row[0], alt: row[0] });
      marker.row = row;
      markers[i] = marker;
    }
    mark("map:markers-end");
    measure("map:markers", "map:markers-start", "map:markers-end");
    var template = answer.complete ? data.textCount : data.textCapped;
    finished = function () {
      mark("map:clusters-end");
      measure("map:clusters", "map:markers-end", "map:clusters-end");
      measure("map:ready", "map:fetch-start", "map:clusters-end");
      // From the start of the page's navigation until the pins are in.
      measure("map:since-navigation", undefined, "map:clusters-end");
      say(template.replace("{count}", answer.count.toLocaleString("ja-JP")));
      element.dataset.count = String(answer.count);
      element.dataset.state = "ready";
    };
    showPins();
    pins.clearLayers();
    // No "layeradd" event per pin: nothing listens for it, and 100,000 of them cost time.
    if (markers.length === 0) { finished(); finished = null; } else { pins.addLayers(markers, true); }
  }

  var latest = 0;
  // Pins are drawn once the outlines have set the view (or failed to); both are fetched at once.
  var outlinesDrawn = Promise.resolve();
  function loadPins(url) {
    var asked = ++latest;
    element.dataset.state = "loading";
    mark("map:fetch-start");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        mark("map:fetch-headers");
        measure("map:fetch", "map:fetch-start", "map:fetch-headers");
        return response.json();
      })
      .then(function (answer) {
        mark("map:parsed");
        measure("map:download-parse", "map:fetch-headers", "map:parsed");
        return outlinesDrawn.then(function () { if (asked === latest) { drawPins(answer); } });
      })
      .catch(function () {
        if (asked === latest) { say(data.textFailed); element.dataset.state = "failed"; }
      });
  }

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (String(value).trim() !== "") { params.append(name, value); }
    });
    return params.toString();
  }

  if (form) {
    var refresh = function (event) {
      if (event.type === "submit") { event.preventDefault(); }
      var wanted = query();
      history.replaceState(null, "", form.getAttribute("action") + (wanted ? "?" + wanted : ""));
      loadPins(data.pointsBase + (wanted ? "?" + wanted : ""));
    };
    form.addEventListener("change", refresh);
    form.addEventListener("submit", refresh);
  }

  outlinesDrawn = fetch(data.outlinesUrl, { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (collection) { if (collection) { drawOutlines(collection); } })
    .catch(function () { return null; });
  loadPins(data.pointsUrl);
})();
