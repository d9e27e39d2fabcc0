/* SWiM maps, drawn with Leaflet (served from the django-leaflet package, no CDN).
 *
 * #directory-map: asks /directory/map/data/ for what is in view each time the map moves. The
 * server answers with grid cells (count and mean position, aggregated in SQL) or, when few
 * organisations are in view, with the organisations themselves.
 * #org-map: one organisation's position.
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

  function baseMap(element, options) {
    var tileUrl = element.dataset.tileUrl;
    var map = L.map(element, Object.assign({ attributionControl: Boolean(tileUrl) }, options));
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: element.dataset.attribution || "", maxZoom: 19 }).addTo(map);
    } else {
      element.classList.add("map-no-tiles");
    }
    L.control.scale({ imperial: false, maxWidth: 160 }).addTo(map);
    return map;
  }

  function plural(count, one, many) {
    return numbers.format(count) + " " + (count === 1 ? one : many);
  }

  function label(marker, text) {
    marker.on("add", function () {
      var element = marker.getElement();
      if (element) {
        element.setAttribute("aria-label", text);
      }
    });
  }

  /* A circle per cell, inside its cell: at the mean position, but kept far enough from the
   * cell's edges that circles never overlap (each stays a separate 24px+ target). */
  function cellMarker(map, cell, cellPixels) {
    var size = Math.min(44, Math.round(26 + 4 * Math.log10(cell.count)));
    var b = cell.bounds;
    var margin = Math.min(0.5, (size / 2 + 4) / cellPixels);
    var within = function (value, low, high) {
      var span = high - low;
      return Math.max(low + margin * span, Math.min(high - margin * span, value));
    };
    var position = [within(cell.lat, b[1], b[3]), within(cell.lon, b[0], b[2])];
    var text = cell.count >= 10000 ? Math.round(cell.count / 1000) + "k" : numbers.format(cell.count);
    var description = plural(cell.count, "organisation", "organisations") + " here: select to zoom in";
    var marker = L.marker(position, {
      icon: L.divIcon({
        className: "map-cell" + (cell.count >= 100 ? " map-cell-many" : ""),
        html: "<span aria-hidden=\"true\">" + text + "</span>",
        iconSize: [size, size],
      }),
      title: description,
      riseOnHover: true,
    });
    label(marker, description);
    var zoomIn = function () {
      var zoom = map.getZoom();
      var fit = map.getBoundsZoom([[b[1], b[0]], [b[3], b[2]]]);
      map.setView([cell.lat, cell.lon], Math.min(Math.max(fit, zoom + 1), zoom + 3, map.getMaxZoom()));
    };
    marker.on("click", zoomIn);
    marker.on("keypress", function (event) {
      if (event.originalEvent.key === "Enter" || event.originalEvent.key === " ") {
        zoomIn();
      }
    });
    return marker;
  }

  // Targets are at least 24 px (WCAG 2.2 target size); organisations closer than that on
  // screen share one marker whose popup lists them all.
  var TARGET_PIXELS = 24;

  function groupPoints(map, points) {
    var groups = [];
    points.forEach(function (point) {
      var at = map.latLngToLayerPoint([point.lat, point.lon]);
      var near = groups.find(function (group) { return group.at.distanceTo(at) < TARGET_PIXELS; });
      if (near) {
        near.points.push(point);
      } else {
        groups.push({ at: at, points: [point] });
      }
    });
    return groups;
  }

  function pointMarker(points) {
    var first = points[0];
    var many = points.length > 1;
    var marker = L.marker([first.lat, first.lon], {
      icon: L.divIcon({
        className: many ? "map-point map-point-group" : "map-point",
        iconSize: [TARGET_PIXELS, TARGET_PIXELS],
        html: many ? String(points.length) : "",
      }),
      title: many ? points.length + " organisations here" : first.name,
    });
    label(marker, many
      ? points.length + " organisations here: " + points.map(function (p) { return p.name; }).join(", ")
      : first.name + (first.sample ? " (sample data)" : ""));
    var content = document.createElement("div");
    points.forEach(function (point) {
      var link = document.createElement("a");
      link.href = point.url;
      link.textContent = point.name;
      var id = document.createElement("div");
      id.textContent = point.org_id + (point.sample ? " · sample data" : "");
      content.append(link, id);
    });
    marker.bindPopup(content);
    return marker;
  }

  function listPoints(container, data) {
    var list = container.querySelector("ul");
    list.replaceChildren();
    data.points.forEach(function (point) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = point.url;
      link.textContent = point.name;
      item.append(link);
      if (point.sample) {
        item.append(" (sample)");
      }
      list.append(item);
    });
    container.hidden = data.points.length === 0;
  }

  function describe(data) {
    if (data.total === 0) {
      return "No organisations in this part of the map. Zoom out or move the map.";
    }
    if (data.mode === "cells") {
      return plural(data.total, "organisation", "organisations") + " in view, in " +
        plural(data.cells.length, "group", "groups") +
        ". Zoom in, or select a circle, to see the organisations themselves.";
    }
    var shown = plural(data.total, "organisation", "organisations") + " in view";
    if (data.truncated) {
      return shown + "; the first " + numbers.format(data.points.length) + " by name are listed below the map.";
    }
    return shown + ", listed below the map.";
  }

  function directoryMap(element) {
    var map = baseMap(element, { minZoom: 3, maxZoom: 19 });
    var layer = L.layerGroup().addTo(map);
    var status = document.getElementById("map-status");
    var pointsBox = document.getElementById("map-points");
    var bounds = (element.dataset.bounds || "").split(",").map(Number);
    if (bounds.length === 4) {
      map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]], { padding: [24, 24], maxZoom: 15 });
    } else {
      map.setView([54.0, -2.5], 6);
    }
    var controller = null;
    var timer = null;

    function load() {
      if (controller) {
        controller.abort();
      }
      controller = new AbortController();
      var view = map.getBounds();
      var clamp = function (value, limit) { return Math.max(-limit, Math.min(limit, value)); };
      var bbox = [
        clamp(view.getWest(), 180), clamp(view.getSouth(), 90),
        clamp(view.getEast(), 180), clamp(view.getNorth(), 90),
      ].map(function (value) { return value.toFixed(5); }).join(",");
      var query = (element.dataset.filters ? element.dataset.filters + "&" : "") +
        "bbox=" + bbox + "&zoom=" + map.getZoom();
      status.textContent = "Loading the organisations in view…";
      fetch(element.dataset.url + "?" + query, {
        signal: controller.signal,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (data) {
            if (!response.ok) {
              throw new Error(data.error || "The map could not be loaded.");
            }
            return data;
          });
        })
        .then(function (data) {
          layer.clearLayers();
          data.cells.forEach(function (cell) { layer.addLayer(cellMarker(map, cell, data.cell_pixels)); });
          groupPoints(map, data.points).forEach(function (group) {
            layer.addLayer(pointMarker(group.points));
          });
          element.dataset.mode = data.mode;
          listPoints(pointsBox, data);
          status.textContent = describe(data);
        })
        .catch(function (error) {
          if (error.name !== "AbortError") {
            status.textContent = "The map could not be loaded: " + error.message;
          }
        });
    }

    map.on("moveend", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(load, 120);
    });
    load();
  }

  function organisationMap(element) {
    var position = [Number(element.dataset.lat), Number(element.dataset.lon)];
    var map = baseMap(element, { minZoom: 5, maxZoom: 18, scrollWheelZoom: false });
    map.setView(position, 15);
    L.marker(position, {
      icon: L.divIcon({ className: "map-point map-point-self", iconSize: [18, 18] }),
      keyboard: false,
      interactive: false,
    }).addTo(map);
  }

  var directory = document.getElementById("directory-map");
  if (directory) {
    directoryMap(directory);
  }
  var organisation = document.getElementById("org-map");
  if (organisation) {
    organisationMap(organisation);
  }
})();
