/* The staff map: pins of the filtered reports, clustered, over the jurisdiction's and wards' outlines.
 *
 * Everything the script needs is in the data-* attributes of #staff-map (the
 * Content-Security-Policy allows no inline script). Outlines and pins are
 * fetched from this site and drawn whether or not any tile arrives.
 * When the pins are drawn, #staff-map gets data-state="ready" and data-count.
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
    chunkedLoading: true, maxClusterRadius: 60, disableClusteringAtZoom: 17,
    chunkProgress: function (processed, total) {
      if (processed === total && finished) { setTimeout(finished, 0); finished = null; }
    }
  });
  map.addLayer(pins);

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
    if (bounds.isValid()) { map.fitBounds(bounds); }
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
    var markers = new Array(answer.points.length);
    for (var i = 0; i < answer.points.length; i++) {
      var row = answer.points[i];
      var marker = L.marker([row[1], row[2]], { title: row[0], alt: row[0] });
      marker.bindPopup(popup.bind(null, row));
      markers[i] = marker;
    }
    var template = answer.complete ? data.textCount : data.textCapped;
    finished = function () {
      say(template.replace("{count}", answer.count.toLocaleString("ja-JP")));
      element.dataset.count = String(answer.count);
      element.dataset.state = "ready";
    };
    pins.clearLayers();
    if (markers.length === 0) { finished(); finished = null; } else { pins.addLayers(markers); }
  }

  var latest = 0;
  function loadPins(url) {
    var asked = ++latest;
    element.dataset.state = "loading";
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (answer) { if (asked === latest) { drawPins(answer); } })
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

  fetch(data.outlinesUrl, { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (collection) { if (collection) { drawOutlines(collection); } })
    .catch(function () { return null; })
    .then(function () { loadPins(data.pointsUrl); });
})();
