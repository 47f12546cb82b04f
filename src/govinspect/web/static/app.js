/* govinspect dashboard: draws the charts from the JSON the page carries (never from page text), and small
   conveniences. No inline script anywhere: the Content-Security-Policy allows scripts from this server only. */
(function () {
  "use strict";

  var PASS = "#2f9e44", FAIL = "#e03131", BLUE = "#1d4f91";
  var FONT = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif';

  function stacked(d) {
    var passed = d.checked.map(function (c, i) { return c - d.failed[i]; });
    return {
      animation: false,
      textStyle: { fontFamily: FONT },
      color: [PASS, FAIL],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { data: ["合格", "不合格"], top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: d.labels, axisLabel: { interval: 0, rotate: d.labels.length > 8 ? 30 : 0, hideOverlap: false } },
      yAxis: { type: "value", minInterval: 1, name: "网站数" },
      series: [
        { name: "合格", type: "bar", stack: "n", data: passed, barMaxWidth: 36 },
        { name: "不合格", type: "bar", stack: "n", data: d.failed, barMaxWidth: 36 }
      ]
    };
  }

  var builders = {
    regions: stacked,
    categories: stacked,
    trend: function (d) {
      return {
        animation: false,
        textStyle: { fontFamily: FONT },
        color: [BLUE],
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
        grid: { left: 8, right: 24, top: 24, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: d.labels },
        yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        series: [{ name: "合格率", type: "line", data: d.rates, label: { show: true, formatter: "{c}%" } }]
      };
    },
    vetoes: function (d) {
      return {
        animation: false,
        textStyle: { fontFamily: FONT },
        color: [FAIL],
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        grid: { left: 8, right: 32, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: d.labels.slice().reverse(), axisLabel: { width: 160, overflow: "truncate" } },
        series: [{ type: "bar", data: d.counts.slice().reverse(), label: { show: true, position: "right" }, barMaxWidth: 28 }]
      };
    }
  };

  var charts = [];

  function initCharts() {
    charts.forEach(function (c) { if (!c.isDisposed()) { c.dispose(); } });
    charts = [];
    var holder = document.getElementById("chart-data");
    if (!holder || typeof window.echarts === "undefined") { return; }
    var data;
    try { data = JSON.parse(holder.textContent); } catch (e) { return; }
    if (!data) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var name = el.getAttribute("data-chart");
      if (!builders[name] || !data[name]) { return; }
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(builders[name](data[name]));
      charts.push(chart);
      el.setAttribute("data-drawn", "1");
    });
  }

  document.addEventListener("DOMContentLoaded", initCharts);
  document.addEventListener("htmx:afterSettle", initCharts);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.hasAttribute && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });
}());
