/* Scenario result page: the schematic map of losses by city and county (share of output lost,
 * in percent). Data comes from #scenario-data; drawing is tilemap.js's. */
(function () {
  "use strict";

  var source = document.getElementById("scenario-data");
  var element = document.getElementById("loss-map");
  if (!source || !element || typeof window.echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var text = data.text || {};
  var map = window.ChainwatchTiles.draw(
    element,
    { cities: data.cities, counties: data.counties },
    { firms: text.loss_share, output: text.loss_wan, many: text.many, few: text.few,
      unit: "%" },
    null,
    { palette: ["#f7f4f2", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"], unit: true }
  );
  window.addEventListener("resize", function () { map.chart.resize(); map.refresh(); });
}());
