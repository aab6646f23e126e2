/* A report's small location map: its pin over the outline of the ward it lies in.
 *
 * Everything comes from the data-* attributes of #report-map (no inline
 * script under the Content-Security-Policy): the point, the outline as
 * GeoJSON, the tile address and its attribution. Pin and outline are drawn
 * whether or not a tile arrives; then #report-map gets data-state="ready".
 */
(function () {
  "use strict";
  var element = document.getElementById("report-map");
  if (!element || typeof L === "undefined") { return; }
  var data = element.dataset;
  var point = [Number(data.lat), Number(data.lon)];
  element.textContent = "";
  var map = L.map(element, { center: point, zoom: 16, keyboard: true, scrollWheelZoom: false });
  if (data.tileUrl) {
    // Leaflet writes an attribution as HTML: the setting is shown as text.
    var attribution = document.createElement("span");
    attribution.textContent = data.attribution || "";
    L.tileLayer(data.tileUrl, { attribution: attribution.innerHTML, maxZoom: 18 }).addTo(map);
  }
  var outline = L.geoJSON(JSON.parse(data.outline || '{"type":"FeatureCollection","features":[]}'), {
    style: { color: "#1a3d8f", weight: 3, dashArray: "6 4", fillOpacity: 0.06 },
    interactive: false
  }).addTo(map);
  L.marker(point, { title: data.pinLabel, alt: data.pinLabel, keyboard: false }).addTo(map);
  var bounds = outline.getBounds();
  // The ward's outline frames the pin; an outline too large to show streets (a whole city) leaves the pin's street in view.
  if (bounds.isValid() && map.getBoundsZoom(bounds) >= 12) { map.fitBounds(bounds.extend(point), { padding: [8, 8], maxZoom: 16 }); }
  element.dataset.state = "ready";
})();
