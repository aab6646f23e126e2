/* The public map: the reports of the list below it as pins, clustered (web/clusters.js), each opening
 * a popup that links to the report's public page.
 *
 * The pins are read from the list itself (its items' data-lat and data-lon, which the disclosure
 * policy has already rounded), so the map shows nothing the list does not. The words a cluster
 * says come from #report-map's data-text-cluster, in the page's language.
 */
(function () {
  "use strict";
  var node = document.getElementById("report-map");
  if (!node || !window.L || !window.Supercluster || !window.MachikoeClusters) { return; }
  node.hidden = false;
  var map = L.map(node);
  var box = JSON.parse(node.getAttribute("data-bbox") || "null");
  if (box) { map.fitBounds([[box[1], box[0]], [box[3], box[2]]]); } else { map.setView([35.68, 139.76], 12); }
  L.tileLayer(node.getAttribute("data-tiles"), { attribution: node.getAttribute("data-attribution"), maxZoom: 18 }).addTo(map);

  var reports = [];
  document.querySelectorAll(".report-list li").forEach(function (item) {
    var lat = parseFloat(item.getAttribute("data-lat")), lon = parseFloat(item.getAttribute("data-lon"));
    var link = item.querySelector("a");
    if (isNaN(lat) || isNaN(lon) || !link) { return; }
    var status = item.querySelector(".status");
    reports.push({ lat: lat, lon: lon, link: link, status: status ? status.textContent : "" });
  });

  // A pin's popup: the report's category as a link to its page, and its status.
  function popup(pin) {
    var report = reports[pin.pinId];
    var content = document.createElement("div");
    var link = document.createElement("a");
    link.setAttribute("href", report.link.getAttribute("href"));
    link.textContent = report.link.textContent;
    var status = document.createElement("p");
    status.textContent = report.status;
    content.appendChild(link);
    content.appendChild(status);
    return content;
  }

  var clusters = MachikoeClusters.on(map, {
    text: node.getAttribute("data-text-cluster"),
    pin: function (id, latlng) {
      var name = reports[id].link.textContent;
      return L.marker(latlng, { title: name, alt: name });
    },
    popup: popup
  });
  clusters.show(clusters.index(reports.length, function (id) { return [reports[id].lon, reports[id].lat]; }));
  node.setAttribute("data-state", "ready");
})();
