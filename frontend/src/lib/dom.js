// A few helpers to build DOM nodes without innerHTML (so data never becomes markup).

/**
 * Create an element: h("button", {class: "primary", onclick: fn, dataset: {id: 1}}, "Run").
 * Attributes named on* become listeners; `dataset` and `style` objects are merged; false,
 * null and undefined attributes are skipped; children may be nodes, strings or arrays.
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "dataset" || key === "style") {
      Object.assign(node[key], value);
    } else if (key === "class") {
      node.className = value;
    } else if (key in node && typeof value !== "string") {
      node[key] = value;
    } else {
      node.setAttribute(key, value === true ? "" : value);
    }
  }
  append(node, children);
  return node;
}

/** Append children (nodes, strings, numbers, nested arrays; null and false are skipped). */
export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Replace every child of a node. */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** The element of an id, or an error naming the id (the template and the code disagree). */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node;
}
