/* Schematic tile map for chainwatch pages (no boundaries, so no 审图号 is needed).
 *
 * Every region is one square placed by its centroid on plain longitude/latitude axes and
 * coloured by a count; where two regions would share a square, the one with the smaller count
 * moves to the nearest free square. Exposes window.ChainwatchTiles.draw(element, levels, text,
 * onClick, options) where levels maps a level name ("cities", "counties") to its tiles
 * ({code, name, longitude, latitude, count, optional output}); the buttons
 * `.toggle button[data-level]` switch the level, and onClick(code) follows a click on a tile.
 * options change the look (see defaults); a page leaves out what it does not change.
 *
 * With options.values the squares are coloured by each tile's `value` (an index, a rank)
 * instead of its count: values.min and values.max bound a continuous scale over
 * values.palette (values beyond them take the end colours), a tile whose value is null is
 * drawn grey (values.missing) outside the scale, and the squares show the value under the
 * name. The count still decides which of two tiles keeps a contested square. A tile's
 * optional `lines` are added to its tooltip.
 */
(function () {
  "use strict";

  var defaults = {
    palette: ["#f1f4f8", "#c6dbef", "#6baed6", "#2171b5", "#08306b"],
    maxCell: 110,        // pixels: a map of few regions keeps its squares readable, not huge
    legendLength: 140,   // pixels of the colour scale under the map
    // Font size and characters of the name, by the side of a square in pixels (largest first).
    labels: [{ from: 60, font: 12, chars: 5 }, { from: 36, font: 10, chars: 3 },
             { from: 0, font: 9, chars: 3 }],
    ellipsis: "",        // ends a shortened name, counted within its characters
    groupDigits: false,  // 12,345 rather than 12345 on the squares
    unit: false,         // tooltip: text.unit after the count
    hint: false,         // tooltip: text.click_hint under the figures
    level: "cities",     // the level drawn first
    // Colour by value, e.g. an index around 100: {min: 80, max: 120, palette: [red … green],
    // missing: "#cfd5dc", digits: 1, name: "税电指数", high: "120", low: "80", missingText: "—"}
    values: null
  };

  function settle(options) {
    var merged = {};
    Object.keys(defaults).forEach(function (key) {
      merged[key] = options && options[key] !== undefined ? options[key] : defaults[key];
    });
    return merged;
  }

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

  function option(element, tiles, text, options) {
    if (!tiles || !tiles.length) { return {}; }
    var look = settle(options);
    var lat = tiles.reduce(function (s, t) { return s + t.latitude; }, 0) / tiles.length;
    var squeeze = Math.cos(lat * Math.PI / 180);
    var planar = tiles.map(function (t) { return [t.longitude * squeeze, t.latitude]; });
    var xs0 = planar.map(function (p) { return p[0]; });
    var ys0 = planar.map(function (p) { return p[1]; });
    // Dense city districts sit closer than the typical spacing: also give each tile a fair
    // share of the bounding box so they spread out instead of shrinking every tile.
    var area = (Math.max.apply(null, xs0) - Math.min.apply(null, xs0)) *
               (Math.max.apply(null, ys0) - Math.min.apply(null, ys0));
    var side = Math.max(medianNearest(planar) * 1.05, Math.sqrt(area / tiles.length) * 0.75) || 1;
    var cells = place(planar.map(function (p) { return [p[0] / side, p[1] / side]; }),
                      tiles.map(function (t) { return t.count || 0; }));
    var xs = cells.map(function (c) { return c[0]; }), ys = cells.map(function (c) { return c[1]; });
    var minX = Math.min.apply(null, xs) - 0.6, maxX = Math.max.apply(null, xs) + 0.6;
    var minY = Math.min.apply(null, ys) - 0.6, maxY = Math.max.apply(null, ys) + 0.6;
    var width = element.clientWidth, height = element.clientHeight - 50;
    var cell = Math.min(width / (maxX - minX), height / (maxY - minY), look.maxCell);
    var size = cell * 0.94;
    var top = Math.max(1, Math.max.apply(null, tiles.map(function (t) { return t.count || 0; })));
    var tier = look.labels.filter(function (l) { return size >= l.from; })[0] ||
               look.labels[look.labels.length - 1];
    function count(value) { return look.groupDigits ? value.toLocaleString() : value; }
    function shorten(name) {
      if (name.length <= tier.chars) { return name; }
      return name.slice(0, tier.chars - look.ellipsis.length) + look.ellipsis;
    }
    if (look.values) {
      return valueOption(tiles, cells, text, look, {
        width: width, cell: cell, size: size, tier: tier, shorten: shorten,
        minX: minX, maxX: maxX, minY: minY, maxY: maxY
      });
    }
    return {
      animation: false,
      grid: { left: (width - cell * (maxX - minX)) / 2, top: 4,
              width: cell * (maxX - minX), height: cell * (maxY - minY) },
      xAxis: { type: "value", min: minX, max: maxX, show: false },
      yAxis: { type: "value", min: minY, max: maxY, show: false },
      tooltip: {
        formatter: function (p) {
          var lines = [p.data.name, (text.firms || "") + ": " + p.data.count.toLocaleString() +
                       (look.unit ? " " + (text.unit || "") : "")];
          if (p.data.output !== undefined) {
            var wan = p.data.output / 10000;
            lines.push((text.output || "") + ": " +
                       wan.toLocaleString(undefined, { maximumFractionDigits: 1 }));
          }
          if (look.hint) {
            lines.push("<span style=\"color:#888\">" + (text.click_hint || "") + "</span>");
          }
          return lines.join("<br>");
        }
      },
      visualMap: { type: "continuous", min: 0, max: top, dimension: 2, calculable: false,
                   orient: "horizontal", left: "center", bottom: 0, itemWidth: 12,
                   itemHeight: look.legendLength, text: [text.many || "", text.few || ""],
                   inRange: { color: look.palette } },
      series: [{
        type: "scatter", symbol: "rect", symbolSize: size, cursor: "pointer",
        itemStyle: { borderColor: "#ffffff", borderWidth: 1 },
        data: tiles.map(function (t, i) {
          return { value: [cells[i][0], cells[i][1], t.count], name: t.name, code: t.code,
                   count: t.count, output: t.output,
                   label: { color: t.count / top > 0.55 ? "#ffffff" : "#10243e" } };
        }),
        label: {
          show: size >= 22, position: "inside", fontSize: tier.font, lineHeight: tier.font + 3,
          formatter: function (p) {
            var name = shorten(p.data.name);
            return size >= 34 ? name + "\n" + count(p.data.count) : name;
          }
        },
        emphasis: { itemStyle: { borderColor: "#c0392b", borderWidth: 2 } }
      }]
    };
  }

  // Squares coloured by value: the scale covers the tiles with a value (series 0); the tiles
  // without one are a second, grey series the scale leaves alone.
  function valueOption(tiles, cells, text, look, frame) {
    var scale = look.values;
    var low = Number(scale.min), high = Number(scale.max);
    var digits = scale.digits === undefined ? 1 : scale.digits;
    var missingText = scale.missingText || "—";
    function shown(value) {
      return value === null || value === undefined ? missingText : Number(value).toFixed(digits);
    }
    function clamp(value) { return Math.min(high, Math.max(low, value)); }
    function datum(t, i) {
      var has = t.value !== null && t.value !== undefined;
      var share = has ? (clamp(t.value) - low) / ((high - low) || 1) : 0.5;
      return {
        value: [cells[i][0], cells[i][1], has ? clamp(t.value) : 0], name: t.name, code: t.code,
        shown: t.value, lines: t.lines || [],
        label: { color: has && (share < 0.2 || share > 0.8) ? "#ffffff" : "#10243e" }
      };
    }
    var withValue = [], without = [];
    tiles.forEach(function (t, i) {
      (t.value === null || t.value === undefined ? without : withValue).push(datum(t, i));
    });
    var label = {
      show: frame.size >= 22, position: "inside", fontSize: frame.tier.font,
      lineHeight: frame.tier.font + 3,
      formatter: function (p) {
        var name = frame.shorten(p.data.name);
        return frame.size >= 34 ? name + "\n" + shown(p.data.shown) : name;
      }
    };
    var series = {
      type: "scatter", symbol: "rect", symbolSize: frame.size, cursor: "pointer",
      itemStyle: { borderColor: "#ffffff", borderWidth: 1 }, label: label,
      emphasis: { itemStyle: { borderColor: "#c0392b", borderWidth: 2 } }
    };
    var grey = Object.assign({}, series, {
      data: without, itemStyle: { color: scale.missing || "#cfd5dc", borderColor: "#ffffff",
                                  borderWidth: 1 }
    });
    return {
      animation: false,
      grid: { left: (frame.width - frame.cell * (frame.maxX - frame.minX)) / 2, top: 4,
              width: frame.cell * (frame.maxX - frame.minX),
              height: frame.cell * (frame.maxY - frame.minY) },
      xAxis: { type: "value", min: frame.minX, max: frame.maxX, show: false },
      yAxis: { type: "value", min: frame.minY, max: frame.maxY, show: false },
      tooltip: {
        formatter: function (p) {
          var lines = [p.data.name, (scale.name || "") + ": " + shown(p.data.shown)];
          lines = lines.concat(p.data.lines);
          if (look.hint) {
            lines.push("<span style=\"color:#888\">" + (text.click_hint || "") + "</span>");
          }
          return lines.join("<br>");
        }
      },
      visualMap: { type: "continuous", min: low, max: high, dimension: 2, seriesIndex: 0,
                   calculable: false, orient: "horizontal", left: "center", bottom: 0,
                   itemWidth: 12, itemHeight: look.legendLength,
                   text: [scale.high || String(high), scale.low || String(low)],
                   textStyle: scale.textColor ? { color: scale.textColor } : undefined,
                   inRange: { color: scale.palette || defaults.palette } },
      series: [Object.assign({}, series, { data: withValue }), grey]
    };
  }

  function draw(element, levels, text, onClick, options) {
    var chart = window.echarts.init(element);
    var level = (options && options.level) || "cities";
    function refresh() { chart.setOption(option(element, levels[level], text, options), true); }
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
