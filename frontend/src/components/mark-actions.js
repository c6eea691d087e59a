// What a click on a mark of a dashboard tile offers, in a menu at the pointer: "Filter dashboard
// by <column> = <value>" for each dimension of the mark that is not a time (a cross-filter of
// the other tiles), and "Show rows behind this" (the drill to detail) when the tile's data says
// `can_drill` (the server refuses the rows otherwise).
import { openMenu } from "./menu.js";
import { valueText } from "../lib/filters.js";

const isScalar = (v) => v === null || ["string", "number", "boolean"].includes(typeof v);

/**
 * The point of a mark: {column: value} of the chart's dimensions (`data.dimensions`, time
 * first) the datum holds.
 */
export function markPoint(datum, data) {
  const point = {};
  for (const name of data?.dimensions || []) {
    if (Object.hasOwn(datum, name) && isScalar(datum[name])) point[name] = datum[name];
  }
  return point;
}

/** The dimensions of a point a cross-filter may use: those whose column is not a time. */
export function crossColumns(point, data) {
  const temporal = new Set((data?.columns || []).filter((c) => c.family === "temporal").map((c) => c.name));
  return Object.keys(point).filter((name) => !temporal.has(name));
}

/**
 * Open the menu of a clicked mark at the pointer of `event`. onFilter(column, value) applies a
 * cross-filter; onDrill(point) shows the rows behind the mark; `back` gets the focus back.
 */
export function openMarkActions({ event, datum, data, onFilter, onDrill, back = null }) {
  const point = markPoint(datum, data);
  const x = event?.clientX ?? 0;
  const y = event?.clientY ?? 0;
  // The menu opens under an anchor: here the pointer, a box of no size.
  const anchor = {
    getBoundingClientRect: () => ({ left: x, right: x, top: y, bottom: y, width: 0, height: 0 }),
    setAttribute() {},
    focus: () => back?.focus(),
  };
  const filters = crossColumns(point, data).map((column) => ({
    label: `Filter dashboard by ${column} = ${valueText(point[column])}`,
    testid: "mark-filter",
    onSelect: () => onFilter(column, point[column]),
  }));
  const drill = data?.can_drill
    ? { label: "Show rows behind this", testid: "mark-drill", onSelect: () => onDrill(point) }
    : null;
  if (!filters.length && !drill) return null; // nothing to offer: no menu
  const items = [...filters, filters.length && drill ? "-" : null, drill];
  return openMenu(anchor, items, { label: "Mark actions" });
}
