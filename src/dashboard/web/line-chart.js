// A small canvas line chart: a few series, a time or numeric x axis, optional threshold lines
// (SLO, capacity). Enough for live 1-second windows without a charting library to bundle.

import { h } from './element.js';

const PALETTE = ['#58a6ff', '#e3b341', '#d2a8ff', '#56d4dd', '#ff7b72', '#7ee787', '#f0883e', '#a5d6ff'];
const GRID = '#26303d';
/** The colour of an SLO line, on every chart that draws one. */
export const SLO_COLOUR = '#f85149';
const AXIS_TEXT = '#95a3b5';

/**
 * A stable colour per name (pools keep their colour across charts and views).
 * @param {string} name
 * @param {string[]} names all names, sorted
 */
export function colourOf(name, names) {
  const i = names.indexOf(name);
  // An index modulo the palette's length: always one of its colours.
  return /** @type {string} */ (PALETTE[Math.max(0, i) % PALETTE.length]);
}

/**
 * @typedef {{ x: number, y: number | null }} Point
 * @typedef {{ label: string, colour: string, points: Point[], dashed?: boolean }} Series
 * @typedef {{ value: number, label: string, colour: string }} Threshold
 */

export class LineChart {
  /**
   * @param {{ title: string, format: (v: number) => string, xFormat?: (v: number) => string, height?: number,
   *           yMax?: number, thresholds?: Threshold[], points?: boolean }} options
   */
  constructor(options) {
    this.options = options;
    /** @type {Series[]} */
    this.series = [];
    this.canvas = h('canvas', { role: 'img', 'aria-label': options.title });
    this.legend = h('div', { class: 'legend' });
    this.el = h('figure', { class: 'chart' }, h('figcaption', { text: options.title }), this.canvas, this.legend);
    this.resize = new ResizeObserver(() => this.draw());
    this.resize.observe(this.canvas);
  }

  /**
   * @param {Series[]} series
   * @param {Threshold[]} [thresholds]
   */
  update(series, thresholds) {
    this.series = series;
    if (thresholds) this.options.thresholds = thresholds;
    this.legend.replaceChildren(
      ...series.map((s) => {
        const last = [...s.points].reverse().find((p) => p.y !== null);
        return h(
          'span',
          { class: 'legend-item' },
          h('span', { class: 'swatch', style: { background: s.colour } }),
          `${s.label} `,
          h('b', { text: last && last.y !== null ? this.options.format(last.y) : '—' }),
        );
      }),
      ...(this.options.thresholds ?? []).map((t) =>
        h('span', { class: 'legend-item' }, h('span', { class: 'swatch line', style: { 'border-color': t.colour } }), t.label),
      ),
    );
    const summary = series.map((s) => {
      const last = [...s.points].reverse().find((p) => p.y !== null);
      return `${s.label} ${last && last.y !== null ? this.options.format(last.y) : 'no data'}`;
    });
    this.canvas.setAttribute('aria-label', `${this.options.title}: ${summary.join(', ') || 'no data'}`);
    this.draw();
  }

  draw() {
    const canvas = /** @type {HTMLCanvasElement} */ (this.canvas);
    const width = canvas.clientWidth;
    const height = this.options.height ?? 120;
    if (width === 0) return;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.scale(dpr, dpr);
    ctx.clearRect(0, 0, width, height);
    ctx.font = '11px system-ui, sans-serif';
    const left = 52;
    const right = 8;
    const top = 6;
    const bottom = 18;
    const plotW = Math.max(10, width - left - right);
    const plotH = Math.max(10, height - top - bottom);

    const xs = this.series.flatMap((s) => s.points.map((p) => p.x));
    const ys = this.series.flatMap((s) => s.points.map((p) => p.y)).filter((y) => y !== null && Number.isFinite(y));
    const thresholds = this.options.thresholds ?? [];
    if (xs.length === 0) {
      ctx.fillStyle = AXIS_TEXT;
      ctx.fillText('waiting for data…', left, top + plotH / 2);
      return;
    }
    const xMin = Math.min(...xs);
    const xMax = Math.max(...xs, xMin + 1);
    const yTop = niceCeiling(Math.max(this.options.yMax ?? 0, ...ys.map(Number), ...thresholds.map((t) => t.value * 1.1), 1e-9));
    const xAt = (/** @type {number} */ x) => left + ((x - xMin) / (xMax - xMin)) * plotW;
    const yAt = (/** @type {number} */ y) => top + plotH - (Math.min(y, yTop) / yTop) * plotH;

    ctx.strokeStyle = GRID;
    ctx.fillStyle = AXIS_TEXT;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let i = 0; i <= 3; i++) {
      const v = (yTop * i) / 3;
      const y = Math.round(yAt(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + plotW, y);
      ctx.stroke();
      ctx.fillText(this.options.format(v), left - 6, y);
    }
    ctx.textBaseline = 'alphabetic';
    const xFormat = this.options.xFormat ?? ((/** @type {number} */ v) => new Date(v).toISOString().slice(11, 19));
    ctx.textAlign = 'left';
    ctx.fillText(xFormat(xMin), left, height - 4);
    ctx.textAlign = 'right';
    ctx.fillText(xFormat(xMax), left + plotW, height - 4);

    for (const t of thresholds) {
      const y = Math.round(yAt(t.value)) + 0.5;
      ctx.strokeStyle = t.colour;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + plotW, y);
      ctx.stroke();
      ctx.setLineDash([]);
    }

    for (const s of this.series) {
      ctx.strokeStyle = s.colour;
      ctx.fillStyle = s.colour;
      ctx.lineWidth = 1.6;
      ctx.setLineDash(s.dashed ? [5, 3] : []);
      ctx.beginPath();
      let drawing = false;
      for (const p of s.points) {
        if (p.y === null || !Number.isFinite(p.y)) {
          drawing = false;
          continue;
        }
        const x = xAt(p.x);
        const y = yAt(p.y);
        if (drawing) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        drawing = true;
      }
      ctx.stroke();
      if (this.options.points) {
        for (const p of s.points) {
          if (p.y === null) continue;
          ctx.beginPath();
          ctx.arc(xAt(p.x), yAt(p.y), 2.5, 0, Math.PI * 2);
          ctx.fill();
        }
      }
    }
    ctx.setLineDash([]);
  }

  /** Stops watching the canvas size (call when the view goes away). */
  close() {
    this.resize.disconnect();
  }
}

/**
 * Rounds an axis top up to 1, 2 or 5 × a power of ten.
 * @param {number} v
 */
function niceCeiling(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 3, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}
