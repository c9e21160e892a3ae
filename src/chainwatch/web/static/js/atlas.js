/* Chain atlas pages: the segment flow graph (上游 → 中游 → 下游), the schematic map of the
 * chain's firms, and the suppliers of a segment. Data comes from #atlas-data. */
(function () {
  "use strict";

  var source = document.getElementById("atlas-data");
  if (!source || typeof window.echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var text = data.text || {};
  var charts = [];
  var stages = ["上游", "中游", "下游"];
  var statusColour = { missing: "#c0392b", weak: "#e6862e", ok: "#2171b5" };

  function wan(value) {
    return (value / 10000).toLocaleString(undefined, { maximumFractionDigits: 1 });
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%";
  }

  function drawGraph() {
    var element = document.getElementById("flow-graph");
    if (!element || !data.segments) { return; }
    var chart = echarts.init(element);
    var width = element.clientWidth, height = element.clientHeight;
    var maxOutput = Math.max(1, Math.max.apply(null, data.segments.map(function (s) { return s.output; })));
    var maxAmount = Math.max(1, Math.max.apply(null, data.flows.map(function (f) { return f.amount; })));
    var nodes = [];
    stages.forEach(function (stage, column) {
      var members = data.segments.filter(function (s) { return s.stage === stage; });
      members.forEach(function (s, row) {
        nodes.push({
          id: s.id, name: s.name, segment: s,
          x: width * (0.12 + 0.38 * column),
          y: height * (row + 1) / (members.length + 1),
          symbolSize: 18 + 30 * Math.sqrt(s.output / maxOutput),
          itemStyle: { color: statusColour[s.status] || "#9aa5b1" },
          label: { show: true, position: column === 2 ? "left" : "right", formatter: s.name + " · " + s.firms }
        });
      });
    });
    var links = data.flows.map(function (f) {
      var share = f.amount / maxAmount;
      return {
        source: f.source, target: f.target, flow: f,
        lineStyle: {
          width: f.amount > 0 ? 1 + 9 * Math.sqrt(share) : 1,
          type: f.amount > 0 ? "solid" : "dashed",
          color: !f.defined ? "#e6862e" : (f.amount > 0 ? "#6baed6" : "#c5cfdb"),
          curveness: 0.15, opacity: 0.85
        }
      };
    });
    chart.setOption({
      animation: false,
      tooltip: {
        formatter: function (p) {
          if (p.dataType === "edge") {
            var f = p.data.flow;
            return f.source + " → " + f.target + "<br>" + (text.amount || "") + ": " + wan(f.amount) +
              " " + (text.wan || "") + "<br>" + (text.pairs || "") + ": " + f.links +
              (f.defined ? "" : "<br>" + (text.undefined_flow || ""));
          }
          var s = p.data.segment;
          return s.name + "<br>" + (text.firms || "") + ": " + s.firms + "<br>" + (text.output || "") +
            ": " + wan(s.output) + " " + (text.wan || "") + "<br>" + (text.local_province || "") +
            ": " + percent(s.local_province_ratio) + (s.status && s.status !== "ok" ? "<br>" + (text["status_" + s.status] || "") : "");
        }
      },
      graphic: stages.map(function (stage, column) {
        return { type: "text", left: width * (0.12 + 0.38 * column) - 20, top: 6,
                 style: { text: text["stage_" + column] || stage, fill: "#5f6b7a", font: "bold 13px sans-serif" } };
      }),
      series: [{
        type: "graph", layout: "none", roam: true, cursor: "pointer",
        edgeSymbol: ["none", "arrow"], edgeSymbolSize: 9,
        data: nodes, links: links,
        label: { fontSize: 12 },
        emphasis: { focus: "adjacency" }
      }]
    });
    chart.on("click", function (p) {
      if (p.dataType === "node") {
        window.location.href = "/atlas/" + encodeURIComponent(data.chain) + "/" + encodeURIComponent(p.data.id);
      }
    });
    charts.push({ chart: chart });
  }

  function drawMap() {
    var element = document.getElementById("region-map");
    if (!element || !window.ChainwatchTiles) { return; }
    var drawn = window.ChainwatchTiles.draw(
      element, { cities: data.cities, counties: data.counties }, text,
      function (code) {
        var segment = data.segment ? "&segment=" + encodeURIComponent(data.segment) : "";
        window.location.href = "/atlas/" + encodeURIComponent(data.chain) + "/_firms?region=" + code + segment;
      });
    charts.push(drawn);
  }

  function drawSuppliers() {
    var element = document.getElementById("supplier-chart");
    if (!element || !data.suppliers || !data.suppliers.length) { return; }
    var chart = echarts.init(element);
    var rows = data.suppliers;
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "item", formatter: function (p) { return rows[p.dataIndex].label + ": " + wan(rows[p.dataIndex].amount) + " " + (text.wan || ""); } },
      xAxis: { type: "value", axisLabel: { formatter: function (v) { return wan(v); } } },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.label.length > 12 ? r.label.slice(0, 11) + "…" : r.label; }) },
      series: [{ type: "bar", barMaxWidth: 14, itemStyle: { color: "#2171b5" },
                 data: rows.map(function (r) { return r.amount; }) }]
    });
    charts.push({ chart: chart });
  }

  drawGraph();
  drawMap();
  drawSuppliers();
  window.addEventListener("resize", function () {
    charts.forEach(function (entry) { entry.chart.resize(); if (entry.refresh) { entry.refresh(); } });
  });
}());
