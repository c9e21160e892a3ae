/* Schematic tile map for chainwatch pages (no boundaries, so no 审图号 is needed).
 *
 * Every region is one square placed by its centroid on plain longitude/latitude axes and
 * coloured by a count; where two regions would share a square, the one with the smaller count
 * moves to the nearest free square. Exposes window.ChainwatchTiles.draw(element, levels, text,
 * onClick) where levels maps a level name ("cities", "counties") to its tiles
 * ({code, name, longitude, latitude, count}).
 */
(function () {
  "use strict";

  var palette = ["#f1f4f8", "#c6dbef", "#6baed6", "#2171b5", "#08306b"];

  function medianNearest(points) {
    var nearest = points.map(function (p, i) {
      var best = Infinity;
      points.forEach(function (q, j) {
        if (i !== j) { best = Math.min(best, Math.hypot(p[0] - q[0], p[1] - q[1])); }
      });
      return best;
    }).filter(isFinite).sort(function (a, b) { return a - b; });
    return nearest.length ? nearest[Math.floor(nearest.length / 2)] : 1;
  }

  function place(points, weights) {
    var used = {}, cells = [];
    var order = points.map(function (_, i) { return i; });
    order.sort(function (a, b) { return weights[b] - weights[a]; });
    order.forEach(function (i) {
      var x = points[i][0], y = points[i][1], cx = Math.round(x), cy = Math.round(y);
      for (var ring = 0; ring < 60 && !cells[i]; ring++) {
        var best = null, bestDistance = Infinity;
        for (var dx = -ring; dx <= ring; dx++) {
          for (var dy = -ring; dy <= ring; dy++) {
            if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring || used[(cx + dx) + ":" + (cy + dy)]) {
              continue;
            }
            var d = Math.pow(cx + dx - x, 2) + Math.pow(cy + dy - y, 2);
            if (d < bestDistance) { bestDistance = d; best = [cx + dx, cy + dy]; }
          }
        }
        if (best) { used[best[0] + ":" + best[1]] = true; cells[i] = best; }
      }
    });
    return cells;
  }

  function option(element, tiles, text) {
    if (!tiles || !tiles.length) { return {}; }
    var lat = tiles.reduce(function (s, t) { return s + t.latitude; }, 0) / tiles.length;
    var squeeze = Math.cos(lat * Math.PI / 180);
    var planar = tiles.map(function (t) { return [t.longitude * squeeze, t.latitude]; });
    var xs0 = planar.map(function (p) { return p[0]; }), ys0 = planar.map(function (p) { return p[1]; });
    var area = (Math.max.apply(null, xs0) - Math.min.apply(null, xs0)) *
               (Math.max.apply(null, ys0) - Math.min.apply(null, ys0));
    var side = Math.max(medianNearest(planar) * 1.05, Math.sqrt(area / tiles.length) * 0.75) || 1;
    var cells = place(planar.map(function (p) { return [p[0] / side, p[1] / side]; }),
                      tiles.map(function (t) { return t.count; }));
    var xs = cells.map(function (c) { return c[0]; }), ys = cells.map(function (c) { return c[1]; });
    var minX = Math.min.apply(null, xs) - 0.6, maxX = Math.max.apply(null, xs) + 0.6;
    var minY = Math.min.apply(null, ys) - 0.6, maxY = Math.max.apply(null, ys) + 0.6;
    var width = element.clientWidth, height = element.clientHeight - 50;
    var cell = Math.min(width / (maxX - minX), height / (maxY - minY), 110);
    var size = cell * 0.94;
    var top = Math.max(1, Math.max.apply(null, tiles.map(function (t) { return t.count; })));
    var font = size >= 60 ? 12 : size >= 36 ? 10 : 9;
    var nameLength = size >= 60 ? 5 : 3;
    return {
      animation: false,
      grid: { left: (width - cell * (maxX - minX)) / 2, top: 4,
              width: cell * (maxX - minX), height: cell * (maxY - minY) },
      xAxis: { type: "value", min: minX, max: maxX, show: false },
      yAxis: { type: "value", min: minY, max: maxY, show: false },
      tooltip: {
        formatter: function (p) {
          var lines = [p.data.name, (text.firms || "") + ": " + p.data.count.toLocaleString()];
          if (p.data.output !== undefined) {
            lines.push((text.output || "") + ": " + (p.data.output / 10000).toLocaleString(undefined, { maximumFractionDigits: 1 }));
          }
          return lines.join("<br>");
        }
      },
      visualMap: { type: "continuous", min: 0, max: top, dimension: 2, calculable: false,
                   orient: "horizontal", left: "center", bottom: 0, itemWidth: 12, itemHeight: 140,
                   text: [text.many || "", text.few || ""], inRange: { color: palette } },
      series: [{
        type: "scatter", symbol: "rect", symbolSize: size, cursor: "pointer",
        itemStyle: { borderColor: "#ffffff", borderWidth: 1 },
        data: tiles.map(function (t, i) {
          return { value: [cells[i][0], cells[i][1], t.count], name: t.name, code: t.code,
                   count: t.count, output: t.output,
                   label: { color: t.count / top > 0.55 ? "#ffffff" : "#10243e" } };
        }),
        label: {
          show: size >= 22, position: "inside", fontSize: font, lineHeight: font + 3,
          formatter: function (p) {
            var name = p.data.name.length > nameLength ? p.data.name.slice(0, nameLength) : p.data.name;
            return size >= 34 ? name + "\n" + p.data.count : name;
          }
        },
        emphasis: { itemStyle: { borderColor: "#c0392b", borderWidth: 2 } }
      }]
    };
  }

  function draw(element, levels, text, onClick) {
    var chart = window.echarts.init(element);
    var level = "cities";
    function refresh() { chart.setOption(option(element, levels[level], text), true); }
    refresh();
    if (onClick) {
      chart.on("click", function (p) { if (p.data && p.data.code) { onClick(p.data.code); } });
    }
    var buttons = document.querySelectorAll(".toggle button[data-level]");
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        level = button.getAttribute("data-level");
        buttons.forEach(function (b) { b.classList.toggle("active", b === button); });
        refresh();
      });
    });
    return { chart: chart, refresh: refresh };
  }

  window.ChainwatchTiles = { draw: draw, option: option };
}());
