/* The area import's preview: the jurisdiction's boundary and the planned areas on a Leaflet map.
 *
 * Everything comes from data-* attributes of #area-preview (the Content-Security-Policy
 * allows no inline script). The preview may be the page loaded, or one htmx swapped in after
 * an upload posted in place (staff/admin/setup_areas.html): the map is drawn on load and on
 * each htmx:load of swapped content, once per element. The outlines are drawn whether or
 * not any tile arrives; when they are, #area-preview gets data-state="ready" and data-count
 * (the planned areas).
 */
(function () {
  "use strict";
  var styles = {
    jurisdiction: { color: "#1a3d8f", weight: 4, fill: false },
    "new": { color: "#1e7b34", weight: 2, fillColor: "#1e7b34", fillOpacity: 0.15 },
    replace: { color: "#c46a00", weight: 2, fillColor: "#c46a00", fillOpacity: 0.15 },
    outside: { color: "#c3281f", weight: 3, fillColor: "#c3281f", fillOpacity: 0.2 }
  };

  function draw(element) {
    var data = element.dataset;
    var status = document.getElementById("preview-status");
    var map = L.map(element, { center: [35.68, 139.76], zoom: 11, keyboard: true });
    if (data.tileUrl) {
      // Leaflet writes an attribution as HTML: the setting is shown as text.
      var attribution = document.createElement("span");
      attribution.textContent = data.attribution || "";
      L.tileLayer(data.tileUrl, { attribution: attribution.innerHTML, maxZoom: 18 }).addTo(map);
    }
    fetch(data.shapesUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (collection) {
        var planned = 0;
        var layer = L.geoJSON(collection, {
          style: function (feature) { return styles[feature.properties.kind] || styles["new"]; },
          onEachFeature: function (feature, drawn) {
            if (feature.properties.kind !== "jurisdiction") {
              planned += 1;
              drawn.bindTooltip(feature.properties.name + " (" + feature.properties.code + ")", { sticky: true });
            }
          }
        }).addTo(map);
        var bounds = layer.getBounds();
        if (bounds.isValid()) { map.fitBounds(bounds, { padding: [12, 12], animate: false }); }
        element.dataset.count = String(planned);
        element.dataset.state = "ready";
      })
      .catch(function () {
        if (status) { status.textContent = data.textFailed; }
        element.dataset.state = "failed";
      });
  }

  function drawIn(root) {
    if (!root || typeof L === "undefined") { return; }
    var element = root.id === "area-preview" ? root : root.querySelector("#area-preview");
    // Leaflet marks the element it made a map of: a map is made once per element.
    if (element && !element.classList.contains("leaflet-container")) { draw(element); }
  }

  drawIn(document.documentElement);
  document.body.addEventListener("htmx:load", function (event) { drawIn(event.detail.elt); });
})();
