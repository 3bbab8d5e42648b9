import type { ShareClass } from './api.js';
import { formatShares, html } from './html.js';

const SERIES = [
  ['authorized', 'Authorized'],
  ['issued', 'Issued'],
  ['outstanding', 'Outstanding'],
  ['remaining', 'Remaining'],
] as const;
const BAR = 14;
const GAP = 4;
const LABEL = 40;
const WIDTH = 640;

/**
 * Per class, one bar for each figure, on one scale (the largest figure): a few dozen SVG elements,
 * drawn here rather than by a charting library; the table beside it carries the same numbers for
 * screen readers and copying.
 */
export function ClassChart({ classes }: { classes: ShareClass[] }) {
  const max = Math.max(1, ...classes.flatMap((c) => SERIES.map(([key]) => c[key])));
  const group = SERIES.length * (BAR + GAP) + 16;
  const height = classes.length * group + 24;
  const scale = (n: number): number => Math.max(n > 0 ? 1 : 0, ((WIDTH - LABEL - 170) * n) / max);
  const summary = classes
    .map((c) => `${c.class}: ${SERIES.map(([key, label]) => `${label.toLowerCase()} ${formatShares(c[key])}`).join(', ')}`)
    .join('; ');
  return html`<figure class="chart">
    <svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label=${`Shares per class. ${summary}`}>
      ${classes.map(
        (c, i) =>
          html`<g transform=${`translate(0 ${i * group})`}>
            <text x="0" y=${BAR + 2} class="chart-class">${c.class}</text>
            ${SERIES.map(
              ([key, label], j) =>
                html`<g transform=${`translate(${LABEL} ${j * (BAR + GAP)})`}>
                  <rect class=${`bar bar-${key}`} width=${scale(c[key])} height=${BAR} />
                  <text x=${scale(c[key]) + 6} y=${BAR - 3} class="chart-value">${label} ${formatShares(c[key])}</text>
                </g>`,
            )}
          </g>`,
      )}
    </svg>
    <figcaption>Authorized, issued, outstanding and remaining shares of each class, on one scale.</figcaption>
  </figure>`;
}
