// Line charts of money over time, drawn as inline SVG with DOM APIs (no library, no inline
// styles: strokes and colours come from app.css). The portfolio's value against its cost and an
// asset's price both use it. The chart redraws itself to the width it is given, one SVG unit to a
// CSS pixel, so its text stays readable from a phone to a wide screen.
import { h, svg, uid } from './dom.js';
import { money, compactMoney, dateTime } from './format.js';
import { hold } from './router.js';

const DAY = 86_400_000;
const TICK_CHAR = 7; // a 12px digit is about this wide: room for the money axis' labels
const FALLBACK_WIDTH = 720; // drawn at this width until the chart knows its own

/**
 * A line chart of money over time, in a <figure> with a legend.
 *   series   [{key, label, points: [{t, v}], dashed}]: `t` milliseconds since the epoch, `v`
 *            cents; drawn in order in the palette's colours (--c0, --c1...)
 *   title    the accessible name (the SVG's <title>)
 *   summary  the SVG's <desc>; by default a sentence per series (first, last, low and high)
 *   step     each value holds until the next point (prices), instead of a straight segment
 *   zero     the money axis starts at zero
 *   utc      the times are whole UTC days (a daily history): labelled as such
 *   test     data-test of the <svg>; each line is [data-test=chart-line][data-series=key]
 *   legendTest  data-test of the legend; each value is `${legendTest}-${key}`
 */
export function lineChart({ series, title, summary, step = false, zero = false, utc = false, test, legendTest }) {
  const lines = series.map((s, i) => ({
    ...s,
    tone: s.tone ?? i,
    points: [...s.points].filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v)).sort((a, b) => a.t - b.t),
  }));
  const all = lines.flatMap((s) => s.points);
  if (!all.length) return h('p', { class: 'muted', test: test ? `${test}-empty` : null }, 'Nothing to chart yet.');
  const times = all.map((p) => p.t);
  const vals = all.map((p) => p.v);
  const domain = {
    t0: Math.min(...times),
    t1: Math.max(...times),
    v0: zero ? Math.min(0, ...vals) : Math.min(...vals),
    v1: zero ? Math.max(0, ...vals) : Math.max(...vals),
  };
  const titleId = uid('chart-title');
  const descId = uid('chart-desc');
  const description = summary || lines.map((s) => describe(s, utc)).join(' ');

  const figure = h('figure', { class: 'chart' });
  let current = draw(FALLBACK_WIDTH);
  const legend = h('figcaption', { class: 'chart-caption' },
    h('ul', { class: 'chart-legend', test: legendTest }, lines.map((s) => {
      const last = s.points[s.points.length - 1];
      return h('li', { class: 'chart-legend-item', dataset: { series: s.key } },
        h('span', { class: ['chart-key', `chart-key-${s.tone}`, s.dashed ? 'chart-key-dashed' : null], 'aria-hidden': 'true' }),
        h('span', { class: 'chart-legend-label' }, s.label),
        h('span', { class: 'chart-legend-value', test: legendTest ? `${legendTest}-${s.key}` : null }, last ? money(last.v) : '—'));
    })));
  figure.append(current, legend);

  let drawnWidth = FALLBACK_WIDTH;
  if (typeof ResizeObserver === 'function') {
    // The page is not ready until the chart has been drawn at its own width (or a moment has
    // passed: a chart never shown is never measured).
    const release = hold();
    const fallback = setTimeout(release, 1000);
    const settle = () => { clearTimeout(fallback); release(); };
    let frame = 0;
    const observer = new ResizeObserver((entries) => {
      if (!figure.isConnected) { observer.disconnect(); settle(); return; }
      const width = Math.round(entries[0].contentRect.width);
      if (width < 1 || Math.abs(width - drawnWidth) < 2) { settle(); return; }
      // Redrawn in the next frame: a change of size inside the observer's callback would be
      // reported as a loop.
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        drawnWidth = width;
        const next = draw(width);
        current.replaceWith(next);
        current = next;
        settle();
      });
    });
    observer.observe(figure);
  }
  return figure;

  /** The SVG for a given width in CSS pixels. */
  function draw(rawWidth) {
    const width = Math.max(240, rawWidth);
    const narrow = width < 480;
    const height = Math.round(Math.min(320, Math.max(190, width * (narrow ? 0.6 : 0.4))));
    const yAxis = moneyTicks(domain.v0, domain.v1, narrow ? 4 : 5, zero);
    const yLabels = yAxis.values.map((v) => axisMoney(v, yAxis.step));
    const pad = {
      top: 12,
      right: narrow ? 10 : 18,
      bottom: 30,
      left: Math.max(...yLabels.map((l) => l.length)) * TICK_CHAR + 14,
    };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const span = domain.t1 - domain.t0;
    const x = (t) => round(pad.left + (span > 0 ? ((t - domain.t0) / span) * plotW : plotW / 2));
    const y = (v) => round(pad.top + plotH - ((v - yAxis.lo) / (yAxis.hi - yAxis.lo)) * plotH);

    const chart = svg('svg', {
      class: 'line-chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': `${titleId} ${descId}`, test,
    }, svg('title', { id: titleId }, title), svg('desc', { id: descId }, description));

    const grid = svg('g', { class: 'chart-grid', 'aria-hidden': 'true' });
    yAxis.values.forEach((v, i) => {
      const at = y(v);
      grid.append(
        svg('line', { class: 'chart-gridline', x1: pad.left, x2: width - pad.right, y1: at, y2: at }),
        svg('text', { class: 'chart-tick', x: pad.left - 8, y: at, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, yLabels[i]));
    });
    const baseline = pad.top + plotH;
    grid.append(svg('line', { class: 'chart-axis', x1: pad.left, x2: width - pad.right, y1: baseline, y2: baseline }));
    for (const tick of timeTicks(domain.t0, domain.t1, narrow ? 3 : 5, utc)) {
      const at = x(tick.t);
      const anchor = at - pad.left < 30 ? 'start' : width - pad.right - at < 30 ? 'end' : 'middle';
      grid.append(
        svg('line', { class: 'chart-axis', x1: at, x2: at, y1: baseline, y2: baseline + 4 }),
        svg('text', { class: 'chart-tick', x: at, y: height - 8, 'text-anchor': anchor }, tick.label));
    }
    chart.append(grid);

    for (const s of lines) {
      if (!s.points.length) continue;
      const [first, ...rest] = s.points;
      let d = `M${x(first.t)} ${y(first.v)}`;
      for (const p of rest) d += step ? ` H${x(p.t)} V${y(p.v)}` : ` L${x(p.t)} ${y(p.v)}`;
      chart.append(svg('path', {
        class: `chart-line chart-line-${s.tone}`, d, fill: 'none', 'stroke-dasharray': s.dashed ? '7 5' : null,
        test: 'chart-line', 'data-series': s.key,
      }));
      const last = s.points[s.points.length - 1];
      chart.append(svg('circle', { class: `chart-dot chart-dot-${s.tone}`, cx: x(last.t), cy: y(last.v), r: 4 },
        svg('title', null, `${s.label}: ${money(last.v)} (${when(last.t, utc)})`)));
    }
    return chart;
  }
}

/** "Market value: $0.00 on Dec 1, 2025, $1,234.00 on Nov 30, 2026; low $0.00, high $1,300.00." */
function describe(s, utc) {
  if (!s.points.length) return `${s.label}: no data.`;
  const first = s.points[0];
  const last = s.points[s.points.length - 1];
  const values = s.points.map((p) => p.v);
  if (s.points.length === 1) return `${s.label}: ${money(first.v)} on ${when(first.t, utc)}.`;
  return `${s.label}: ${money(first.v)} on ${when(first.t, utc)}, ${money(last.v)} on ${when(last.t, utc)}; `
    + `low ${money(Math.min(...values))}, high ${money(Math.max(...values))}.`;
}

const utcDay = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

/** A point's time: a UTC day is shown as that day wherever the browser is. */
function when(t, utc) {
  return utc ? utcDay.format(new Date(t)) : dateTime(new Date(t).toISOString());
}

function round(n) {
  return Math.round(n * 10) / 10;
}

/** Round steps (1, 2 or 5 × a power of ten cents) from `lo` to `hi`, about `count` of them. */
function moneyTicks(min, max, count, zero) {
  let lo = min;
  let hi = max;
  if (hi - lo < 1) {
    const pad = Math.max(Math.abs(lo) * 0.1, 100);
    lo -= pad;
    hi += pad;
    if (zero && min >= 0) lo = Math.max(0, lo);
  }
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  const n = raw / magnitude;
  const step = Math.max(1, (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * magnitude);
  const from = Math.floor(lo / step) * step;
  const to = Math.max(Math.ceil(hi / step) * step, from + step);
  const values = [];
  for (let v = from; v <= to + step / 2; v += step) values.push(v);
  return { lo: from, hi: to, step, values };
}

/** A money tick: whole steps compact ("$1.5K"), smaller ones to the cent. */
function axisMoney(cents, step) {
  const v = cents === 0 ? 0 : cents;
  return step % 100 === 0 ? compactMoney(v / 100) : money(v);
}

/** About `count` evenly spaced times with labels that suit the span; repeated labels dropped. */
function timeTicks(t0, t1, count, utc) {
  const span = t1 - t0;
  const zone = utc ? { timeZone: 'UTC' } : {};
  let options;
  if (span < 2 * DAY && !utc) options = { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' };
  else if (span <= 320 * DAY) options = { month: 'short', day: 'numeric' };
  else options = { month: 'short', year: 'numeric' };
  const fmt = new Intl.DateTimeFormat(undefined, { ...options, ...zone });
  const n = span > 0 ? count : 1;
  const ticks = [];
  for (let i = 0; i < n; i += 1) {
    let t = n === 1 ? t0 : t0 + (span * i) / (n - 1);
    if (utc) t = Math.round(t / DAY) * DAY; // whole days
    const label = fmt.format(new Date(t));
    if (ticks.length && ticks[ticks.length - 1].label === label) continue;
    ticks.push({ t: Math.min(Math.max(t, t0), t1), label });
  }
  return ticks;
}
