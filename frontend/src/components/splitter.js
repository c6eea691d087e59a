// A drag handle that resizes a pane by setting a CSS length variable (remembered per key).
import { load, save } from "../lib/storage.js";

/**
 * Make `handle` resize: `variable` (e.g. "--sidebar-width") on `target`, measured from the
 * target's left (axis "x") or top (axis "y") edge, kept within [min, max] pixels.
 */
export function splitter(handle, { target, variable, axis, min, max, key }) {
  const set = (px) => {
    const limit = typeof max === "function" ? max() : max;
    const value = Math.round(Math.max(min, Math.min(limit, px)));
    target.style.setProperty(variable, `${value}px`);
    return value;
  };
  const stored = Number(load(key));
  if (stored) set(stored);

  const current = () => parseFloat(getComputedStyle(target).getPropertyValue(variable)) || min;
  const origin = () => {
    const box = target.getBoundingClientRect();
    return axis === "x" ? box.left : box.top;
  };

  handle.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    handle.setPointerCapture(event.pointerId);
    handle.classList.add("dragging");
    const start = origin();
    const move = (e) => set((axis === "x" ? e.clientX : e.clientY) - start);
    const stop = () => {
      handle.classList.remove("dragging");
      handle.removeEventListener("pointermove", move);
      save(key, current());
    };
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", stop, { once: true });
    handle.addEventListener("pointercancel", stop, { once: true });
  });

  handle.addEventListener("keydown", (event) => {
    const step = event.shiftKey ? 64 : 16;
    const keys = axis === "x" ? { ArrowLeft: -step, ArrowRight: step } : { ArrowUp: -step, ArrowDown: step };
    if (!(event.key in keys)) return;
    event.preventDefault();
    save(key, set(current() + keys[event.key]));
  });
}
