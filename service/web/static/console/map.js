/* The staff map: pins of the filtered reports, clustered, over the jurisdiction's and wards' outlines.
 *
 * Everything the script needs is in the data-* attributes of #staff-map (the
 * Content-Security-Policy allows no inline script). Outlines and pins are
 * fetched from this site and drawn whether or not any tile arrives.
 * When the pins are drawn, #staff-map gets data-state="ready" and data-count.
 *
 * Up to 100,000 pins: the answer is compact rows (see map_page.map_points),
 * Supercluster indexes them once for every zoom level in a single pass, and
 * only the clusters and pins inside the view are markers on the map, made
 * again after each move (those still in view are kept, so a focused pin or an
 * open popup stays). A pin's popup is made when it is opened, by click or by
 * Enter. The page marks (performance.measure, names starting "map:") how long
 * the points' fetch, their parsing, the clustering and the first drawing took.
 */
(function () {
  "use strict";
  var element = document.getElementById("staff-map");
  if (!element || typeof L === "undefined" || typeof Supercluster === "undefined") { return; }
  var data = element.dataset;
  var statusLabels = JSON.parse(data.statuses || "{}");
  var categoryNames = JSON.parse(data.categories || "{}");
  var counter = document.getElementById("map-count");
  var form = document.getElementById("map-filters");

  var map = L.map(element, { center: [35.68, 139.76], zoom: 12, keyboard: true });
  // Zooming out further than this from the jurisdiction's view shows nothing a clerk needs.
  var ZOOM_OUT_LEVELS = 2;
  // Clusters as markercluster made them: 60 px apart, none from zoom 17 on.
  var CLUSTER_RADIUS = 60;
  var LAST_CLUSTERED_ZOOM = 16;
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

  // The markers on the map, by key: "c" + cluster id, or "p" + the pin's row.
  var shown = {};
  var layer = L.featureGroup().addTo(map);
  var index = null;
  var answer = null;

  function mark(name) { if (window.performance && performance.mark) { performance.mark(name); } }
  function measure(name, from, to) {
    if (window.performance && performance.measure) {
      try { performance.measure(name, from, to); } catch (ignored) { /* a mark is missing: nothing to measure */ }
    }
  }
  function say(text) { if (counter) { counter.textContent = text; } }
  function count(number) { return number.toLocaleString("ja-JP"); }

  function drawOutlines(collection) {
    var drawn = L.geoJSON(collection, {
      style: function (feature) { return outlineStyle[feature.properties.kind] || outlineStyle.ward; },
      onEachFeature: function (feature, outline) {
        if (feature.properties.kind === "ward") { outline.bindTooltip(feature.properties.name, { sticky: true }); }
      }
    }).addTo(map);
    drawn.bringToBack();
    var bounds = drawn.getBounds();
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
    var status = answer.statuses[row[3]];
    var category = answer.categories[row[4]];
    detail.textContent = (categoryNames[row[4]] || category || "") + " / " + (statusLabels[status] || status);
    box.appendChild(title);
    box.appendChild(detail);
    return box;
  }

  // A cluster looks as markercluster's did (its stylesheet), and says in words what it holds and does.
  function clusterIcon(size) {
    var inner = document.createElement("div");
    var number = document.createElement("span");
    number.textContent = count(size);
    inner.appendChild(number);
    var kind = size < 10 ? "small" : size < 100 ? "medium" : "large";
    return L.divIcon({ html: inner, className: "marker-cluster marker-cluster-" + kind, iconSize: L.point(40, 40) });
  }

  function markerFor(feature) {
    var lon = feature.geometry.coordinates[0], lat = feature.geometry.coordinates[1];
    var properties = feature.properties;
    if (properties && properties.cluster) {
      var label = data.textCluster.replace("{count}", count(properties.point_count));
      var cluster = L.marker([lat, lon], { icon: clusterIcon(properties.point_count), title: label, alt: label });
      cluster.clusterId = properties.cluster_id;
      // Its name is the sentence, not the bare number it shows.
      cluster.on("add", function () { cluster.getElement().setAttribute("aria-label", label); });
      return cluster;
    }
    var row = answer.points[feature.id];
    var pin = L.marker([lat, lon], { title: row[0], alt: row[0] });
    pin.row = row;
    return pin;
  }

  // The clusters and pins in view (with a margin of half a screen, so that a small move shows no gap).
  function render() {
    if (!index) { return; }
    var bounds = map.getBounds().pad(0.5);
    var zoom = Math.round(map.getZoom());
    var features = index.getClusters([Math.max(-180, bounds.getWest()), Math.max(-85, bounds.getSouth()),
      Math.min(180, bounds.getEast()), Math.min(85, bounds.getNorth())], zoom);
    var wanted = {};
    var added = [];
    for (var i = 0; i < features.length; i++) {
      var feature = features[i];
      var key = feature.properties && feature.properties.cluster ? "c" + feature.properties.cluster_id : "p" + feature.id;
      wanted[key] = true;
      if (!shown[key]) { shown[key] = markerFor(feature); added.push(shown[key]); }
    }
    Object.keys(shown).forEach(function (key) {
      if (!wanted[key]) { layer.removeLayer(shown[key]); delete shown[key]; }
    });
    for (var j = 0; j < added.length; j++) { layer.addLayer(added[j]); }
  }

  // A cluster opens to the zoom where it splits; a pin opens its popup (by click, or by Enter on a focused marker).
  layer.on("click keypress", function (event) {
    var marker = event.propagatedFrom || event.layer;
    if (!marker || (event.type === "keypress" && event.originalEvent.keyCode !== 13)) { return; }
    if (marker.clusterId !== undefined) {
      var zoom = Math.min(index.getClusterExpansionZoom(marker.clusterId), map.getMaxZoom());
      map.setView(marker.getLatLng(), zoom);
    } else if (marker.row && !marker.getPopup()) {
      marker.bindPopup(popup.bind(null, marker.row)).openPopup();
    }
  });
  map.on("moveend", render);

  function asFeatures(points, scale) {
    var list = new Array(points.length);
    for (var i = 0; i < points.length; i++) {
      var row = points[i];
      // A pin comes back from the index with its row's place as its id.
      list[i] = { type: "Feature", id: i, properties: null, geometry: { type: "Point", coordinates: [row[2] / scale, row[1] / scale] } };
    }
    return list;
  }

  function drawPins(received) {
    mark("map:clusters-start");
    // The index covers the zoom levels the map allows: from two below the jurisdiction's view, set with the first pins.
    if (!index) { map.setMinZoom(Math.max(0, map.getZoom() - ZOOM_OUT_LEVELS)); }
    // Supercluster's radius is in units of its tile extent: at 256, Leaflet's tile size, they are screen pixels.
    var built = new Supercluster({ radius: CLUSTER_RADIUS, extent: 256, maxZoom: LAST_CLUSTERED_ZOOM,
      minZoom: map.getMinZoom() });
    built.load(asFeatures(received.points, received.scale));
    mark("map:clusters-end");
    measure("map:clusters", "map:clusters-start", "map:clusters-end");
    layer.clearLayers();
    shown = {};
    answer = received;
    index = built;
    render();
    mark("map:drawn");
    measure("map:drawing", "map:clusters-end", "map:drawn");
    measure("map:ready", "map:fetch-start", "map:drawn");
    // From the start of the page's navigation until the pins are in.
    measure("map:since-navigation", undefined, "map:drawn");
    var template = received.complete ? data.textCount : data.textCapped;
    say(template.replace("{count}", count(received.count)));
    element.dataset.count = String(received.count);
    element.dataset.state = "ready";
  }

  var latest = 0;
  // Pins are drawn once the outlines have set the view (or failed to); both are fetched at once.
  var outlinesDrawn = Promise.resolve();
  function loadPins(url) {
    var asked = ++latest;
    element.dataset.state = "loading";
    mark("map:fetch-start");
    // No headers of its own: the request must match the page's preload of the first pins to take its answer.
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        mark("map:fetch-headers");
        measure("map:fetch", "map:fetch-start", "map:fetch-headers");
        return response.json();
      })
      .then(function (received) {
        mark("map:parsed");
        measure("map:download-parse", "map:fetch-headers", "map:parsed");
        return outlinesDrawn.then(function () { if (asked === latest) { drawPins(received); } });
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
