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

  // ---- Charts, drawn again as src/render/charts.rs draws them (same layout, not same bytes).
  function c1(v) { var t = fixed(v, 1); return t === "-0.0" ? "0.0" : t; }
  function esc(t) { return String(t).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;"); }
  function niceStep(raw) {
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var found = [1, 2, 2.5, 5, 10].map(function (m) { return m * mag; }).filter(function (s) { return s >= raw; })[0];
    return found || 10 * mag;
  }
  function niceScale(max) {
    if (!(max > 0) || !isFinite(max)) return [1, 0.2];
    var st = niceStep(max / 5);
    return [Math.max(1, Math.ceil(max / st - 1e-9)) * st, st];
  }
  function niceSpan(low, high) {
    if (!(isFinite(low) && isFinite(high)) || high <= low) {
      var s = niceScale(Math.max(Math.abs(high), Math.abs(low)));
      return [Math.min(0, low, high), s[0], s[1]];
    }
    var st = niceStep((high - low) / 5), b = Math.floor(low / st + 1e-9) * st;
    return [b, Math.max(Math.ceil(high / st - 1e-9) * st, b + st), st];
  }
  function Svg(name, title, height, desc) {
    this.out = "<svg class=\"chart-svg\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 680.0 " + c1(height) +
      "\" role=\"img\" aria-labelledby=\"chart-" + esc(name) + "-title chart-" + esc(name) + "-desc\">\n<title id=\"chart-" +
      esc(name) + "-title\">" + esc(title) + "</title>\n<desc id=\"chart-" + esc(name) + "-desc\">" + esc(desc) + "</desc>\n";
  }
  Svg.prototype.raw = function (t) { this.out += t; return this; };
  Svg.prototype.text = function (cls, x, y, anchor, t) {
    return this.raw("<text class=\"" + cls + "\" x=\"" + c1(x) + "\" y=\"" + c1(y) + "\" text-anchor=\"" + anchor + "\">" + esc(t) + "</text>\n");
  };
  Svg.prototype.line = function (cls, x1, y1, x2, y2) {
    return this.raw("<line class=\"" + cls + "\" x1=\"" + c1(x1) + "\" y1=\"" + c1(y1) + "\" x2=\"" + c1(x2) + "\" y2=\"" + c1(y2) + "\"/>\n");
  };
  Svg.prototype.rect = function (cls, x, y, w, h, tip) {
    return this.raw("<rect class=\"" + cls + "\" x=\"" + c1(x) + "\" y=\"" + c1(y) + "\" width=\"" + c1(w) + "\" height=\"" + c1(h) + "\">" +
      (tip ? "<title>" + esc(tip) + "</title>" : "") + "</rect>\n");
  };
  var USD = { atoms: [["USD", 1]], unit: "USD" };
  function tick(v, like) { try { return formatDeclared(v, like, 3).number; } catch (e) { return String(v); } }
  function usd(v) { return formatDeclared(v, USD, 3).display; }
  function xTicks(svg, x, from, step, ticks, bottom, like, height) {
    svg.raw("</g>\n<g class=\"chart-axis chart-axis-x\">\n").line("chart-axis-line", 24, bottom, 656, bottom);
    for (var k = 0; k <= ticks; k++) {
      svg.text("chart-tick", x(from + step * k), bottom + 18, k === 0 ? "start" : k === ticks ? "end" : "middle", tick(from + step * k, like));
    }
    svg.text("chart-axis-label", 340, height - 12, "middle", like.unit).raw("</g>\n");
  }
  function schedule(p, ch, v) {
    var read = function (r, dflt) { return r ? v[p.index[r.figure]] * r.factor : dflt; };
    var full = read(ch.rate), first = v[p.index[ch.start]], months = v[p.index[ch.end]] - first + 1;
    var ramp = read(ch.ramp_months, 0), share = read(ch.ramp_start, 1), ref = read(ch.reference, null);
    if (!(months >= 1 && months <= 1200) || Math.abs(ramp % 1) > 1e-9 || ramp < 0 || ramp > months || !(share >= 0 && share <= 1)) return null;
    months = Math.round(months); ramp = Math.round(ramp);
    var cum = [], sum = 0;
    for (var i = 0; i < months; i++) { sum += i < ramp ? full * (share + (1 - share) * i / ramp) : full; cum.push(sum); }
    var fullTotal = full * months, sc = niceScale(Math.max(fullTotal, sum, ref || 0)), top = sc[0];
    var x = function (i) { return 100 + 556 * i / Math.max(1, months); };
    var y = function (val) { return 300 - 252 * val / top; };
    var name = function (m) { return dateText(m); };
    var pct = formatDeclared(share * 100, { atoms: [] }, 3).number;
    var desc = "Line chart of cumulative payments, month by month, from " + name(first) + " to " + name(first + months - 1) + " (" + months + " months)." +
      (ramp > 0 ? " Payments start at " + pct + "% of the full rate of " + usd(full) + " a month and rise in equal steps to it over " + ramp + " months."
        : " Every month is paid at " + usd(full) + " a month.") +
      " The payments add up to " + usd(sum) + ", against " + usd(fullTotal) + " had every month been paid at the full rate.";
    var svg = new Svg(ch.name, ch.title, 360, desc), ticks = Math.round(top / sc[1]), k;
    svg.raw("<g class=\"chart-grid\">\n");
    for (k = 0; k <= ticks; k++) svg.line("chart-gridline", 100, y(sc[1] * k), 656, y(sc[1] * k));
    svg.raw("</g>\n<g class=\"chart-axis chart-axis-y\">\n");
    for (k = 0; k <= ticks; k++) svg.text("chart-tick", 92, y(sc[1] * k) + 4, "end", tick(sc[1] * k, USD));
    svg.raw("<text class=\"chart-axis-label\" transform=\"translate(16 174.0) rotate(-90)\" text-anchor=\"middle\">Cumulative payments (US dollars)</text>\n</g>\n");
    svg.raw("<g class=\"chart-axis chart-axis-x\">\n").line("chart-axis-line", 100, 300, 656, 300);
    for (i = 0; i < months; i++) {
      var m = Math.round(first + i), cal = ((m % 12) + 12) % 12;
      if (cal === 0 || (months <= 60 && cal === 6)) {
        svg.line("chart-tick-mark", x(i), 300, x(i), 305).text("chart-tick", x(i), 320, "middle", MONTHS[cal].slice(0, 3) + " " + Math.floor(m / 12));
      }
    }
    svg.text("chart-axis-label", 378, 350, "middle", "Month of the term, " + name(first) + " to " + name(first + months - 1)).raw("</g>\n");
    if (ramp > 0) {
      svg.rect("chart-ramp", x(0), 48, x(ramp) - x(0), 252);
      svg.text("chart-note", x(ramp) + 6, 62, "start", "Ramp (assumption): " + ramp + " months from " + pct + "% of the full rate");
    }
    if (ref != null) svg.line("chart-reference", 100, y(ref), 656, y(ref));
    svg.line("chart-line chart-line-full", x(0), y(0), x(months), y(fullTotal));
    var d = "M" + c1(x(0)) + " " + c1(y(0));
    cum.forEach(function (val, j) { d += " L" + c1(x(j + 1)) + " " + c1(y(val)); });
    svg.raw("<path class=\"chart-line chart-line-main\" d=\"" + d + "\"/>\n<circle class=\"chart-point\" cx=\"" + c1(x(months)) + "\" cy=\"" + c1(y(sum)) + "\" r=\"4\"/>\n");
    var lx = 24;
    [["chart-line-main", ramp > 0 ? "With the ramp" : "Payments"], ["chart-line-full", "Every month at the full rate"]]
      .concat(ch.reference ? [["chart-reference", p.figure(ch.reference.figure).label]] : [])
      .forEach(function (e) {
        svg.line("chart-legend-line " + e[0], lx, 16, lx + 26, 16).text("chart-legend", lx + 32, 20, "start", e[1]);
        lx += 32 + e[1].length * 6.4 + 20;
      });
    return svg.raw("</svg>").out;
  }
  function bars(p, ch, v) {
    var like = { atoms: ch.atoms, unit: ch.unit };
    var vals = ch.bars.map(function (b) { return v[p.index[b.reading.figure]] * b.reading.factor; });
    var sc = niceScale(ch.bars.reduce(function (m, b, i) { return Math.max(m, b.high == null ? vals[i] : Math.max(b.high, vals[i])); }, 0));
    var x = function (val) { return 24 + 632 * val / sc[0]; }, bottom = 12 + 56 * vals.length, ticks = Math.round(sc[0] / sc[1]);
    var svg = new Svg(ch.name, ch.title, bottom + 58, "Bar chart of " + ch.title.toLowerCase() + ", in " + ch.unit + ".");
    svg.raw("<g class=\"chart-grid\">\n");
    for (var k = 0; k <= ticks; k++) svg.line("chart-gridline", x(sc[1] * k), 12, x(sc[1] * k), bottom);
    xTicks(svg, x, 0, sc[1], ticks, bottom, like, bottom + 58);
    ch.bars.forEach(function (b, i) {
      var f = p.figure(b.reading.figure), row = 12 + 56 * i;
      var shown = formatRounded(vals[i], Object.assign({}, f, like), rounding(f, v[p.index[f.name]])).display;
      svg.text("chart-bar-label", 24, row + 16, "start", f.label + ": " + shown + (f.estimate ? " (estimate)" : ""));
      svg.rect("chart-bar chart-bar-" + f.kind + (f.estimate ? " chart-bar-estimate" : ""), x(0), row + 24, x(vals[i]) - x(0), 22, f.label + ": " + shown);
      if (b.low != null && b.high != null) {
        var mid = row + 35;
        svg.raw("<g class=\"chart-whisker\">\n").line("chart-whisker-line", x(b.low), mid, x(b.high), mid)
          .line("chart-whisker-line", x(b.low), mid - 6, x(b.low), mid + 6).line("chart-whisker-line", x(b.high), mid - 6, x(b.high), mid + 6).raw("</g>\n");
      }
    });
    return svg.raw("</svg>").out;
  }
  function tornado(p, name, title, figure, set) {
    var f = p.figure(figure);
    if (!f) return null;
    var base = evaluate(p.model, set).outcomes[figure];
    var rows = f.assumptions.map(p.figure, p).filter(function (a) { return a.range; }).map(function (a) {
      var ends = a.range.map(function (end) {
        var s = Object.assign({}, set); s[a.name] = end;
        return evaluate(p.model, s).outcomes[figure];
      });
      return { a: a, ends: ends };
    }).sort(function (r, s) { return Math.abs(s.ends[1].value - s.ends[0].value) - Math.abs(r.ends[1].value - r.ends[0].value); });
    var all = [base.value].concat.apply([base.value], rows.map(function (r) { return [r.ends[0].value, r.ends[1].value]; }));
    var span = niceSpan(Math.min.apply(null, all), Math.max.apply(null, all));
    var x = function (val) { return 24 + 632 * (val - span[0]) / (span[1] - span[0]); };
    var bottom = 64 + 60 * rows.length, ticks = Math.round((span[1] - span[0]) / span[2]);
    var svg = new Svg(name, title, bottom + 58, "Tornado chart of " + f.label.toLowerCase() + ": " + base.display + " with the values chosen in the what-if panel.");
    svg.raw("<g class=\"chart-grid\">\n");
    for (var k = 0; k <= ticks; k++) svg.line("chart-gridline", x(span[0] + span[2] * k), 64, x(span[0] + span[2] * k), bottom);
    xTicks(svg, x, span[0], span[2], ticks, bottom, f, bottom + 58);
    rows.forEach(function (r, i) {
      var row = 64 + 60 * i, inputs = r.a.range.map(function (e) { return show(r.a, e).display; });
      svg.text("chart-bar-label", 24, row + 16, "start", r.a.label + ": " + inputs[0] + " to " + inputs[1]);
      ["low", "high"].forEach(function (end, j) {
        var val = r.ends[j].value, from = x(Math.min(base.value, val)), to = x(Math.max(base.value, val));
        svg.rect("chart-tornado chart-tornado-" + end, from, row + 24, to - from, 22, r.a.label + " = " + inputs[j] + ": " + r.ends[j].display);
      });
    });
    svg.line("chart-tornado-base", x(base.value), 58, x(base.value), bottom);
    var left = x(base.value) < 340;
    svg.text("chart-note", x(base.value) + (left ? 4 : -4), 52, left ? "start" : "end", "What-if case: " + base.display);
    return svg.raw("</svg>").out;
  }
  // The SVG of the chart called `name` with the panel's values, or null to keep it as it is.
  function drawChart(panel, name, result) {
    var p = { model: panel.model, index: panel.index, figure: function (n) { return panel.figure(n); } };
    var inline = /^tornado\((.*)\)$/.exec(name);
    var ch = panel.model.charts.filter(function (c) { return c.name === name; })[0];
    try {
      if (inline) return tornado(p, name, "What moves it: " + (p.figure(inline[1]) || {}).label, inline[1], panel.set);
      if (!ch) return null;
      if (ch.kind === "schedule") return schedule(p, ch, result.values);
      if (ch.kind === "bars") return bars(p, ch, result.values);
      return tornado(p, name, ch.title, ch.figure, panel.set);
    } catch (e) { return null; }
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
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.briefingWhatIf = {
    evaluate: evaluate, show: show, formatDeclared: formatDeclared, formatRange: formatRange,
    rangeText: rangeText, fixed: fixed, expo: expo, writtenDigits: writtenDigits
  };
})();
