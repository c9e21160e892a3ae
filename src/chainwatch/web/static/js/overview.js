/* Charts of the province overview, drawn with ECharts served by this server.
 *
 * The region map is schematic on purpose: official map data needs a review number (审图号), so
 * each city or county is a square tile placed at its centroid on plain longitude/latitude axes
 * and coloured by its number of firms. Clicking a tile opens the enterprise search for it.
 */
(function () {
  "use strict";

  var source = document.getElementById("overview-data");
  if (!source || typeof window.echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var text = data.text || {};
  var charts = [];
  var palette = ["#eef4fb", "#c6dbef", "#6baed6", "#2171b5", "#08306b"];

  function searchUrl(parameter, value) {
    return "/enterprises?" + parameter + "=" + encodeURIComponent(value);
  }

  function shorten(label, length) {
    return label.length > length ? label.slice(0, length - 1) + "…" : label;
  }

  // Typical distance between neighbouring centroids: the side of one tile.
  function typicalSpacing(points) {
    var nearest = [];
    for (var i = 0; i < points.length; i++) {
      var best = Infinity;
      for (var j = 0; j < points.length; j++) {
        if (i === j) { continue; }
        var dx = points[i][0] - points[j][0];
        var dy = points[i][1] - points[j][1];
        best = Math.min(best, Math.sqrt(dx * dx + dy * dy));
      }
      if (best < Infinity) { nearest.push(best); }
    }
    if (!nearest.length) { return 1; }
    nearest.sort(function (a, b) { return a - b; });
    return nearest[Math.floor(nearest.length / 2)];
  }

  // Snap every centroid to a grid cell; where two regions want one cell, the one with fewer
  // firms moves to the nearest free cell, so tiles never overlap and stay near their place.
  function snapToGrid(points, weights) {
    var taken = {};
    var cells = new Array(points.length);
    var order = points.map(function (_, i) { return i; });
    order.sort(function (a, b) { return weights[b] - weights[a]; });
    order.forEach(function (i) {
      var x = points[i][0], y = points[i][1];
      var cx = Math.round(x), cy = Math.round(y);
      for (var ring = 0; ring < 50; ring++) {
        var best = null, bestDistance = Infinity;
        for (var dx = -ring; dx <= ring; dx++) {
          for (var dy = -ring; dy <= ring; dy++) {
            if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring) { continue; }
            var key = (cx + dx) + "," + (cy + dy);
            if (taken[key]) { continue; }
            var distance = Math.pow(cx + dx - x, 2) + Math.pow(cy + dy - y, 2);
            if (distance < bestDistance) { best = [cx + dx, cy + dy]; bestDistance = distance; }
          }
        }
        if (best) {
          taken[best[0] + "," + best[1]] = true;
          cells[i] = best;
          return;
        }
      }
    });
    return cells;
  }

  function mapOption(element, level) {
    var tiles = data[level] || [];
    if (!tiles.length) { return {}; }
    // One degree of longitude is shorter than one of latitude away from the equator.
    var meanLat = tiles.reduce(function (sum, t) { return sum + t.latitude; }, 0) / tiles.length;
    var squeeze = Math.cos(meanLat * Math.PI / 180);
    var planar = tiles.map(function (t) { return [t.longitude * squeeze, t.latitude]; });
    // Dense city districts sit closer than the typical spacing: also give each tile a fair
    // share of the bounding box so they spread out instead of shrinking every tile.
    var spanX = Math.max.apply(null, planar.map(function (p) { return p[0]; })) -
                Math.min.apply(null, planar.map(function (p) { return p[0]; }));
    var spanY = Math.max.apply(null, planar.map(function (p) { return p[1]; })) -
                Math.min.apply(null, planar.map(function (p) { return p[1]; }));
    var side = Math.max(typicalSpacing(planar) * 1.05,
                        Math.sqrt((spanX * spanY) / tiles.length) * 0.75) || 1;
    var cells = snapToGrid(planar.map(function (p) { return [p[0] / side, p[1] / side]; }),
                           tiles.map(function (t) { return t.count; }));
    var xs = cells.map(function (c) { return c[0]; }), ys = cells.map(function (c) { return c[1]; });
    var minX = Math.min.apply(null, xs) - 0.6, maxX = Math.max.apply(null, xs) + 0.6;
    var minY = Math.min.apply(null, ys) - 0.6, maxY = Math.max.apply(null, ys) + 0.6;
    var width = element.clientWidth, height = element.clientHeight - 50;
    var cellPixels = Math.min(width / (maxX - minX), height / (maxY - minY), 120);
    var size = cellPixels * 0.94;
    var maxCount = Math.max(1, Math.max.apply(null, tiles.map(function (t) { return t.count; })));
    var fontSize = size >= 70 ? 13 : size >= 48 ? 12 : size >= 34 ? 10 : 9;
    var nameLength = size >= 70 ? 6 : size >= 48 ? 4 : 3;
    return {
      animation: false,
      grid: {
        left: (width - cellPixels * (maxX - minX)) / 2, top: 4,
        width: cellPixels * (maxX - minX), height: cellPixels * (maxY - minY)
      },
      xAxis: { type: "value", min: minX, max: maxX, show: false },
      yAxis: { type: "value", min: minY, max: maxY, show: false },
      tooltip: {
        formatter: function (p) {
          return p.data.name + "<br>" + (text.firms || "") + ": " + p.data.count.toLocaleString() +
            " " + (text.unit || "") + "<br><span style=\"color:#888\">" + (text.click_hint || "") + "</span>";
        }
      },
      visualMap: {
        type: "continuous", min: 0, max: maxCount, dimension: 2, calculable: false,
        orient: "horizontal", left: "center", bottom: 0, itemWidth: 12, itemHeight: 160,
        text: [text.many || "", text.few || ""], inRange: { color: palette }
      },
      series: [{
        type: "scatter", symbol: "rect", symbolSize: size, cursor: "pointer",
        data: tiles.map(function (t, i) {
          var dark = t.count / maxCount > 0.55;
          return {
            value: [cells[i][0], cells[i][1], t.count], name: t.name, code: t.code, count: t.count,
            label: { color: dark ? "#ffffff" : "#10243e" }
          };
        }),
        itemStyle: { borderColor: "#ffffff", borderWidth: 1 },
        label: {
          show: size >= 22, position: "inside", fontSize: fontSize, lineHeight: fontSize + 3,
          formatter: function (p) {
            var name = shorten(p.data.name, nameLength);
            return size >= 34 ? name + "\n" + p.data.count.toLocaleString() : name;
          }
        },
        emphasis: { itemStyle: { borderColor: "#c0392b", borderWidth: 2 } }
      }]
    };
  }

  function drawMap() {
    var element = document.getElementById("region-map");
    if (!element) { return; }
    var chart = echarts.init(element);
    var level = "cities";
    chart.setOption(mapOption(element, level));
    chart.on("click", function (p) {
      if (p.data && p.data.code) { window.location.href = searchUrl("region", p.data.code); }
    });
    var buttons = document.querySelectorAll(".toggle button[data-level]");
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        level = button.getAttribute("data-level");
        buttons.forEach(function (b) { b.classList.toggle("active", b === button); });
        chart.setOption(mapOption(element, level), true);
      });
    });
    charts.push({ chart: chart, refresh: function () { chart.setOption(mapOption(element, level), true); } });
  }

  function drawIndustries() {
    var element = document.getElementById("industry-chart");
    if (!element || !data.divisions.length) { return; }
    var chart = echarts.init(element);
    var rows = data.divisions;
    var labelLength = Number(text.label_length) || 12;
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var row = rows[p.dataIndex];
          return row.code + " " + (row.name || "") + "<br>" + (text.firms || "") + ": " +
            row.count.toLocaleString() + " " + (text.unit || "");
        }
      },
      xAxis: { type: "value", splitLine: { lineStyle: { color: "#eef1f4" } } },
      yAxis: {
        type: "category", inverse: true,
        data: rows.map(function (r) { return r.code + " " + shorten(r.name || "", labelLength); })
      },
      series: [{
        type: "bar", name: text.firms || "", cursor: "pointer", barMaxWidth: 18,
        itemStyle: { color: "#2171b5" }, label: { show: true, position: "right" },
        data: rows.map(function (r) { return { value: r.count, code: r.code }; })
      }]
    });
    chart.on("click", function (p) { window.location.href = searchUrl("industry", p.data.code); });
    charts.push({ chart: chart });
  }

  function drawScales() {
    var element = document.getElementById("scale-chart");
    if (!element || !data.scales.length) { return; }
    var chart = echarts.init(element);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      color: ["#2171b5", "#9ecae1", "#d9d9d9"],
      series: [{
        type: "pie", radius: ["45%", "75%"], data: data.scales,
        label: { formatter: "{b}\n{c}" }
      }]
    });
    charts.push({ chart: chart });
  }

  function drawTags() {
    var element = document.getElementById("tag-chart");
    if (!element || !data.tags.length) { return; }
    var chart = echarts.init(element);
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "item" },
      xAxis: { type: "value", splitLine: { lineStyle: { color: "#eef1f4" } } },
      yAxis: { type: "category", inverse: true, data: data.tags.map(function (r) { return r.tag; }) },
      series: [{
        type: "bar", name: text.firms || "", cursor: "pointer", barMaxWidth: 16,
        itemStyle: { color: "#e6862e" }, label: { show: true, position: "right" },
        data: data.tags.map(function (r) { return { value: r.count, tag: r.tag }; })
      }]
    });
    chart.on("click", function (p) { window.location.href = searchUrl("tag", p.data.tag); });
    charts.push({ chart: chart });
  }

  drawMap();
  drawIndustries();
  drawScales();
  drawTags();
  window.addEventListener("resize", function () {
    charts.forEach(function (entry) {
      entry.chart.resize();
      if (entry.refresh) { entry.refresh(); }
    });
  });
}());
