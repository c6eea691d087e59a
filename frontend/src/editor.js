// The SQL editor: CodeMirror 6 with a dialect, catalog completion, run keys and error marks.
import { basicSetup } from "codemirror";
import { sql } from "@codemirror/lang-sql";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { closeCompletion } from "@codemirror/autocomplete";
import { setDiagnostics } from "@codemirror/lint";
import { Compartment, EditorSelection, EditorState, Prec } from "@codemirror/state";
import { EditorView, keymap, placeholder } from "@codemirror/view";
import { tags as t } from "@lezer/highlight";
import { columnCompletion } from "./columns.js";
import { defaultSchemaFor, dialectFor } from "./dialects.js";

const highlight = HighlightStyle.define([
  { tag: t.keyword, color: "var(--syntax-keyword)", fontWeight: "600" },
  { tag: [t.typeName, t.standard(t.name)], color: "var(--syntax-type)" },
  { tag: [t.string, t.special(t.string)], color: "var(--syntax-string)" },
  { tag: [t.number, t.bool, t.null], color: "var(--syntax-number)" },
  { tag: [t.lineComment, t.blockComment], color: "var(--syntax-comment)", fontStyle: "italic" },
  { tag: [t.operator, t.punctuation, t.bracket], color: "var(--syntax-punct)" },
  { tag: t.special(t.name), color: "var(--syntax-quoted)" },
]);

const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "13px", backgroundColor: "var(--surface)" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.55" },
  ".cm-gutters": {
    backgroundColor: "var(--surface-2)",
    color: "var(--muted)",
    borderRight: "1px solid var(--border)",
  },
  ".cm-activeLine": { backgroundColor: "var(--active-line)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--active-line)" },
  "&.cm-focused": { outline: "none" },
  ".cm-tooltip-autocomplete ul li[aria-selected]": { backgroundColor: "var(--accent)", color: "#fff" },
  ".cm-completionDetail": { color: "var(--muted)", fontStyle: "normal", marginLeft: "1em" },
});

/** Completion namespace for @codemirror/lang-sql from a catalog's tables. */
export function completionSchema(tables) {
  const schemas = {};
  for (const table of tables) {
    schemas[table.schema] ??= {};
    schemas[table.schema][table.name] = {
      self: { label: table.name, type: table.kind === "view" ? "interface" : "class", detail: table.kind },
      children: table.columns.map((c) => ({ label: c.name, type: "property", detail: c.type.toLowerCase() })),
    };
  }
  return schemas;
}

/** 1-based line and column in `text` as an offset into it (clamped to the text). */
export function offsetOf(text, line, column) {
  let offset = 0;
  for (let i = 1; i < line; i++) {
    const next = text.indexOf("\n", offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  const end = text.indexOf("\n", offset);
  const lineEnd = end < 0 ? text.length : end;
  return Math.min(offset + Math.max((column || 1) - 1, 0), lineEnd);
}

/**
 * Create the editor in `parent`. Callbacks: onChange(text), onSelection(hasSelection), onRun().
 * Returns an object with what SQL Lab needs from it.
 */
export function createEditor(parent, { doc = "", onChange, onSelection, onRun }) {
  const language = new Compartment();
  let hadSelection = false;
  const view = new EditorView({
    parent,
    doc,
    extensions: [
      Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => (onRun(), true), preventDefault: true }])),
      basicSetup,
      language.of(sql()),
      syntaxHighlighting(highlight),
      theme,
      placeholder("Write SQL here. Ctrl+Enter (⌘ Enter on a Mac) runs it, or only the selected part."),
      EditorView.contentAttributes.of({ "aria-label": "SQL editor", "data-testid": "sql-editor" }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) onChange?.(update.state.doc.toString());
        const selected = !update.state.selection.main.empty;
        if (selected !== hadSelection) {
          hadSelection = selected;
          onSelection?.(selected);
        }
      }),
    ],
  });

  return {
    view,
    focus: () => view.focus(),
    text: () => view.state.doc.toString(),

    /** Highlighting and completion for a connection kind and its catalog. */
    configure(kind, tables = []) {
      const config = { dialect: dialectFor(kind), schema: completionSchema(tables), upperCaseKeywords: true };
      const schema = defaultSchemaFor(kind);
      if (schema) config.defaultSchema = schema;
      const data = [{ autocomplete: columnCompletion(tables) }]; // one source, not one per call
      const columns = EditorState.languageData.of(() => data);
      view.dispatch({ effects: language.reconfigure([sql(config), columns]) });
    },

    /** The SQL to run: the selection if there is one, else everything; with its offset. */
    runnable() {
      closeCompletion(view);
      const { from, to, empty } = view.state.selection.main;
      if (!empty) return { sql: view.state.sliceDoc(from, to), from, selection: true };
      return { sql: view.state.doc.toString(), from: 0, selection: false };
    },

    /** Replace the whole text (e.g. from history); undo brings the old text back. */
    setText(text) {
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        selection: { anchor: text.length },
      });
      view.dispatch(setDiagnostics(view.state, []));
    },

    /** Insert text at the cursor (replacing a selection) and focus the editor. */
    insert(text) {
      const { from, to } = view.state.selection.main;
      const before = view.state.sliceDoc(Math.max(0, from - 1), from);
      const after = view.state.sliceDoc(to, to + 1);
      const spaced = `${/[\w")]/.test(before) ? " " : ""}${text}${/[\w"(]/.test(after) ? " " : ""}`;
      view.dispatch(view.state.replaceSelection(spaced), { scrollIntoView: true });
      view.focus();
    },

    /** Mark an error at a line/column of the SQL that started at `base`, and move there. */
    markError(base, sqlText, line, column, message) {
      const at = Math.min(base + offsetOf(sqlText, line, column), view.state.doc.length);
      const word = view.state.wordAt(at);
      const to = word ? word.to : Math.min(at + 1, view.state.doc.lineAt(at).to);
      view.dispatch(setDiagnostics(view.state, [{ from: at, to, severity: "error", message }]), {
        selection: EditorSelection.cursor(at),
        scrollIntoView: true,
      });
      view.focus();
    },

    clearErrors() {
      view.dispatch(setDiagnostics(view.state, []));
    },
  };
}
