import { describe, expect, it } from 'vitest';
import { lineChart } from '../../../src/admin/dashboard/charts.ts';

const chart = (values: (number | null)[], name = 'p50') =>
  lineChart({
    title: 'Latency',
    labels: values.map((_, i) => `11-${String(i + 1).padStart(2, '0')}`),
    series: [{ name, values, color: '#123456' }],
    format: (v) => String(v),
  });

describe('lineChart', () => {
  it('draws one point per value and gridlines on round figures', () => {
    const svg = chart([10, 35, 20]);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg.match(/<polyline /g)).toHaveLength(1);
    // Max 35 rounds up to 50: gridlines at 0, 12.5, 25, 37.5, 50.
    expect([...svg.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1])).toEqual([
      '0',
      '12.5',
      '25',
      '37.5',
      '50',
      '11-03',
    ]);
    expect(svg).toContain('<title>11-02 p50: 35</title>');
  });

  it('breaks the line where a value is missing', () => {
    const svg = chart([1, null, 2, 3]);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(3);
  });

  it('draws an empty chart without dividing by zero', () => {
    const svg = chart([null, 0]);
    expect(svg).not.toContain('NaN');
    expect(svg).not.toContain('Infinity');
  });

  it('escapes every text it is given', () => {
    const svg = chart([1], '<script>"x"</script>');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&#60;script&#62;&#34;x&#34;&#60;/script&#62;');
  });
});
