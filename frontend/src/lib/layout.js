// A dashboard's layout maths: the size of a new tile, and tiles in reading order (the order a
// layout is saved in). Positions and sizes are in grid cells (`x`, `w` across, `y`, `h` down).

/** The size of a new tile, by its kind. */
export const NEW_TILE = { chart: { w: 6, h: 4 }, markdown: { w: 4, h: 2 } };

/** Tiles top to bottom, then left to right (a new array). */
export const readingOrder = (tiles) => [...tiles].sort((a, b) => a.y - b.y || a.x - b.x);
