// A small popup menu next to a button: arrow keys move, Enter picks, Escape or a click elsewhere
// closes it and focus goes back to the button. One menu is open at a time.
import { h } from "../lib/dom.js";

let closeOpen = null;
let openAnchor = null;

/**
 * Open a menu under `anchor` (a button); opening it from the same button again closes it.
 * Items: {label, hint, onSelect, disabled, testid}; falsy items are skipped, "-" separates.
 */
export function openMenu(anchor, items, { label = "Actions" } = {}) {
  if (closeOpen && openAnchor === anchor) return closeOpen(); // its button again: a toggle
  closeOpen?.();
  const buttons = [];
  const menu = h(
    "div",
    { class: "menu", role: "menu", "aria-label": label, "data-testid": "menu" },
    items
      .filter((item) => item)
      .map((item) => {
        if (item === "-") return h("div", { class: "separator", role: "separator" });
        const button = h(
          "button",
          {
            type: "button",
            role: "menuitem",
            disabled: Boolean(item.disabled),
            title: item.title || null,
            "data-testid": item.testid || null,
            onclick: () => {
              close(false);
              item.onSelect();
            },
          },
          h("span", { class: "label" }, item.label),
          item.hint && h("span", { class: "hint" }, item.hint),
        );
        buttons.push(button);
        return button;
      }),
  );

  const onKey = (event) => {
    const enabled = buttons.filter((b) => !b.disabled);
    const at = enabled.indexOf(document.activeElement);
    if (event.key === "Escape" || event.key === "Tab") {
      event.preventDefault();
      close(true);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      enabled[(at + step + enabled.length) % enabled.length]?.focus();
    }
  };
  const onPointer = (event) => {
    if (!menu.contains(event.target) && event.target !== anchor) close(false);
  };
  function close(refocus) {
    if (closeOpen !== closer) return;
    closeOpen = null;
    openAnchor = null;
    menu.remove();
    anchor.setAttribute("aria-expanded", "false");
    document.removeEventListener("pointerdown", onPointer, true);
    removeEventListener("resize", closer);
    if (refocus) anchor.focus();
  }
  const closer = () => close(false);
  closeOpen = closer;
  openAnchor = anchor;

  menu.addEventListener("keydown", onKey);
  document.addEventListener("pointerdown", onPointer, true);
  addEventListener("resize", closer);
  document.body.append(menu);
  anchor.setAttribute("aria-expanded", "true");

  // Below the anchor, kept inside the window.
  const box = anchor.getBoundingClientRect();
  const width = menu.offsetWidth;
  const height = menu.offsetHeight;
  const left = Math.max(4, Math.min(box.left, innerWidth - width - 4));
  const top = box.bottom + height + 4 > innerHeight ? Math.max(4, box.top - height - 2) : box.bottom + 2;
  menu.style.left = `${left}px`;
  menu.style.top = `${top}px`;
  buttons.find((b) => !b.disabled)?.focus();
  return closer;
}

/** Close the open menu, if any. */
export const closeMenu = () => closeOpen?.();
