// Draws chart data into an element sized by the page: the server's Vega-Lite spec fed the rows
// as the dataset `rows`, or an HTML table for the table and pivot types. Redraws when the
// element changes size (a resized dashboard tile, a resized window). Vega is big: this module
// is only imported by the pages that draw charts (they are loaded lazily by app.js).
import embed from "vega-embed";
import { expressionInterpreter } from "vega-interpreter";
import { h, replace } from "../lib/dom.js";
import { columnRoles, pivotTable, rowsTable } from "./chart-tables.js";

const RESIZE_DELAY_MS = 150;
const MIN_WIDTH = 120;
const MIN_HEIGHT = 80;
const DEFAULT_HEIGHT = 320;
/** Vega-Lite specs that lay out several views: their size is not set from the outside. */
const COMPOSITE = ["facet", "concat", "hconcat", "vconcat", "repeat"];

const DARK = "(prefers-color-scheme: dark)";
const dark = () => matchMedia(DARK).matches;

/**
 * The server's theme (charts/theme.py: palette, SI numbers, level labels, legends) in this
 * page's colours: on the page's own background, and under a dark system setting in the dark
 * colours of base.css.
 */
export function themed(config = {}, palette = null) {
  const out = { ...config, background: "transparent" };
  if (!dark()) return out;
  const colours = palette?.length ? { range: { ...config.range, category: palette } } : {};
  const first = palette?.length ? { color: palette[0] } : {};
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  const [text, muted, grid, line] = [v("--text"), v("--muted"), v("--border"), v("--border-strong")];
  return {
    ...out,
    ...colours,
    mark: { ...config.mark, ...first },
    bar: { ...config.bar, ...first },
    axis: {
      ...config.axis,
      labelColor: muted,
      titleColor: text,
      gridColor: grid,
      domainColor: line,
      tickColor: line,
    },
    axisBand: { ...config.axisBand, domainColor: line },
    title: { ...config.title, color: text },
    legend: { ...config.legend, titleColor: text, labelColor: muted },
    text: { ...config.text, color: text },
    arc: { ...config.arc, stroke: v("--surface") },
  };
}

/** The rows of chart data as objects keyed by column name (what Vega reads). */
export function rowObjects(data) {
  const names = data.columns.map((c) => c.name);
  return data.rows.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i]])));
}

/** The server's spec, sized to the element and carrying the rows. */
function sized(spec, data, width, height) {
  const out = { ...spec, datasets: { ...(spec.datasets || {}), rows: rowObjects(data) } };
  if (!COMPOSITE.some((key) => key in spec)) {
    out.width = width;
    out.height = height;
    out.autosize = { type: "fit", contains: "padding", resize: true };
  }
  out.config = themed(spec.config, spec.usermeta?.darkPalette);
  return out;
}

/**
 * A chart view over `el`. draw(data, {type, spec}) draws ChartData (`spec` is the chart's spec
 * when known: it tells a pivot its dimensions); clear() empties it; destroy() lets it go.
 * `onMark(datum, event)`, if given, runs when a mark is clicked (its datum: the row drawn).
 */
export function createChartView(el, { renderer = "svg", onMark = null } = {}) {
  let result = null;
  let shown = null; // {data, options} drawn last, drawn again on resize
  let drawing = 0;
  let size = { width: 0, height: 0 };
  let timer = null;

  function finalize() {
    result?.finalize();
    result = null;
  }

  /** The size inside the element's padding (the chart's whole size, axes and legend included). */
  function measure() {
    const style = getComputedStyle(el);
    const across = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const down = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
    return {
      width: Math.max(MIN_WIDTH, Math.floor(el.clientWidth - across)),
      height: Math.max(MIN_HEIGHT, Math.floor((el.clientHeight || DEFAULT_HEIGHT) - down)),
    };
  }

  async function draw(data, options = {}) {
    const mine = ++drawing;
    shown = { data, options };
    finalize();
    const type = options.type;
    if (!data.vega_lite || type === "table" || type === "pivot") {
      const roles = type === "pivot" ? columnRoles(data, options.spec) : null;
      replace(el, type === "pivot" ? pivotTable(data, roles) : rowsTable(data));
      el.dataset.kind = "table";
      return;
    }
    size = measure();
    const target = h("div", { class: "vega-target", "data-testid": "vega-chart" });
    replace(el, target);
    el.dataset.kind = "vega";
    const spec = sized(data.vega_lite, data, size.width, size.height);
    try {
      const embedded = await embed(target, spec, {
        actions: false,
        renderer,
        ast: true, // no eval: the Content-Security-Policy forbids it
        expr: expressionInterpreter,
        tooltip: true,
      });
      if (mine !== drawing) {
        embedded.finalize();
        return;
      }
      result = embedded;
      if (onMark)
        embedded.view.addEventListener("click", (event, item) => {
          if (item?.datum && item.mark?.role === "mark") onMark(item.datum, event);
        });
    } catch (error) {
      if (mine !== drawing) return;
      replace(
        el,
        h("p", { class: "error-message chart-draw-error" }, `Could not draw the chart: ${error.message}`),
      );
      throw error;
    }
  }

  const observer = new ResizeObserver(() => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!shown || el.dataset.kind !== "vega") return;
      const now = measure();
      if (Math.abs(now.width - size.width) < 4 && Math.abs(now.height - size.height) < 4) return;
      draw(shown.data, shown.options).catch(() => {});
    }, RESIZE_DELAY_MS);
  });
  observer.observe(el);
  const scheme = matchMedia(DARK);
  const recolour = () => {
    if (shown && el.dataset.kind === "vega") draw(shown.data, shown.options).catch(() => {});
  };
  scheme.addEventListener("change", recolour);

  return {
    draw,
    clear(...children) {
      drawing += 1;
      shown = null;
      finalize();
      delete el.dataset.kind;
      replace(el, ...children);
    },
    destroy() {
      observer.disconnect();
      scheme.removeEventListener("change", recolour);
      clearTimeout(timer);
      drawing += 1;
      finalize();
    },
  };
}
