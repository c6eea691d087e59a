// A chart's small picture in the charts list: its numbers (from the viewer's own stored result,
// GET /api/v1/charts/thumbnails) as tiny bars or a line, else an icon of its type; drawn as SVG
// nodes (no markup from strings). Colours come from CSS (components/chart-thumb.css).
const SVG = "http://www.w3.org/2000/svg";

function el(tag, attrs = {}, children = []) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child);
  return node;
}

const rect = (x, y, width, height, extra = {}) => el("rect", { x, y, width, height, rx: 1, ...extra });

/** The shapes of each chart type's icon, in a 48 × 32 box. */
const SHAPES = {
  bar: () => [rect(6, 14, 8, 16), rect(20, 6, 8, 24), rect(34, 18, 8, 12)],
  line: () => [el("polyline", { points: "4,26 14,16 24,20 34,8 44,12", class: "stroke" })],
  area: () => [
    el("polygon", { points: "4,30 4,22 14,14 24,18 34,8 44,12 44,30", class: "soft" }),
    el("polyline", { points: "4,22 14,14 24,18 34,8 44,12", class: "stroke" }),
  ],
  pie: () => [
    el("circle", { cx: 24, cy: 16, r: 13, class: "soft" }),
    el("path", { d: "M24 16 L24 3 A13 13 0 0 1 36.4 20 Z" }),
  ],
  scatter: () =>
    [
      [10, 22],
      [16, 14],
      [24, 18],
      [30, 9],
      [38, 12],
      [20, 25],
    ].map(([cx, cy]) => el("circle", { cx, cy, r: 2.6 })),
  big_number: () => [el("text", { x: 24, y: 22, "text-anchor": "middle", class: "number" }, ["42"])],
  heatmap: () =>
    [0, 1].flatMap((row) =>
      [0, 1, 2].map((col) =>
        rect(6 + col * 13, 4 + row * 13, 11, 11, { "fill-opacity": 0.25 + ((row + col * 2) % 4) * 0.25 }),
      ),
    ),
  table: () => [
    rect(4, 4, 40, 6),
    ...[13, 20, 27].map((y) => el("line", { x1: 4, x2: 44, y1: y, y2: y, class: "stroke thin" })),
  ],
};
SHAPES.pivot = SHAPES.table;

/** An icon of a chart `type` ("bar", "line"...), labelled for screen readers by `label`. */
export function chartIcon(type, label = type) {
  const shapes = (SHAPES[type] || SHAPES.table)();
  return el("svg", { viewBox: "0 0 48 32", class: "chart-thumb", role: "img", "aria-label": label }, [
    el("title", {}, [label]),
    ...shapes,
  ]);
}

/** The kinds of picture numbers make: bars for categories, a line for the rest. */
const AS_BARS = new Set(["bar", "pie", "heatmap"]);

/**
 * A picture of a chart's `numbers` (its first metric, in the result's order), drawn as its
 * `type` would: bars or a line; null when there is nothing to draw (the icon then).
 */
export function chartSketch(type, numbers, label = type) {
  if (!Array.isArray(numbers) || numbers.length === 0 || type === "table" || type === "pivot") return null;
  const values = numbers.slice(0, 40);
  const low = Math.min(0, ...values);
  const high = Math.max(...values);
  const span = high - low || 1;
  const y = (v) => 30 - ((v - low) / span) * 26;
  let shapes;
  if (AS_BARS.has(type) || values.length === 1) {
    const step = 44 / values.length;
    const width = Math.max(1, Math.min(8, step * 0.7));
    shapes = values.map((v, i) => {
      const top = Math.min(y(v), y(0));
      return rect(2 + i * step + (step - width) / 2, top, width, Math.max(1, Math.abs(y(0) - y(v))));
    });
  } else {
    const step = 44 / (values.length - 1);
    const points = values.map((v, i) => `${(2 + i * step).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    shapes = [el("polyline", { points, class: "stroke" })];
  }
  return el("svg", { viewBox: "0 0 48 32", class: "chart-thumb sketch", role: "img", "aria-label": label }, [
    el("title", {}, [label]),
    ...shapes,
  ]);
}
