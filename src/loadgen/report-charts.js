// The load test report's charts, drawn in the browser by uPlot (inlined before this script by
// html-report.ts, so the report stays one file that opens offline). Each chart has one unit on
// its y axis, ticks on 1, 2 or 5 × a power of ten, elapsed seconds on x, and a legend that reads
// the values under the cursor. Each plot keeps its axes' labels in data-x-ticks/data-y-ticks.
/* global uPlot */
(() => {
  const STEPS = Array.from({ length: 16 }, (_, i) => [1, 2, 5].map((m) => Number((m * 10 ** (i - 6)).toPrecision(1)))).flat();
  const SUFFIX = { rps: '/s', ms: ' ms', count: '' };

  /** A value with just the decimals a step needs (step 0.5 → 1 decimal, 20 → none). */
  const round = (v, step) => v.toFixed(Math.min(6, Math.max(0, Math.ceil(-Math.log10(step) - 1e-9))));

  /** A whole number of round steps reaching max, the step the smallest that reaches it in four. */
  const axisTop = (max) => {
    if (!(max > 0)) return 1;
    const step = STEPS.find((s) => s * 4 >= max * (1 - 1e-9)) ?? max / 4;
    return Number((Math.ceil(max / step - 1e-9) * step).toPrecision(12));
  };

  const readout = (unit) => (_u, v) => (v === null || v === undefined ? '—' : `${round(v, Math.abs(v) >= 100 ? 1 : 0.1)}${SUFFIX[unit]}`);

  const data = JSON.parse(document.getElementById('chart-data').textContent);
  for (const chart of data) {
    const figure = document.getElementById(chart.id);
    const plot = document.createElement('div');
    figure.append(plot);
    const keep = (axis, labels) => {
      plot.dataset[axis] = labels.join(' · ');
      return labels;
    };
    const threshold = chart.threshold;
    const opts = {
      width: 780,
      height: 240,
      scales: {
        x: { time: false },
        y: { range: (_u, _min, max) => [0, axisTop(Math.max(max ?? 0, threshold ? threshold.value * 1.1 : 0))] },
      },
      axes: [
        {
          label: 'seconds since the start',
          incrs: STEPS,
          space: 50,
          values: (_u, splits, _i, _space, step) =>
            keep(
              'xTicks',
              splits.map((v) => `${round(v, step)} s`),
            ),
        },
        {
          label: chart.axis,
          incrs: STEPS,
          space: 30,
          size: 64,
          values: (_u, splits, _i, _space, step) =>
            keep(
              'yTicks',
              splits.map((v) => `${round(v, step)}${SUFFIX[chart.unit]}`),
            ),
        },
      ],
      series: [
        { label: 'time', value: (_u, v) => (v === null || v === undefined ? '—' : `${v.toFixed(1)} s`) },
        ...chart.series.map((s) => ({
          label: s.label,
          stroke: s.colour,
          width: 1.6,
          value: readout(chart.unit),
          ...(s.dashed ? { dash: [5, 3] } : {}),
        })),
      ],
      hooks: {
        // The threshold as a dashed line with its rule, where the eye compares the lines with it.
        draw: [
          (u) => {
            if (!threshold) return;
            const { ctx, bbox } = u;
            const y = Math.round(u.valToPos(threshold.value, 'y', true)) + 0.5;
            ctx.save();
            ctx.strokeStyle = '#c62828';
            ctx.fillStyle = '#c62828';
            ctx.setLineDash([6, 4]);
            ctx.beginPath();
            ctx.moveTo(bbox.left, y);
            ctx.lineTo(bbox.left + bbox.width, y);
            ctx.stroke();
            ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
            ctx.textAlign = 'right';
            ctx.fillText(threshold.label, bbox.left + bbox.width - 4, y - 4);
            ctx.restore();
          },
        ],
      },
    };
    new uPlot(opts, [chart.x, ...chart.ys], plot);
  }
})();
