// A dashboard's layout maths: the size of a new tile, and tiles in reading order (the order a
// layout is saved in). Positions and sizes are in grid cells (`x`, `w` across, `y`, `h` down).

/** The size of a new tile, by its kind. */
export const NEW_TILE = { chart: { w: 6, h: 4 }, markdown: { w: 4, h: 2 } };

/** Tiles top to bottom, then left to right (a new array). */
export const readingOrder = (tiles) => [...tiles].sort((a, b) => a.y - b.y || a.x - b.x);

/**
 * What a tile saves: its kind and what it shows from `tile` ({id, kind, chart_id | markdown,
 * x, y, w, h}), placed where gridstack has it now (`node`, when the tile is on the grid).
 */
export function tileSpec(tile, node = {}) {
  const place = {
    x: node?.x ?? tile.x,
    y: node?.y ?? tile.y,
    w: node?.w ?? tile.w,
    h: node?.h ?? tile.h,
  };
  return tile.kind === "chart"
    ? { id: tile.id, kind: "chart", chart_id: tile.chart_id, ...place }
    : { id: tile.id, kind: "markdown", markdown: tile.markdown || "", ...place };
}
