import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineChart } from './svg-line-chart.ts';

describe('SVG line chart', () => {
  const series = [{ name: 'rss', color: '#000', points: [[0, 10] as const, [100, 20] as const] }];

  it('draws a dashed vertical line at each marker, titled with its label, across the plot area', () => {
    const svg = lineChart(series, { title: 't', xLabel: 's', yLabel: 'MiB', markers: [{ x: 50, label: 'backend-2 <killed>' }] });
    const marks = [
      ...svg.matchAll(/<line x1="([\d.]+)" x2="([\d.]+)" y1="28" y2="220" stroke="#999"[^>]*><title>([^<]*)<\/title><\/line>/g),
    ];
    assert.equal(marks.length, 1);
    const [, x1, x2, title] = marks[0] as RegExpExecArray;
    assert.equal(x1, x2);
    // x = 50 of an axis to 100 sits halfway between the left (60) and right (760 − 16) margins.
    assert.equal(Number(x1), 60 + 0.5 * (760 - 60 - 16));
    assert.equal(title, 'backend-2 &lt;killed&gt;');
  });

  it('ends the x axis at xMax when given, with ticks at its quarters', () => {
    const svg = lineChart(series, { title: 't', xLabel: 's', yLabel: 'MiB', xMax: 240 });
    const ticks = [...svg.matchAll(/<text x="[\d.]+" y="236" font-size="11" text-anchor="middle">([^<]*)<\/text>/g)].map((m) => m[1]);
    assert.deepEqual(ticks, ['0', '60', '120', '180', '240']);
  });

  it('draws no marker line when none is given', () => {
    assert.doesNotMatch(lineChart(series, { title: 't', xLabel: 's', yLabel: 'MiB' }), /stroke="#999"/);
  });
});
