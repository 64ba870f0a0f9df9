// What if? Runs the model the build compiled (src/figures/plan.rs) with the reader's values
// and formats every figure exactly as src/figures/format.rs does; tests/it/whatif.rs holds
// the two to the same bytes. No network: the model is in the page.
"use strict";
(function () {
  // ---- Exact decimals: Rust rounds a tie half to even on the double's exact value.
  // A finite double as an integer D and k, its value being D / 10^k.
  function exact(x) {
    var view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, Math.abs(x));
    var bits = view.getBigUint64(0);
    var e = Number((bits >> 52n) & 0x7ffn);
    var m = bits & 0xfffffffffffffn;
    if (e) m |= 1n << 52n; else e = 1;
    e -= 1075;
    return e >= 0 ? [m << BigInt(e), 0] : [m * 5n ** BigInt(-e), -e];
  }
  // D / 10^cut rounded half to even.
  function cutEven(d, cut) {
    if (cut <= 0) return d * 10n ** BigInt(-cut);
    var p = 10n ** BigInt(cut), q = d / p, r = (d % p) * 2n;
    return r > p || (r === p && q % 2n === 1n) ? q + 1n : q;
  }
  function sign(x) { return x < 0 || Object.is(x, -0) ? "-" : ""; }
  // format!("{:.n}", x)
  function fixed(x, n) {
    var dk = exact(x), s = cutEven(dk[0], dk[1] - n).toString();
    if (n > 0) {
      s = s.padStart(n + 1, "0");
      s = s.slice(0, -n) + "." + s.slice(-n);
    }
    return sign(x) + s;
  }
  // format!("{:.p$e}", x)
  function expo(x, p) {
    var dk = exact(x), d = dk[0], exp = 0, q;
    if (d === 0n) q = 0n;
    else {
      var len = d.toString().length;
      exp = len - 1 - dk[1];
      q = cutEven(d, len - (p + 1));
      if (q.toString().length > p + 1) { q /= 10n; exp += 1; }
    }
    var s = q.toString().padStart(p + 1, "0");
    return sign(x) + s[0] + (p > 0 ? "." + s.slice(1) : "") + "e" + exp;
  }
  function roundAway(x) { return x < 0 ? -Math.round(-x) : Math.round(x); }

  // ---- format.rs
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"];
  var TIME = { s: "second", min: "minute", h: "hour", day: "day", week: "week", month: "month", year: "year" };
  function clamp(p) { return Math.min(15, Math.max(1, p)); }
  function writtenDigits(v) {
    var m = Math.abs(v).toExponential().split("e")[0];
    return clamp(m.replace(/[^0-9]/g, "").length);
  }
  function rounding(f, value) {
    var p = f.precision != null ? f.precision
      : f.kind === "derived" ? (f.estimate ? 2 : 3) : writtenDigits(value);
    return { precision: clamp(p), approximate: f.kind === "derived" && f.estimate };
  }
  function roundSig(value, precision) {
    var text = expo(value, precision - 1), r = parseFloat(text);
    return [isFinite(r) ? r : value, parseInt(text.split("e")[1], 10)];
  }
  function isRounded(value, precision) {
    return Math.abs(roundSig(value, clamp(precision))[0] - value) > 1e-9 * Math.abs(value);
  }
  function group(digits) {
    return digits.replace(/\B(?=(\d{3})+$)/g, ",");
  }
  function decimal(magnitude, exponent, precision) {
    var text = fixed(magnitude, Math.max(0, precision - 1 - exponent));
    if (text.indexOf(".") >= 0) text = text.replace(/0+$/, "").replace(/\.$/, "");
    var parts = text.split(".");
    return group(parts[0]) + (parts.length > 1 ? "." + parts[1] : "");
  }
  function scientific(magnitude, precision) {
    var parts = expo(magnitude, precision - 1).split("e");
    var m = parts[0].indexOf(".") >= 0 ? parts[0].replace(/0+$/, "").replace(/\.$/, "") : parts[0];
    return m + "e" + parts[1];
  }
  function magnitudeText(magnitude, exponent, precision) {
    if (magnitude === 0) return "0";
    if (exponent < -3 || exponent >= 18) return scientific(magnitude, precision);
    var words = [["trillion", 12, 1e12], ["billion", 9, 1e9], ["million", 6, 1e6]];
    for (var i = 0; i < 3; i++) {
      if (exponent >= words[i][1]) {
        return decimal(magnitude / words[i][2], exponent - words[i][1], precision) + " " + words[i][0];
      }
    }
    return decimal(magnitude, exponent, precision);
  }
  function signed(rounded, text) {
    return rounded < 0 && /[1-9]/.test(text) ? "-" + text : text;
  }
  function plain(value, precision) {
    var r = roundSig(value, precision);
    return signed(r[0], magnitudeText(Math.abs(r[0]), r[1], precision));
  }
  function money(value, precision) {
    var r = roundSig(value, precision), m = Math.abs(r[0]), digits;
    if (m >= 1e6 || (m > 0 && m < 0.01)) digits = magnitudeText(m, r[1], precision);
    else if (m >= 100) digits = decimal(m, r[1], precision);
    else if (m % 1 === 0) digits = String(m);
    else digits = fixed(m, 2);
    return signed(r[0], "$" + digits);
  }
  function moneyTail(per) {
    var tail = "", rate = null;
    per.forEach(function (a) {
      var word = TIME[a[0]];
      if (word && rate === null && a[1] === -1) rate = word;
      else if (a[1] === -1) tail += " per " + a[0];
      else tail += " per " + a[0] + "^" + -a[1];
    });
    return rate ? tail + " " + (rate === "hour" ? "an" : "a") + " " + rate : tail;
  }
  function measure(value, f, precision) {
    var atoms = f.atoms;
    var one = atoms.length === 1 && atoms[0][1] === 1 ? atoms[0][0] : null;
    if (!atoms.length || one === "count") return [plain(value, precision), ""];
    if (one === "%") return [plain(value, precision) + "%", ""];
    if (one && TIME[one]) {
      var n = plain(value, precision);
      return [n + " " + TIME[one] + (n === "1" || n === "-1" ? "" : "s"), ""];
    }
    var per = atoms.slice(1);
    if (atoms[0][0] === "USD" && atoms[0][1] === 1 && per.every(function (a) { return a[1] < 0; })) {
      return [money(value, precision), moneyTail(per)];
    }
    return [plain(value, precision) + " " + f.unit.trim(), ""];
  }
  function dateText(months) {
    var m = roundAway(months);
    if (!(m >= 12 && m <= 119999)) throw new Error("the date is outside the years 1 to 9999");
    return MONTHS[m % 12] + " " + String(Math.floor(m / 12)).padStart(4, "0");
  }
  // format_declared: { display, number } of `value` in the unit of figure `f`.
  function formatDeclared(value, f, precision, words) {
    if (!isFinite(value)) throw new Error("the value is not a finite number");
    var parts = f.date ? [dateText(value), ""] : measure(value, f, clamp(precision));
    var front = words && words.trim() ? words.trim() + " " : "";
    return { display: front + parts[0] + parts[1], number: front + parts[0] };
  }
  function formatRounded(value, f, r) {
    var q = f.qualifier && f.qualifier.trim();
    var about = r.approximate && !f.date && isFinite(value) && isRounded(value, r.precision);
    var words = q ? (about ? q + " about" : q) : (about ? "about" : null);
    return formatDeclared(value, f, r.precision, words);
  }
  function show(f, value) { return formatRounded(value, f, rounding(f, value)); }
  function rangeText(low, high) {
    if (low === high) return low;
    var digit = /[0-9]$/;
    for (var i = low.indexOf(" "); i >= 0; i = low.indexOf(" ", i + 1)) {
      var tail = low.slice(i), head = low.slice(0, i);
      if (high.length >= tail.length && high.slice(high.length - tail.length) === tail) {
        var highHead = high.slice(0, high.length - tail.length);
        if (digit.test(head) && digit.test(highHead) && !/^[0-9]/.test(tail.trim())) {
          return head + " to " + high;
        }
      }
    }
    return low + " to " + high;
  }
  function rangePrecisions(low, high, precision) {
    precision = clamp(precision);
    if (low === 0 || high === 0 || (low < 0) !== (high < 0)) return [precision, precision];
    var le = roundSig(low, precision)[1], he = roundSig(high, precision)[1];
    var fewer = function (by) { return Math.max(1, precision - by); };
    return le < he ? [fewer(he - le), precision] : le > he ? [precision, fewer(le - he)] : [precision, precision];
  }
  function formatRange(low, high, f, precision) {
    var p = rangePrecisions(low, high, precision);
    return rangeText(formatDeclared(low, f, p[0]).display, formatDeclared(high, f, p[1]).display);
  }

  // ---- The model (plan.rs): every figure's value with `set` (index -> value) applied.
  function node(n, v) {
    switch (n[0]) {
      case "n": return n[1];
      case "v": return v[n[1]];
      case "neg": return -node(n[1], v);
      case "add": return node(n[1], v) + node(n[2], v) * n[3];
      case "sub": return node(n[1], v) - node(n[2], v) * n[3];
      case "mul": return node(n[1], v) * node(n[2], v);
      case "div":
        var a = node(n[1], v), b = node(n[2], v);
        if (b === 0) throw new Error("division by zero");
        return a / b;
      case "dadd": return node(n[1], v) + roundAway(node(n[2], v) * n[3]);
      case "dsub": return node(n[1], v) - roundAway(node(n[2], v) * n[3]);
      case "min": case "max":
        var x = node(n[1], v), y = node(n[2], v) * n[3];
        return (n[0] === "min" ? x <= y : x >= y) ? x : y;
      case "abs": return Math.abs(node(n[1], v));
      case "round": return roundAway(node(n[1], v) * n[2]);
    }
    throw new Error("unknown operation " + n[0]);
  }
  function values(model, set) {
    var v = model.figures.map(function (f, i) { return i in set ? set[i] : f.value; });
    model.order.forEach(function (i) {
      var f = model.figures[i];
      if (!f.plan) return;
      var r = node(f.plan, v);
      if (!isFinite(r)) throw new Error(f.name + ": not a finite number");
      v[i] = f.to == null ? r : r * f.to;
    });
    return v;
  }
  function failing(model, v) {
    return model.checks.filter(function (c) {
      var l = node(c.left, v), r = node(c.right, v) * c.factor;
      var slack = model.tolerance * Math.max(Math.abs(l), Math.abs(r));
      return !({ ">=": l >= r - slack, "<=": l <= r + slack, ">": l > r + slack,
        "<": l < r - slack, "==": Math.abs(l - r) <= slack })[c.op];
    });
  }
  // Every figure's outcome by name, as Figures::evaluate gives it: { value, display, number }.
  function evaluate(model, byName) {
    var set = {};
    model.figures.forEach(function (f, i) { if (f.name in byName) set[i] = byName[f.name]; });
    var v = values(model, set), out = {};
    model.figures.forEach(function (f, i) {
      var s = show(f, v[i]);
      out[f.name] = { value: v[i], display: s.display, number: s.number };
    });
    return { outcomes: out, values: v, failing: failing(model, v).map(function (c) { return c.id; }) };
  }

  // ---- The panel: progressive enhancement of a page that shows estimates.
  function monthText(v) {
    var m = roundAway(v);
    return String(Math.floor(m / 12)).padStart(4, "0") + "-" + String(m % 12 + 1).padStart(2, "0");
  }
  function readValue(f, text) {
    var d = /^(\d{4})-(\d{2})$/.exec(text);
    return f.date ? (d ? +d[1] * 12 + +d[2] - 1 : NaN) : parseFloat(text);
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text != null) e.textContent = text;
    return e;
  }
  function step(f) {
    if (f.date || !f.range) return f.date ? "1" : "any";
    var s = Math.pow(10, Math.floor(Math.log10(f.range[1] - f.range[0])) - 1);
    var whole = [f.value, f.range[0], f.range[1]].every(function (x) { return x % 1 === 0; });
    return String(whole ? Math.max(1, s) : s);
  }
  function kindName(f) { return f.kind === "derived" && f.estimate ? "Estimate" : f.kind[0].toUpperCase() + f.kind.slice(1); }

  function Panel(model) {
    this.model = model;
    this.index = {};
    model.figures.forEach(function (f, i) { this.index[f.name] = i; }, this);
    this.spans = Array.prototype.slice.call(document.querySelectorAll(".fig[data-fig]"))
      .filter(function (s) { return s.dataset.show === "display" || s.dataset.show === "number"; });
    this.spans.forEach(function (s) {
      var link = s.querySelector(".fig-link");
      s.whatif = { link: link, text: link.textContent, title: link.title,
        inputs: s.querySelector(".fig-tip-inputs"), basis: s.querySelector(".fig-tip-basis") };
      ["inputs", "basis"].forEach(function (k) { if (s.whatif[k]) s.whatif[k + "Text"] = s.whatif[k].textContent; });
    });
    this.charts = Array.prototype.slice.call(document.querySelectorAll("figure.chart[id^='chart-']"));
    this.charts.forEach(function (c) { var svg = c.querySelector("svg"); c.whatif = svg && svg.outerHTML; });
    var seen = {};
    this.spans.forEach(function (s) {
      var f = this.figure(s.dataset.fig);
      (f ? f.assumptions : []).forEach(function (a) { seen[a] = true; });
    }, this);
    this.assumptions = model.figures.filter(function (f) { return seen[f.name] && f.kind === "assumption"; });
    this.set = {};
  }
  Panel.prototype.figure = function (name) { return this.model.figures[this.index[name]]; };
  Panel.prototype.build = function () {
    var self = this;
    var toggle = el("button", { type: "button", "class": "whatif-toggle", "aria-expanded": "false", "aria-controls": "whatif-panel" }, "What if?");
    var panel = el("section", { id: "whatif-panel", "class": "whatif", "aria-labelledby": "whatif-heading", hidden: "" });
    panel.appendChild(el("h2", { id: "whatif-heading" }, "What if?"));
    panel.appendChild(el("p", { "class": "whatif-intro" }, "Try other values for the assumptions this page rests on. Every figure and chart on the page follows, computed as the build computes them; figures shown for a named scenario or as a range stay as they are."));
    this.rows = this.assumptions.map(function (f) { return self.row(f, panel); });
    this.checks = panel.appendChild(el("div", { "class": "whatif-checks" }));
    this.status = panel.appendChild(el("p", { "class": "whatif-status", role: "status", "aria-live": "polite" }));
    var reset = panel.appendChild(el("button", { type: "button", "class": "whatif-reset" }, "Reset to the desk's values"));
    reset.addEventListener("click", function () { self.set = {}; self.update(true); });
    toggle.addEventListener("click", function () {
      var open = panel.hidden;
      panel.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      if (open) { var first = panel.querySelector("input"); if (first) first.focus(); }
    });
    var where = document.querySelector(".page-header") || document.querySelector("main > *");
    var box = el("div", { "class": "whatif-box" });
    box.appendChild(toggle);
    box.appendChild(panel);
    where.parentNode.insertBefore(box, where.nextSibling);
    this.toggle = toggle;
    this.panel = panel;
  };
  Panel.prototype.row = function (f, panel) {
    var self = this, id = "whatif-" + f.name;
    var row = panel.appendChild(el("div", { "class": "whatif-row" }));
    row.appendChild(el("label", { "for": id, "class": "whatif-label" }, f.label));
    var bounds = f.range ? { min: f.date ? monthText(f.range[0]) : String(f.range[0]), max: f.date ? monthText(f.range[1]) : String(f.range[1]) } : {};
    var box = el("input", Object.assign({ id: id, type: f.date ? "month" : "number", step: step(f), value: f.date ? monthText(f.value) : String(f.value) }, bounds));
    var slider = f.range ? el("input", { type: "range", "class": "whatif-slider", "aria-label": f.label + " (slider)",
      min: String(f.date ? roundAway(f.range[0]) : f.range[0]), max: String(f.date ? roundAway(f.range[1]) : f.range[1]),
      step: step(f), value: String(f.value) }) : null;
    if (slider) row.appendChild(slider);
    row.appendChild(box);
    var out = row.appendChild(el("output", { "for": id, "class": "whatif-value" }));
    var desk = show(f, f.value).display;
    var range = f.range ? "; range " + rangeText(show(f, f.range[0]).display, show(f, f.range[1]).display) : "";
    row.appendChild(el("span", { "class": "whatif-desk" }, "Desk's value: " + desk + range));
    function take(value) {
      if (!isFinite(value)) return;
      if (f.range) value = Math.min(f.range[1], Math.max(f.range[0], value));
      if (value === f.value) delete self.set[f.name]; else self.set[f.name] = value;
      self.update(true);
    }
    box.addEventListener("change", function () { take(readValue(f, box.value)); });
    if (slider) slider.addEventListener("input", function () { take(parseFloat(slider.value)); });
    return { figure: f, box: box, slider: slider, out: out };
  };
  Panel.prototype.update = function (record) {
    var self = this, result;
    try { result = evaluate(this.model, this.set); } catch (e) {
      this.status.textContent = "These values cannot be computed: " + e.message + ".";
      return;
    }
    var o = result.outcomes, changed = 0, empty = !Object.keys(this.set).length;
    this.rows.forEach(function (r) {
      var v = r.figure.name in self.set ? self.set[r.figure.name] : r.figure.value;
      r.out.textContent = o[r.figure.name].display;
      if (document.activeElement !== r.box) r.box.value = r.figure.date ? monthText(v) : String(v);
      if (r.slider && document.activeElement !== r.slider) r.slider.value = String(v);
      r.box.closest(".whatif-row").classList.toggle("whatif-moved", r.figure.name in self.set);
    });
    this.spans.forEach(function (s) {
      var w = s.whatif, f = self.figure(s.dataset.fig);
      if (!f) return;
      var text = empty ? w.text : o[f.name][s.dataset.show];
      w.link.textContent = text;
      s.classList.toggle("whatif-changed", text !== w.text);
      if (text !== w.text) changed++;
      if (f.kind !== "derived") return;
      var inputs = f.inputs.filter(function (n) { return n in o; })
        .map(function (n) { return n + " = " + o[n].display; }).join("; ");
      var basis = f.assumptions.filter(function (n) { return n in o; })
        .map(function (n) { return self.figure(n).label + " (" + o[n].display + ")"; }).join(", ");
      if (w.inputs) w.inputs.textContent = empty ? w.inputsText : inputs;
      if (w.basis) w.basis.textContent = empty ? w.basisText : "Rests on " + (f.assumptions.length === 1 ? "the assumption" : "the assumptions") + ": " + basis;
      w.link.title = empty ? w.title : kindName(f) + ": " + f.label + (f.formula ? " = " + f.formula : "") +
        (inputs ? " (" + inputs + ")" : "") + (f.estimate ? ". Rests on: " + basis : "") +
        (f.range_display ? ". Range: " + f.range_display : "");
    });
    this.charts.forEach(function (c) {
      var svg = c.querySelector("svg");
      if (!svg || !c.whatif) return;
      var drawn = empty ? c.whatif : drawChart(self, c.id.slice(6), result);
      if (drawn) svg.outerHTML = drawn;
    });
    this.showChecks(result.failing);
    this.status.textContent = empty ? "The desk's values: every figure is as published."
      : changed + (changed === 1 ? " figure" : " figures") + " on this page changed." +
        (result.failing.length ? " " + result.failing.length + " of the briefing's checks fail." : "");
    if (record) this.record();
  };
  Panel.prototype.showChecks = function (failing) {
    var box = this.checks, model = this.model;
    box.textContent = "";
    if (!failing.length) {
      if (model.checks.length) box.appendChild(el("p", {}, "Every check of the briefing holds with these values."));
      return;
    }
    box.appendChild(el("p", { "class": "whatif-fail-head" }, "With these values, these claims of the briefing no longer hold:"));
    var list = box.appendChild(el("ul", {}));
    model.checks.filter(function (c) { return failing.indexOf(c.id) >= 0; }).forEach(function (c) {
      var item = list.appendChild(el("li", { "class": "whatif-fail" }));
      item.appendChild(el("code", {}, c.id));
      item.appendChild(document.createTextNode(" (" + c.formula + ") protects: “" + c.protects + "”"));
    });
  };
  // ?whatif=name:value,name:value (a date as YYYY-MM): the URL says what the reader set.
  Panel.prototype.record = function () {
    var self = this;
    var text = Object.keys(this.set).map(function (n) {
      var f = self.figure(n);
      return n + ":" + (f.date ? monthText(self.set[n]) : String(self.set[n]));
    }).join(",");
    var rest = location.search.replace(/^\?/, "").split("&").filter(function (p) { return p && p.indexOf("whatif=") !== 0; });
    if (text) rest.push("whatif=" + text);
    var url = location.pathname + (rest.length ? "?" + rest.join("&") : "") + location.hash;
    try { history.replaceState(history.state, "", url); } catch (e) { /* a browser may refuse on file:// */ }
  };
  Panel.prototype.restore = function () {
    var self = this, m = /[?&]whatif=([^&#]*)/.exec(location.search);
    if (!m) return false;
    decodeURIComponent(m[1]).split(",").forEach(function (pair) {
      var at = pair.indexOf(":"), f = self.figure(pair.slice(0, at));
      if (!f || f.kind !== "assumption") return;
      var v = readValue(f, pair.slice(at + 1));
      if (!isFinite(v)) return;
      if (f.range) v = Math.min(f.range[1], Math.max(f.range[0], v));
      if (v !== f.value) self.set[f.name] = v;
    });
    return Object.keys(this.set).length > 0;
  };

  function start() {
    var holder = document.getElementById("briefing-model");
    if (!holder) return;
    var panel = new Panel(JSON.parse(holder.textContent));
    if (!panel.assumptions.length) return;
    panel.build();
    if (panel.restore()) {
      panel.panel.hidden = false;
      panel.toggle.setAttribute("aria-expanded", "true");
    }
    panel.update(false);
  }
  function drawChart() { return null; }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.briefingWhatIf = {
    evaluate: evaluate, show: show, formatDeclared: formatDeclared, formatRange: formatRange,
    rangeText: rangeText, fixed: fixed, expo: expo, writtenDigits: writtenDigits
  };
})();
