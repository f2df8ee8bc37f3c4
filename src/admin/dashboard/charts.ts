const escapeXml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** One line of a chart: a value per label, null where there is nothing to draw (a gap). */
export interface ChartSeries {
  name: string;
  values: readonly (number | null)[];
  color: string;
}

const WIDTH = 560;
const HEIGHT = 200;
const PAD = { left: 64, right: 12, top: 12, bottom: 28 };
const TICKS = 4;

// The smallest 1, 2 or 5 times a power of ten at or above `value`, so gridlines fall on round figures.
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((m) => m * power >= value) ?? 10;
  return step * power;
}

/**
 * A line chart as inline SVG (no script, no library): one polyline per series, broken at nulls,
 * a point per value with its figure as a tooltip, round gridlines and the first, middle and last
 * labels on the x axis. Returns SVG markup with every text escaped.
 */
export function lineChart(input: {
  title: string;
  labels: readonly string[];
  series: readonly ChartSeries[];
  format: (value: number) => string;
}) {
  const { labels, series, format } = input;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const max = niceCeiling(
    Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null))),
  );
  const x = (i: number) => PAD.left + (labels.length <= 1 ? plotW / 2 : (i * plotW) / (labels.length - 1));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const round = (n: number) => Math.round(n * 10) / 10;
  const ticks = Array.from({ length: TICKS + 1 }, (_, i) => (max * i) / TICKS);
  const shownLabels = [...new Set([0, Math.floor((labels.length - 1) / 2), labels.length - 1])].filter(
    (i) => i >= 0 && i < labels.length,
  );
  const segments = (values: readonly (number | null)[]) => {
    const runs: string[] = [];
    let run: string[] = [];
    values.forEach((v, i) => {
      if (v === null) {
        if (run.length) runs.push(run.join(' '));
        run = [];
      } else run.push(`${round(x(i))},${round(y(v))}`);
    });
    if (run.length) runs.push(run.join(' '));
    return runs;
  };
  const text = (value: string) => escapeXml(value);
  const grid = ticks
    .map(
      (t) =>
        `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${round(y(t))}" y2="${round(y(t))}" class="grid"/><text x="${PAD.left - 6}" y="${round(y(t)) + 4}" text-anchor="end">${text(format(t))}</text>`,
    )
    .join('');
  const xLabels = shownLabels
    .map(
      (i) =>
        `<text x="${round(x(i))}" y="${HEIGHT - 8}" text-anchor="${i === 0 ? 'start' : i === labels.length - 1 ? 'end' : 'middle'}">${text(labels[i] ?? '')}</text>`,
    )
    .join('');
  const lines = series
    .map((s) => {
      const color = text(s.color);
      const polylines = segments(s.values)
        .map((points) => `<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>`)
        .join('');
      const points = s.values
        .map((v, i) =>
          v === null
            ? ''
            : `<circle cx="${round(x(i))}" cy="${round(y(v))}" r="3" fill="${color}"><title>${text(`${labels[i] ?? ''} ${s.name}: ${format(v)}`)}</title></circle>`,
        )
        .join('');
      return `<g class="series" data-series="${text(s.name)}">${polylines}${points}</g>`;
    })
    .join('');
  const legend = series
    .map((s) => `<span><i style="background:${text(s.color)}"></i>${text(s.name)}</span>`)
    .join('');
  return `<figure class="chart"><figcaption>${text(input.title)}</figcaption><svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${text(input.title)}">${grid}${xLabels}${lines}</svg><div class="legend">${legend}</div></figure>`;
}
