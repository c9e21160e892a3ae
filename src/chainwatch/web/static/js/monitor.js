/* Monitoring pages (一图一指数, 赛马, 大屏): the region map coloured by an index or a rank, the
 * index series with the 荣枯线 at 100, the month selector and the wall display's clock.
 *
 * Everything comes from the JSON the server embedded in #monitor-data, so a page is one request:
 * {levels: {cities|counties: tiles}, level, scale, series: {periods, composite, sales,
 * electricity}, text, link, query, dark}. The map is tilemap.js (loaded before this file) with
 * its `values` option; a click on a square opens link + code + query.
 */
(function () {
  "use strict";

  // A new month (level, city) reloads the page; without scripts the form has its own button.
  document.querySelectorAll("select[data-submit]").forEach(function (element) {
    element.addEventListener("change", function () { element.form.submit(); });
  });

  function two(n) { return (n < 10 ? "0" : "") + n; }
  var clock = document.getElementById("screen-clock");
  if (clock) {
    var tick = function () {
      var d = new Date();
      clock.textContent = d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) +
        " " + two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
    };
    tick();
    window.setInterval(tick, 1000);
  }

  var source = document.getElementById("monitor-data");
  if (!source || typeof window.echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var text = data.text || {};
  var dark = Boolean(data.dark);
  var charts = [];

  function drawMap() {
    var element = document.getElementById("monitor-map");
    var levels = data.levels || {};
    if (!element || !window.ChainwatchTiles || !Object.keys(levels).length) { return; }
    var look = {
      values: data.scale,
      level: data.level,
      maxCell: dark ? 130 : 110,
      legendLength: 160,
      labels: [{ from: 70, font: 13, chars: 6 }, { from: 48, font: 12, chars: 4 },
               { from: 34, font: 10, chars: 3 }, { from: 0, font: 9, chars: 3 }],
      ellipsis: "…",
      hint: Boolean(data.link)
    };
    var onClick = data.link ? function (code) {
      window.location.href = data.link + encodeURIComponent(code) + (data.query || "");
    } : null;
    var drawn = window.ChainwatchTiles.draw(element, levels, text, onClick, look);
    element.setAttribute("data-drawn", "true");
    charts.push(drawn);
  }

  function drawSeries() {
    var element = document.getElementById("monitor-series");
    var series = data.series;
    if (!element || !series || !series.periods.length) { return; }
    var chart = echarts.init(element);
    var ink = dark ? "#c9d6ea" : "#5f6b7a";
    var grid = dark ? "#243552" : "#eef1f4";
    var colours = { composite: "#1f4e8c", sales: "#e6862e", electricity: "#2e9d8f" };
    if (dark) { colours.composite = "#5fa8ff"; }
    var metrics = ["composite", "sales", "electricity"];
    chart.setOption({
      animation: false,
      color: metrics.map(function (m) { return colours[m]; }),
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      legend: { top: 0, textStyle: { color: ink },
                data: metrics.map(function (m) { return text[m] || m; }) },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) { return v === null || v === undefined ? "—" : v.toFixed(1); }
      },
      xAxis: { type: "category", data: series.periods, axisLabel: { color: ink },
               axisLine: { lineStyle: { color: ink } } },
      yAxis: { type: "value", scale: true, axisLabel: { color: ink },
               splitLine: { lineStyle: { color: grid } } },
      series: metrics.map(function (m, i) {
        var line = {
          type: "line", name: text[m] || m, data: series[m], connectNulls: false,
          symbolSize: 5, lineStyle: { width: m === "composite" ? 3 : 1.5 }
        };
        if (i === 0) {
          line.markLine = {
            silent: true, symbol: "none",
            lineStyle: { color: "#c0392b", type: "dashed", width: 1.5 },
            label: { formatter: text.line_label || "100", color: dark ? "#ff8a80" : "#c0392b",
                     position: "insideEndTop" },
            data: [{ yAxis: 100 }]
          };
        }
        return line;
      })
    });
    element.setAttribute("data-drawn", "true");
    charts.push({ chart: chart });
  }

  drawMap();
  drawSeries();
  window.addEventListener("resize", function () {
    charts.forEach(function (entry) {
      entry.chart.resize();
      if (entry.refresh) { entry.refresh(); }
    });
  });
}());
