// Line charts drawn by uPlot (served from node_modules, see static-assets.ts): a few series, a
// clock-time or rate x axis, round ticks (chart-axes.js), optional threshold lines (SLO, capacity),
// and a legend that reads the latest values, or the values under the cursor while hovering.

import { axisTop, clockTick, ROUND_STEPS, tickLabel, valueLabel } from './chart-axes.js';
import { h } from './element.js';
import uPlot from './vendor/uplot.js';

const PALETTE = ['#58a6ff', '#e3b341', '#d2a8ff', '#56d4dd', '#ff7b72', '#7ee787', '#f0883e', '#a5d6ff'];
const GRID = '#26303d';
/** The colour of an SLO line, on every chart that draws one. */
export const SLO_COLOUR = '#f85149';
const AXIS_TEXT = '#95a3b5';
const FONT = '11px system-ui, sans-serif';
/** Plot and axes, in CSS pixels (style.css keeps the same room for a chart still waiting for data). */
const HEIGHT = 140;

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
 * @typedef {import('./chart-axes.js').Unit} Unit
 * @typedef {{ x: number, y: number | null }} Point
 * @typedef {{ label: string, colour: string, points: Point[], dashed?: boolean }} Series
 * @typedef {{ value: number, label: string, colour: string }} Threshold
 * @typedef {{ title: string, unit: Unit, xUnit?: 'time' | 'rps', height?: number, yMax?: number,
 *             thresholds?: Threshold[], points?: boolean }} ChartOptions
 */

export class LineChart {
  /** @param {ChartOptions} options */
  constructor(options) {
    this.options = options;
    /** @type {Series[]} */
    this.series = [];
    /** @type {Threshold[]} */
    this.thresholds = options.thresholds ?? [];
    this.area = h('div', { class: 'plot', role: 'img', 'aria-label': options.title });
    this.legend = h('div', { class: 'legend' });
    this.el = h('figure', { class: 'chart' }, h('figcaption', { text: options.title }), this.area, this.legend);
    /** @type {uPlot | null} */
    this.plot = null;
    // Labels, colours and dashes of the series the plot was built for: uPlot's series are fixed.
    this.shape = '';
    /** @type {HTMLElement[]} the value cell of each series in the legend */
    this.readouts = [];
    this.at = h('span', { class: 'legend-at' });
    this.width = 0;
    this.resize = new ResizeObserver(() => this.#fit());
    this.resize.observe(this.area);
  }

  /**
   * @param {Series[]} series
   * @param {Threshold[]} [thresholds]
   */
  update(series, thresholds) {
    this.series = series;
    if (thresholds) this.thresholds = thresholds;
    const summary = series.map((s) => `${s.label} ${lastValue(s) === null ? 'no data' : valueLabel(this.options.unit, lastValue(s))}`);
    this.area.setAttribute('aria-label', `${this.options.title}: ${summary.join(', ') || 'no data'}`);
    if (!series.some((s) => s.points.length > 0)) {
      this.#destroy();
      this.area.replaceChildren(h('p', { class: 'chart-empty', text: 'waiting for data…' }));
      this.#legend();
      return;
    }
    const shape = JSON.stringify(series.map((s) => [s.label, s.colour, s.dashed ?? false]));
    if (this.plot === null || shape !== this.shape) {
      this.#destroy();
      this.shape = shape;
      this.#legend();
      this.#build();
    } else {
      this.#legend();
      this.plot.setData(aligned(series));
      // A reader hovering keeps reading the point under the cursor as new seconds arrive.
      this.#readout(this.plot);
    }
  }

  /** Stops watching the chart's size and frees the plot (call when the view goes away). */
  close() {
    this.resize.disconnect();
    this.#destroy();
  }

  /** The legend: each series with its latest value (replaced by the hovered one), then the thresholds. */
  #legend() {
    this.readouts = this.series.map((s) => h('b', { text: valueLabel(this.options.unit, lastValue(s)) }));
    this.legend.replaceChildren(
      ...this.series.map((s, i) =>
        h(
          'span',
          { class: 'legend-item' },
          h('span', { class: 'swatch', style: { background: s.colour } }),
          `${s.label} `,
          this.readouts[i],
        ),
      ),
      ...this.thresholds.map((t) =>
        h('span', { class: 'legend-item' }, h('span', { class: 'swatch line', style: { 'border-color': t.colour } }), t.label),
      ),
      this.at,
    );
    this.at.textContent = '';
  }

  #build() {
    const { unit, xUnit = 'time', height = HEIGHT, points = false } = this.options;
    const axis = {
      stroke: AXIS_TEXT,
      font: FONT,
      grid: { stroke: GRID, width: 1 },
      ticks: { stroke: GRID, width: 1, size: 4 },
    };
    /** @type {uPlot.Options} */
    const opts = {
      width: Math.max(100, this.area.clientWidth),
      height,
      ms: 1,
      // UTC, as every time in the page's tables.
      tzDate: (ts) => uPlot.tzDate(new Date(ts), 'Etc/UTC'),
      legend: { show: false },
      cursor: { y: false, points: { size: 6 }, drag: { x: false, y: false, setScale: false } },
      scales: {
        x: { time: xUnit === 'time' },
        y: {
          range: (_u, _min, max) => [0, axisTop(Math.max(max ?? 0, this.options.yMax ?? 0, ...this.thresholds.map((t) => t.value * 1.1)))],
        },
      },
      axes: [
        {
          ...axis,
          size: 24,
          gap: 3,
          space: xUnit === 'time' ? 70 : 50,
          ...(xUnit === 'time' ? {} : { incrs: ROUND_STEPS }),
          values: (_u, splits, _i, _space, step) =>
            this.#ticks(
              'xTicks',
              splits.map((v) => (xUnit === 'time' ? clockTick(v, step) : tickLabel('rps', v, step))),
            ),
        },
        {
          ...axis,
          size: 56,
          space: 20,
          incrs: ROUND_STEPS,
          values: (_u, splits, _i, _space, step) =>
            this.#ticks(
              'yTicks',
              splits.map((v) => tickLabel(unit, v, step)),
            ),
        },
      ],
      series: [
        {},
        ...this.series.map((s) => ({
          label: s.label,
          stroke: s.colour,
          width: 1.6,
          ...(s.dashed ? { dash: [5, 3] } : {}),
          points: { show: points, size: 5, fill: s.colour },
        })),
      ],
      hooks: {
        draw: [(u) => this.#drawThresholds(u)],
        setCursor: [(u) => this.#readout(u)],
      },
    };
    this.area.replaceChildren();
    this.plot = new uPlot(opts, aligned(this.series), this.area);
    this.width = this.area.clientWidth;
  }

  /**
   * Keeps an axis's labels as drawn on the plot (`data-x-ticks`, `data-y-ticks`): canvas text is
   * not in the DOM, and what the axes say is worth reading without pixels.
   * @param {'xTicks' | 'yTicks'} axis
   * @param {string[]} labels
   */
  #ticks(axis, labels) {
    this.area.dataset[axis] = labels.join(' · ');
    return labels;
  }

  /** Dashed horizontal lines at each threshold, across the plotting area. @param {uPlot} u */
  #drawThresholds(u) {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.lineWidth = window.devicePixelRatio || 1;
    ctx.setLineDash([4, 3].map((d) => d * (window.devicePixelRatio || 1)));
    for (const t of this.thresholds) {
      const y = Math.round(u.valToPos(t.value, 'y', true)) + 0.5;
      ctx.strokeStyle = t.colour;
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
    }
    ctx.restore();
  }

  /** The hovered point's values in the legend, with its time; the latest values once the cursor leaves. @param {uPlot} u */
  #readout(u) {
    const i = u.cursor.idx;
    const { unit, xUnit = 'time' } = this.options;
    this.series.forEach((s, n) => {
      const cell = this.readouts[n];
      if (!cell) return;
      const v = i === null || i === undefined ? lastValue(s) : u.data[n + 1]?.[i];
      cell.textContent = valueLabel(unit, v);
    });
    const x = i === null || i === undefined ? undefined : u.data[0][i];
    this.at.textContent = x === undefined ? '' : `at ${xUnit === 'time' ? new Date(x).toISOString().slice(11, 19) : valueLabel('rps', x)}`;
  }

  #fit() {
    const width = this.area.clientWidth;
    if (this.plot === null || width === 0 || width === this.width) return;
    this.width = width;
    this.plot.setSize({ width, height: this.options.height ?? HEIGHT });
  }

  #destroy() {
    this.plot?.destroy();
    this.plot = null;
    this.shape = '';
  }
}

/**
 * The series on one shared, sorted x: a point a series lacks at some x is `undefined` (uPlot draws
 * across it), a `null` it holds stays a gap (a second with no answer is not a drop to zero).
 * @param {Series[]} series
 * @returns {uPlot.AlignedData}
 */
function aligned(series) {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  return [
    xs,
    ...series.map((s) => {
      /** @type {(number | null | undefined)[]} */
      const column = new Array(xs.length).fill(undefined);
      for (const p of s.points) column[/** @type {number} */ (index.get(p.x))] = p.y !== null && Number.isFinite(p.y) ? p.y : null;
      return column;
    }),
  ];
}

/** @param {Series} s */
function lastValue(s) {
  for (let i = s.points.length - 1; i >= 0; i--) {
    const y = s.points[i]?.y;
    if (y !== null && y !== undefined) return y;
  }
  return null;
}
