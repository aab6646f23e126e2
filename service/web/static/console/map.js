/* The staff map: pins of the filtered reports, clustered, over the jurisdiction's and wards' outlines.
 *
 * Everything the script needs is in the data-* attributes of #staff-map (the
 * Content-Security-Policy allows no inline script). Outlines and pins are
 * fetched from this site and drawn whether or not any tile arrives.
 * When the pins are drawn, #staff-map gets data-state="ready" and data-count.
 *
 * Up to 100,000 pins: the answer is compact rows (see map_page.map_points),
 * clustered as the public map's pins are (web/clusters.js: Supercluster, and
 * markers only for what is in view). A pin's popup is made when it is opened,
 * by click or by Enter. The page marks (performance.measure, names starting "map:") how long
 * the points' fetch, their parsing, the clustering and the first drawing took.
 */
(function () {
  "use strict";
  var element = document.getElementById("staff-map");
  if (!element || typeof L === "undefined" || typeof Supercluster === "undefined" || !window.MachikoeClusters) { return; }
  var data = element.dataset;
  var statusLabels = JSON.parse(data.statuses || "{}");
  var categoryNames = JSON.parse(data.categories || "{}");
  var counter = document.getElementById("map-count");
  var form = document.getElementById("map-filters");

  var map = L.map(element, { center: [35.68, 139.76], zoom: 12, keyboard: true });
  // Zooming out further than this from the jurisdiction's view shows nothing a clerk needs.
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

  var answer = null;
  // A pin's popup names its report, with a link, its category and its status.
  var clusters = MachikoeClusters.on(map, {
    text: data.textCluster,
    locale: "ja-JP",
    pin: function (id, latlng) {
      var row = answer.points[id];
      var pin = L.marker(latlng, { title: row[0], alt: row[0] });
      pin.row = row;
      return pin;
    },
    popup: function (pin) { return popup(pin.row); }
  });

  function mark(name) { if (window.performance && performance.mark) { performance.mark(name); } }
  function measure(name, from, to) {
    if (window.performance && performance.measure) {
      try { performance.measure(name, from, to); } catch (ignored) { /* a mark is missing: nothing to measure */ }
    }
  }
  function say(text) { if (counter) { counter.textContent = text; } }
  function count(number) { return clusters.number(number); }

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

  function drawPins(received) {
    mark("map:clusters-start");
    // The index covers the zoom levels the map allows: from two below the jurisdiction's view, set with the first pins.
    if (!answer) { map.setMinZoom(Math.max(0, map.getZoom() - ZOOM_OUT_LEVELS)); }
    var points = received.points, scale = received.scale;
    var built = clusters.index(points.length, function (id) { return [points[id][2] / scale, points[id][1] / scale]; });
    mark("map:clusters-end");
    measure("map:clusters", "map:clusters-start", "map:clusters-end");
    answer = received;
    clusters.show(built);
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
