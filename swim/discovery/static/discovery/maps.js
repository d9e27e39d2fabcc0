/* Discovery maps, drawn with Leaflet (served from the django-leaflet package, no CDN).
 *
 * #concentration-map: one field's areas (JSON in #concentration-points): a circle per area
 * at the mean position of its organisations, sized by the organisations of the field and
 * styled by its location-quotient band (fill and outline pattern, see discovery/maps.css).
 * #run-map: a discovery run's candidates (JSON from data-url): each member a marker numbered
 * with its candidate's rank and coloured by candidate, with a key and the members without a
 * known position listed under the map.
 *
 * Without a tile server (SWIM_MAP_TILE_URL) the maps draw a plain background with a scale.
 * No inline scripts or styles: the strict Content-Security-Policy forbids them.
 */
(function () {
  "use strict";
  if (typeof L === "undefined") {
    return;
  }
  var numbers = new Intl.NumberFormat("en-GB");
  var TARGET_PIXELS = 24; // WCAG 2.2 target size

  function baseMap(element, options, tiles) {
    var tileUrl = tiles ? tiles.url : element.dataset.tileUrl;
    var attribution = tiles ? tiles.attribution : element.dataset.attribution;
    var map = L.map(element, Object.assign({ attributionControl: Boolean(tileUrl) }, options));
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: attribution || "", maxZoom: 19 }).addTo(map);
    } else {
      element.classList.add("map-no-tiles");
    }
    L.control.scale({ imperial: false, maxWidth: 160 }).addTo(map);
    return map;
  }

  function fit(map, latLngs) {
    if (latLngs.length) {
      map.fitBounds(L.latLngBounds(latLngs), { padding: [24, 24], maxZoom: 14 });
    } else {
      map.setView([54.0, -2.5], 6);
    }
  }

  function link(url, text) {
    var anchor = document.createElement("a");
    anchor.href = url;
    anchor.textContent = text;
    return anchor;
  }

  /* --- The concentration map ------------------------------------------------------------ */

  function concentrationMap(element) {
    var points = JSON.parse(document.getElementById("concentration-points").textContent);
    var map = baseMap(element, { minZoom: 4, maxZoom: 16 });
    var most = points.reduce(function (top, p) { return Math.max(top, p.count); }, 1);
    var bandWords = {
      below: "below average", average: "about average", above: "above average",
      high: "twice the average or more", few: "too few to judge",
    };
    // The largest first, so that smaller circles stay on top and can be selected.
    points.slice().sort(function (a, b) { return b.count - a.count; }).forEach(function (p) {
      var marker = L.circleMarker([p.lat, p.lon], {
        radius: 5 + 15 * Math.sqrt(p.count / most),
        className: "lq-band lq-" + p.band,
      });
      var summary = p.area + ": " + numbers.format(p.count) + " of " + numbers.format(p.total) +
        " organisations, location quotient " + p.lq.toFixed(2) + " (" + bandWords[p.band] + ")";
      marker.bindTooltip(summary);
      var content = document.createElement("div");
      var heading = document.createElement("strong");
      heading.textContent = p.area;
      var figures = document.createElement("div");
      figures.textContent = numbers.format(p.count) + " of " + numbers.format(p.total) +
        " organisations; location quotient " + p.lq.toFixed(2) + " (" + bandWords[p.band] + ")";
      var query = new URLSearchParams({ mode: "theme", classification: element.dataset.field });
      query.set(element.dataset.level === "district" ? "postcode" : "local_authority", p.area);
      content.append(heading, figures, link(element.dataset.discoverUrl + "?" + query + "#new-run", "Start discovery here"));
      marker.bindPopup(content);
      marker.addTo(map);
    });
    fit(map, points.map(function (p) { return [p.lat, p.lon]; }));
    document.getElementById("concentration-status").textContent =
      numbers.format(points.length) + (points.length === 1 ? " area" : " areas") +
      " on the map. Select a circle for its figures.";
  }

  /* --- The map of a discovery run ------------------------------------------------------- */

  /* Each marker at its organisation, unless that would overlap a marker already placed: then
   * at the nearest free slot on rings around it, so that every marker stays a separate
   * target of at least 24 px (WCAG 2.2). Redone at every zoom. */
  var SPACING = TARGET_PIXELS + 4;

  function freeSpot(at, placed) {
    var clear = function (spot) {
      return placed.every(function (other) {
        return Math.max(Math.abs(other.x - spot.x), Math.abs(other.y - spot.y)) >= SPACING;
      });
    };
    for (var ring = 0; ring < 40; ring++) {
      var slots = ring === 0 ? 1 : 6 * ring;
      for (var i = 0; i < slots; i++) {
        var angle = 2 * Math.PI * i / slots - Math.PI / 2;
        var spot = at.add(L.point(ring * SPACING * Math.cos(angle), ring * SPACING * Math.sin(angle)));
        if (clear(spot)) {
          return spot;
        }
      }
    }
    return at;
  }

  function layOut(map, layer, points, byRank) {
    layer.clearLayers();
    var placed = [];
    points.forEach(function (point) {
      var spot = freeSpot(map.latLngToLayerPoint([point.lat, point.lon]), placed);
      placed.push(spot);
      layer.addLayer(candidateMarker(point, byRank[point.candidate], map.layerPointToLatLng(spot)));
    });
  }

  function candidateMarker(point, candidate, position) {
    var names = point.members.map(function (m) { return m.name; });
    var description = "Candidate " + candidate.rank + ": " + names.join(", ");
    var marker = L.marker(position, {
      icon: L.divIcon({
        className: "cand-marker cand-c" + candidate.colour,
        html: "<span aria-hidden=\"true\">" + candidate.rank + "</span>",
        iconSize: [TARGET_PIXELS, TARGET_PIXELS],
      }),
      title: description,
      riseOnHover: true,
    });
    marker.on("add", function () {
      var element = marker.getElement();
      if (element) {
        element.setAttribute("aria-label", description);
      }
    });
    var content = document.createElement("div");
    content.append(link(candidate.url, "Candidate " + candidate.rank + " (" + candidate.kind.toLowerCase() +
      ", readiness " + candidate.readiness + " / 100)"));
    var list = document.createElement("ul");
    point.members.forEach(function (m) {
      var item = document.createElement("li");
      item.append(link(m.url, m.name));
      list.append(item);
    });
    content.append(list);
    marker.bindPopup(content);
    return marker;
  }

  function legend(container, candidates) {
    container.replaceChildren();
    candidates.forEach(function (c) {
      var item = document.createElement("li");
      var key = document.createElement("span");
      key.className = "cand-key cand-c" + c.colour;
      key.setAttribute("aria-hidden", "true");
      key.textContent = c.rank;
      item.append(key, " ", link(c.url, "Candidate " + c.rank + ": " + c.kind.toLowerCase() + ", " +
        c.members + " members"));
      container.append(item);
    });
    container.hidden = candidates.length === 0;
  }

  function unlocatedList(container, data, byRank) {
    var list = container.querySelector("ul");
    list.replaceChildren();
    data.unlocated.forEach(function (m) {
      var item = document.createElement("li");
      item.append(link(m.url, m.name), " — in ", link(byRank[m.candidate].url, "candidate " + m.candidate));
      list.append(item);
    });
    container.hidden = data.unlocated.length === 0;
  }

  function runMap(element) {
    var status = document.getElementById("run-map-status");
    status.textContent = "Loading the candidates…";
    fetch(element.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("the server answered " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        var map = baseMap(element, { minZoom: 4, maxZoom: 18 }, data.tiles);
        var byRank = {};
        data.candidates.forEach(function (c) { byRank[c.rank] = c; });
        var layer = L.layerGroup().addTo(map);
        fit(map, data.points.map(function (p) { return [p.lat, p.lon]; }));
        layOut(map, layer, data.points, byRank);
        map.on("zoomend", function () { layOut(map, layer, data.points, byRank); });
        legend(document.getElementById("run-map-legend"), data.candidates);
        unlocatedList(document.getElementById("run-map-unlocated"), data, byRank);
        var shown = data.candidates.length < data.total_candidates
          ? "The " + data.candidates.length + " most ready of " + numbers.format(data.total_candidates) + " candidates"
          : numbers.format(data.candidates.length) + (data.candidates.length === 1 ? " candidate" : " candidates");
        status.textContent = shown + " on the map; each marker shows its candidate's number." +
          (data.unlocated.length === 1 ? " 1 member without a known position is listed below." : "") +
          (data.unlocated.length > 1 ? " " + data.unlocated.length + " members without a known position are listed below." : "");
      })
      .catch(function (error) {
        status.textContent = "The map could not be loaded: " + error.message;
      });
  }

  var concentration = document.getElementById("concentration-map");
  if (concentration) {
    concentrationMap(concentration);
  }
  var run = document.getElementById("run-map");
  if (run) {
    runMap(run);
  }
})();
