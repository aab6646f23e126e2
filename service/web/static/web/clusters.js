/* Clusters of pins on a Leaflet map, for the staff map and the public map alike.
 *
 * Supercluster indexes the points once for every zoom level, and only the
 * clusters and pins inside the view (with half a screen's margin, so that a
 * small move shows no gap) are markers on the map, made again after each move;
 * those still in view are kept, so a focused pin or an open popup stays.
 * Clusters look as leaflet.markercluster's did (its stylesheet
 * MarkerCluster.Default.css) and are named by a sentence in the page's
 * language, which the page gives from its template. A click or Enter on a
 * cluster zooms to where it splits; on a pin it opens the popup the page makes.
 *
 *   var clusters = MachikoeClusters.on(map, {
 *     text: "{count} reports (zoom in)",    // a cluster's name
 *     locale: "en",                          // how its number is written
 *     pin: function (id, latlng) { ... },    // a pin's L.Marker (id: the point's place in the list)
 *     popup: function (marker) { ... }       // a pin's popup content, made when it is opened
 *   });
 *   clusters.show(clusters.index(count, function (id) { return [lon, lat]; }));
 */
(function () {
  "use strict";
  // Clusters as markercluster made them: 60 px apart, none from zoom 17 on.
  var RADIUS = 60;
  var LAST_CLUSTERED_ZOOM = 16;

  // A number as the page's language writes it (a tag the browser does not know falls back to its own).
  function number(value, locale) {
    try { return value.toLocaleString(locale); } catch (ignored) { return value.toLocaleString(); }
  }

  function icon(size, locale) {
    var inner = document.createElement("div");
    var figure = document.createElement("span");
    figure.textContent = number(size, locale);
    inner.appendChild(figure);
    var kind = size < 10 ? "small" : size < 100 ? "medium" : "large";
    return L.divIcon({ html: inner, className: "marker-cluster marker-cluster-" + kind, iconSize: L.point(40, 40) });
  }

  function on(map, options) {
    var locale = options.locale || document.documentElement.lang || undefined;
    var layer = L.featureGroup().addTo(map);
    // The markers on the map, by key: "c" + cluster id, or "p" + the pin's id.
    var shown = {};
    var current = null;

    function markerFor(feature) {
      var latlng = L.latLng(feature.geometry.coordinates[1], feature.geometry.coordinates[0]);
      var properties = feature.properties;
      if (properties && properties.cluster) {
        var label = options.text.replace("{count}", number(properties.point_count, locale));
        var cluster = L.marker(latlng, { icon: icon(properties.point_count, locale), title: label, alt: label });
        cluster.clusterId = properties.cluster_id;
        // Its name is the sentence, not the bare number it shows.
        cluster.on("add", function () { cluster.getElement().setAttribute("aria-label", label); });
        return cluster;
      }
      var pin = options.pin(feature.id, latlng);
      pin.pinId = feature.id;
      return pin;
    }

    function render() {
      if (!current) { return; }
      var bounds = map.getBounds().pad(0.5);
      var features = current.getClusters([Math.max(-180, bounds.getWest()), Math.max(-85, bounds.getSouth()),
        Math.min(180, bounds.getEast()), Math.min(85, bounds.getNorth())], Math.round(map.getZoom()));
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

    // A point comes back from the index with its place in the list as its id.
    function index(count, position) {
      var features = new Array(count);
      for (var i = 0; i < count; i++) {
        features[i] = { type: "Feature", id: i, properties: null, geometry: { type: "Point", coordinates: position(i) } };
      }
      // Supercluster's radius is in units of its tile extent: at 256, Leaflet's tile size, they are screen pixels.
      // The index covers the zoom levels the map allows.
      var built = new Supercluster({ radius: RADIUS, extent: 256, maxZoom: LAST_CLUSTERED_ZOOM, minZoom: map.getMinZoom() });
      built.load(features);
      return built;
    }

    function show(built) {
      layer.clearLayers();
      shown = {};
      current = built;
      render();
    }

    layer.on("click keypress", function (event) {
      var marker = event.propagatedFrom || event.layer;
      if (!marker || (event.type === "keypress" && event.originalEvent.keyCode !== 13)) { return; }
      if (marker.clusterId !== undefined) {
        var zoom = Math.min(current.getClusterExpansionZoom(marker.clusterId), map.getMaxZoom());
        map.setView(marker.getLatLng(), zoom);
      } else if (marker.pinId !== undefined && !marker.getPopup()) {
        marker.bindPopup(options.popup.bind(null, marker)).openPopup();
      }
    });
    map.on("moveend", render);

    return { index: index, show: show, number: function (value) { return number(value, locale); } };
  }

  window.MachikoeClusters = { on: on };
})();
