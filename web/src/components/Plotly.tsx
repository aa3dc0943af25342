// A minimal Plotly figure renderer (no plotly.js): line/scatter and bar traces as SVG,
// anything else as the figure's JSON.

interface Trace {
  type?: string;
  mode?: string;
  name?: string;
  x?: unknown[];
  y?: unknown[];
}

const COLORS = ['#2f6feb', '#e5534b', '#3fb950', '#d29922', '#a371f7', '#39c5cf'];

export function PlotlyChart({ figure, name }: { figure: unknown; name: string }) {
  const fig = figure as { data?: Trace[]; layout?: { title?: { text?: string } | string } };
  const traces = (fig.data ?? []).filter(
    (trace) => Array.isArray(trace.y) && ['scatter', 'bar', 'scattergl', undefined].includes(trace.type),
  );
  const title = typeof fig.layout?.title === 'string' ? fig.layout.title : fig.layout?.title?.text;
  if (!traces.length) {
    return (
      <details className="el-plotly">
        <summary>{title || name}</summary>
        <pre className="json">{JSON.stringify(figure, null, 2)}</pre>
      </details>
    );
  }
  const width = 560;
  const height = 280;
  const pad = 36;
  const ys = traces.flatMap((trace) => (trace.y ?? []).map(Number).filter(Number.isFinite));
  const yMin = Math.min(0, ...ys);
  const yMax = Math.max(...ys, yMin + 1);
  const count = Math.max(...traces.map((trace) => trace.y?.length ?? 0), 1);
  const xOf = (i: number) => pad + ((width - 2 * pad) * (i + 0.5)) / count;
  const yOf = (v: number) => height - pad - ((height - 2 * pad) * (v - yMin)) / (yMax - yMin);
  const bars = traces.filter((trace) => trace.type === 'bar');
  const barWidth = ((width - 2 * pad) / count) * 0.8 / Math.max(bars.length, 1);
  return (
    <figure className="el-plotly">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title || name}>
        <line x1={pad} y1={yOf(yMin)} x2={width - pad} y2={yOf(yMin)} className="axis" />
        <line x1={pad} y1={pad} x2={pad} y2={height - pad} className="axis" />
        <text x={4} y={pad} className="tick">{yMax.toPrecision(3)}</text>
        <text x={4} y={height - pad} className="tick">{yMin.toPrecision(3)}</text>
        {traces.map((trace, t) => {
          const color = COLORS[t % COLORS.length];
          const values = (trace.y ?? []).map(Number);
          if (trace.type === 'bar') {
            const b = bars.indexOf(trace);
            return values.map((v, i) => (
              <rect
                key={`${t}-${i}`}
                x={xOf(i) - (barWidth * bars.length) / 2 + b * barWidth}
                y={Math.min(yOf(v), yOf(0))}
                width={barWidth}
                height={Math.abs(yOf(0) - yOf(v))}
                fill={color}
              />
            ));
          }
          const points = values.map((v, i) => `${xOf(i)},${yOf(v)}`).join(' ');
          return <polyline key={t} points={points} fill="none" stroke={color} strokeWidth={2} />;
        })}
      </svg>
      {(title || traces.some((trace) => trace.name)) && (
        <figcaption>
          {title}
          {traces.map((trace, t) =>
            trace.name ? (
              <span key={t} className="legend" style={{ color: COLORS[t % COLORS.length] }}>
                ● {trace.name}
              </span>
            ) : null,
          )}
        </figcaption>
      )}
    </figure>
  );
}
