// The public map: one clustered marker per report of the list below it, each linking to its page.
(function () {
  "use strict";
  var node = document.getElementById("report-map");
  if (!node || !window.L || !window.L.markerClusterGroup) { return; }
  node.hidden = false;
  var map = window.L.map(node);
  var box = JSON.parse(node.getAttribute("data-bbox") || "null");
  if (box) { map.fitBounds([[box[1], box[0]], [box[3], box[2]]]); } else { map.setView([35.68, 139.76], 12); }
  window.L.tileLayer(node.getAttribute("data-tiles"), { attribution: node.getAttribute("data-attribution"), maxZoom: 18 }).addTo(map);
  var cluster = window.L.markerClusterGroup();
  document.querySelectorAll(".report-list li").forEach(function (item) {
    var lat = parseFloat(item.getAttribute("data-lat")), lon = parseFloat(item.getAttribute("data-lon"));
    var link = item.querySelector("a");
    if (isNaN(lat) || isNaN(lon) || !link) { return; }
    var marker = window.L.marker([lat, lon], { title: link.textContent, alt: link.textContent });
    var popup = document.createElement("a");
    popup.href = link.href;
    popup.textContent = link.textContent;
    marker.bindPopup(popup);
    cluster.addLayer(marker);
  });
  map.addLayer(cluster);
})();
