// The monthly direct report form (直联直报): lines can be added and removed, the report goes to
// POST /api/v1/reports as JSON, field problems appear beside their inputs, flags come back for
// the firm to confirm (POST …/confirm) or correct (submit again).
(function () {
  "use strict";
  const form = document.getElementById("report-form");
  if (!form) return;
  const text = JSON.parse(document.getElementById("reports-text").textContent);
  const lang = JSON.parse(document.getElementById("reports-lang").textContent);
  const uscc = form.dataset.uscc;
  const period = form.dataset.period;
  const figures = ["output", "value_added", "revenue", "taxes", "profit", "electricity_kwh"];

  function say(key, fields) {
    let message = text[key] || key;
    Object.entries(fields || {}).forEach(([name, value]) => {
      message = message.split("{" + name + "}").join(String(value));
    });
    return message;
  }

  function number(raw) {
    const cleaned = String(raw || "").replace(/[,，\s]/g, "");
    if (cleaned === "") return null;
    const value = Number(cleaned);
    return Number.isFinite(value) ? value : cleaned; // the server explains what is wrong
  }

  function lines(table, keys, numeric) {
    return Array.from(document.querySelectorAll("#" + table + " tbody tr.line"))
      .map((row) => {
        const line = {};
        keys.forEach((key) => {
          const value = row.querySelector("[data-key=" + key + "]").value.trim();
          line[key] = key === numeric ? number(value) : value;
        });
        return line;
      })
      .filter((line) => keys.some((key) => line[key] !== null && line[key] !== ""));
  }

  function payload() {
    const data = { uscc: uscc, period: period };
    figures.forEach((name) => {
      data[name] = number(form.elements[name].value);
    });
    data.products = lines("products", ["name", "unit", "quantity"], "quantity");
    data.prices = lines("prices", ["material", "unit", "price"], "price");
    const note = form.elements.note.value.trim();
    data.note = note || null;
    return data;
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach((el) => {
      el.hidden = true;
      el.textContent = "";
    });
    form.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
    const top = document.getElementById("form-error");
    top.hidden = true;
    top.textContent = "";
  }

  function problemText(error) {
    const key = "error." + error.type;
    return text[key] ? say(key, { label: error.label }) : error.label + "：" + error.problem;
  }

  function showErrors(body) {
    const top = document.getElementById("form-error");
    const unplaced = [];
    (body.errors || []).forEach((error) => {
      const parts = String(error.field || "").split(".");
      let input = null;
      let holder = null;
      if (figures.includes(parts[0])) {
        input = form.elements[parts[0]];
        holder = input.parentElement.querySelector(".field-error");
      } else if ((parts[0] === "products" || parts[0] === "prices") && parts.length === 3) {
        const rows = document.querySelectorAll("#" + parts[0] + " tbody tr.line");
        const row = rows[Number(parts[1])];
        if (row) input = row.querySelector("[data-key=" + parts[2] + "]");
      } else if (parts[0] === "products") {
        holder = form.querySelector(".field-error[data-field=products]");
      }
      if (input) input.classList.add("invalid");
      if (holder) {
        holder.textContent = problemText(error);
        holder.hidden = false;
      } else {
        unplaced.push(problemText(error));
      }
    });
    const head = say("form.invalid");
    top.textContent = unplaced.length ? head + " " + unplaced.join("；") : head;
    if (!(body.errors || []).length) top.textContent = body.error || head;
    top.hidden = false;
  }

  function flagText(flag) {
    if (lang === "zh-CN") return flag.message;
    const label = text["field." + flag.field] || flag.label;
    if (flag.kind === "consistency") {
      return say("flags.consistency", { label: label, value: flag.value, limit: flag.limit });
    }
    return say("flags.history", {
      label: label,
      value: flag.value,
      unit: flag.unit,
      low: flag.low === null || flag.low === undefined ? "—" : Math.max(0, flag.low).toFixed(0),
      high: flag.high === null || flag.high === undefined ? "—" : flag.high.toFixed(0),
      last_year: flag.last_year === null || flag.last_year === undefined ? "—" : flag.last_year,
    });
  }

  function showReport(report) {
    const box = document.getElementById("flags");
    const list = document.getElementById("flag-list");
    list.innerHTML = "";
    report.flags.forEach((flag) => {
      const item = document.createElement("li");
      item.dataset.field = flag.field;
      item.textContent = flagText(flag);
      list.appendChild(item);
    });
    box.hidden = report.flags.length === 0;
    document.getElementById("confirm-box").hidden = report.status !== "待确认";
    const status = document.getElementById("report-status");
    status.hidden = false;
    const value = document.getElementById("status-value");
    value.dataset.status = report.status;
    value.textContent = say("status_value." + report.status);
    const timing = report.on_time ? say("on_time") : say("late_by", { days: report.days_late });
    document.getElementById("status-detail").textContent =
      say("revision", { n: report.revision }) + " · " + timing;
    (report.flags.length ? box : status).scrollIntoView({ block: "center" });
  }

  async function send(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    return { ok: response.ok, body: await response.json() };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const button = document.getElementById("submit");
    button.disabled = true;
    try {
      const answer = await send("/api/v1/reports?source=page", payload());
      if (answer.ok) {
        showReport(answer.body);
        button.textContent = say("form.resubmit");
      } else {
        showErrors(answer.body);
      }
    } finally {
      button.disabled = false;
    }
  });

  document.getElementById("confirm").addEventListener("click", async () => {
    const note = document.getElementById("confirm-note").value.trim();
    const url = "/api/v1/reports/" + uscc + "/" + period + "/confirm?source=page";
    const answer = await send(url, { note: note || null });
    if (answer.ok) showReport(answer.body);
    else showErrors(answer.body);
  });

  form.addEventListener("click", (event) => {
    const target = event.target;
    if (target.classList.contains("add-line")) {
      const table = target.dataset.table;
      const row = document.getElementById(table + "-row").content.firstElementChild.cloneNode(true);
      document.querySelector("#" + table + " tbody").appendChild(row);
      row.querySelector("input").focus();
    } else if (target.classList.contains("remove-line")) {
      target.closest("tr").remove();
    }
  });
})();
