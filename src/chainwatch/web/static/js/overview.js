/* Charts of the province overview, drawn with ECharts served by this server.
 *
 * The region map is schematic on purpose: official map data needs a review number (审图号), so
 * it is the tile map of tilemap.js (loaded before this file), one square per city or county,
 * coloured by its number of firms. Clicking a tile opens the enterprise search for it.
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

  function searchUrl(parameter, value) {
    return "/enterprises?" + parameter + "=" + encodeURIComponent(value);
  }

  function shorten(label, length) {
    return label.length > length ? label.slice(0, length - 1) + "…" : label;
  }

  // The overview's map is the page's main chart, so it is drawn larger than the atlas maps:
  // bigger squares and names, a longer colour scale, and a tooltip saying what a click does.
  var mapLook = {
    palette: ["#eef4fb", "#c6dbef", "#6baed6", "#2171b5", "#08306b"],
    maxCell: 120,
    legendLength: 160,
    labels: [{ from: 70, font: 13, chars: 6 }, { from: 48, font: 12, chars: 4 },
             { from: 34, font: 10, chars: 3 }, { from: 0, font: 9, chars: 3 }],
    ellipsis: "…",
    groupDigits: true,
    unit: true,
    hint: true
  };

  function drawMap() {
    var element = document.getElementById("region-map");
    if (!element || !window.ChainwatchTiles) { return; }
    charts.push(window.ChainwatchTiles.draw(
      element, { cities: data.cities, counties: data.counties }, text,
      function (code) { window.location.href = searchUrl("region", code); }, mapLook));
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
