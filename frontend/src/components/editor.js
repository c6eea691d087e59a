// The SQL editor: CodeMirror 6 with a dialect, catalog completion, run keys and error marks.
// Completion offers the catalog's tables and columns first, then a short list of common
// keywords; its popup closes when the editor loses focus, a dialog opens or the page hides.
import { basicSetup } from "codemirror";
import { StandardSQL, schemaCompletionSource } from "@codemirror/lang-sql";
import { HighlightStyle, LanguageSupport, syntaxHighlighting } from "@codemirror/language";
import { closeCompletion, completionStatus } from "@codemirror/autocomplete";
import { setDiagnostics } from "@codemirror/lint";
import { Compartment, EditorSelection, EditorState, Prec } from "@codemirror/state";
import { EditorView, keymap, placeholder } from "@codemirror/view";
import { tags as t } from "@lezer/highlight";
import { catalogCompletion } from "../lib/columns.js";
import { defaultSchemaFor, dialectFor, projectFor } from "../lib/dialects.js";
import { keywordSource } from "../lib/keywords.js";

/** Completion kinds as short text badges (CodeMirror's glyphs draw as empty boxes on some systems). */
const KIND_ICONS = {
  property: "col",
  class: "tbl",
  interface: "view",
  type: "sch",
  constant: "as",
  keyword: "kw",
  function: "fn",
  variable: "var",
};
const iconTheme = Object.fromEntries(
  Object.entries(KIND_ICONS).map(([kind, text]) => [
    `.cm-completionIcon-${kind}:after`,
    { content: JSON.stringify(text) },
  ]),
);

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
  ".cm-completionIcon": {
    width: "2.6em",
    padding: "0 .5em 0 0",
    opacity: "1",
    fontSize: "10px",
    fontFamily: "var(--mono)",
    color: "var(--muted)",
    textAlign: "left",
  },
  ".cm-tooltip-autocomplete ul li[aria-selected] .cm-completionIcon": { color: "#fff" },
  ...iconTheme,
});

/**
 * SQL for a dialect with lang-sql's highlighting and schema completion, but our own short list
 * of keywords (lang-sql's `sql()` would offer every word the dialect reserves).
 */
function sqlSupport(config, dialectName) {
  const language = (config.dialect || StandardSQL).language;
  return new LanguageSupport(language, [
    language.data.of({ autocomplete: schemaCompletionSource(config) }),
    language.data.of({ autocomplete: keywordSource(dialectName) }),
  ]);
}

/** Close the completion popup of `view` (if open). */
function closePopup(view) {
  if (completionStatus(view.state) !== null) closeCompletion(view);
}

/**
 * Completion namespace for @codemirror/lang-sql from a catalog's tables (their columns come
 * later, from columns.js, as they are fetched).
 */
export function completionSchema(tables) {
  const schemas = {};
  for (const table of tables) {
    schemas[table.schema] ??= {};
    schemas[table.schema][table.name] = {
      self: {
        label: table.name,
        type: table.kind.includes("view") ? "interface" : "class",
        detail: table.kind,
        boost: 5,
      },
      children: [],
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

/** The position of a 1-based line/column of `sqlText`, which starts at `base` in the doc. */
function positionIn(state, base, sqlText, line, column) {
  return Math.min(base + offsetOf(sqlText, line, column), state.doc.length);
}

/** A diagnostic over the word at `at` (or one character). */
function diagnosticAt(state, at, severity, message) {
  const word = state.wordAt(at);
  const to = word ? word.to : Math.min(at + 1, state.doc.lineAt(at).to);
  return { from: at, to, severity, message };
}

/**
 * Create the editor in `parent`. Callbacks: onChange(text), onSelection(hasSelection), onRun(),
 * onRunnable() when the text or the selection changed (what Run would run may have changed).
 * Returns an object with what SQL Lab needs from it.
 */
export function createEditor(parent, { doc = "", onChange, onSelection, onRun, onRunnable }) {
  const language = new Compartment();
  let hadSelection = false;
  let hinted = false; // the marks shown are a typing-time hint, not a run's error
  const extensions = [
    Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => (onRun(), true), preventDefault: true }])),
    basicSetup,
    language.of(sqlSupport({}, null)),
    syntaxHighlighting(highlight),
    theme,
    placeholder("Write SQL here. Ctrl+Enter (⌘ Enter on a Mac) runs it, or only the selected part."),
    EditorView.contentAttributes.of({ "aria-label": "SQL editor", "data-testid": "sql-editor" }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) onChange?.(update.state.doc.toString());
      if (update.docChanged || update.selectionSet) onRunnable?.();
      const selected = !update.state.selection.main.empty;
      if (selected !== hadSelection) {
        hadSelection = selected;
        onSelection?.(selected);
      }
      // An async source's answer may open the popup after the focus left: close it again.
      if (completionStatus(update.state) !== null && !update.view.hasFocus)
        setTimeout(() => closePopup(view));
    }),
    EditorView.domEventHandlers({ blur: () => setTimeout(() => view.hasFocus || closePopup(view)) }),
  ];
  const view = new EditorView({ parent, doc, extensions });
  // The focus going anywhere else (a dialog's field, another tab of SQL Lab), or the page hiding.
  document.addEventListener("focusin", (event) => {
    if (!view.dom.contains(event.target) && !event.target?.closest?.(".cm-tooltip")) closePopup(view);
  });
  document.addEventListener("visibilitychange", () => closePopup(view));
  window.addEventListener("blur", () => closePopup(view));

  return {
    view,
    focus: () => view.focus(),

    /** The editor's whole state (text, cursor, undo history), kept while another tab shows. */
    saveState() {
      closeCompletion(view);
      return view.state;
    },

    /** Show a state saveState() gave, or a new one of `doc` with the cursor at anchor/head. */
    loadState(state, doc = "", anchor = null, head = null) {
      if (!state) {
        const end = doc.length;
        const at = (n) => (n === null ? end : Math.min(n, end));
        const selection = EditorSelection.single(at(anchor), at(head ?? anchor));
        state = EditorState.create({ doc, selection, extensions });
      }
      view.setState(state);
      hinted = false;
      hadSelection = !state.selection.main.empty;
      onSelection?.(hadSelection);
    },
    text: () => view.state.doc.toString(),

    /**
     * Highlighting and completion for a connection ({dialect, options}) and, once loaded, its
     * catalog (a Catalog of catalog.js).
     */
    configure(connection, catalog = null) {
      const dialect = connection?.dialect;
      const config = {
        dialect: dialectFor(dialect),
        schema: completionSchema(catalog?.tables || []),
        upperCaseKeywords: true,
      };
      const schema = defaultSchemaFor(connection);
      if (schema) config.defaultSchema = schema;
      const extensions = [sqlSupport(config, dialect)];
      if (catalog) {
        const source = catalogCompletion(catalog, dialect, schema, projectFor(connection));
        const data = [{ autocomplete: source }]; // one source, not one per call
        extensions.push(EditorState.languageData.of(() => data));
      }
      view.dispatch({ effects: language.reconfigure(extensions) });
    },

    /** What Run would run: the selection if there is one, else everything; with its offset. */
    peekRunnable() {
      const { from, to, empty } = view.state.selection.main;
      if (!empty) return { sql: view.state.sliceDoc(from, to), from, selection: true };
      return { sql: view.state.doc.toString(), from: 0, selection: false };
    },

    /** The SQL to run (see peekRunnable), closing the completion popup. */
    runnable() {
      closeCompletion(view);
      return this.peekRunnable();
    },

    /** Replace the whole text (e.g. from history); undo brings the old text back. */
    setText(text) {
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        selection: { anchor: text.length },
      });
      hinted = false;
      view.dispatch(setDiagnostics(view.state, []));
    },

    /** Insert text at the cursor (replacing a selection) and focus the editor. */
    insert(text) {
      const { from, to } = view.state.selection.main;
      const before = view.state.sliceDoc(Math.max(0, from - 1), from);
      const after = view.state.sliceDoc(to, to + 1);
      const spaced = `${/[\w")`]/.test(before) ? " " : ""}${text}${/[\w"(`]/.test(after) ? " " : ""}`;
      view.dispatch(view.state.replaceSelection(spaced), { scrollIntoView: true });
      view.focus();
    },

    /** Mark an error at a line/column of the SQL that started at `base`, and move there. */
    markError(base, sqlText, line, column, message) {
      const at = positionIn(view.state, base, sqlText, line, column);
      hinted = false;
      view.dispatch(setDiagnostics(view.state, [diagnosticAt(view.state, at, "error", message)]), {
        selection: EditorSelection.cursor(at),
        scrollIntoView: true,
      });
      view.focus();
    },

    /** Underline a problem found while typing (the estimate's dry run); the cursor stays. */
    hint(base, sqlText, line, column, message) {
      const at = positionIn(view.state, base, sqlText, line, column);
      hinted = true;
      view.dispatch(setDiagnostics(view.state, [diagnosticAt(view.state, at, "warning", message)]));
    },

    /** Remove the mark `hint` made (not a run's error). */
    clearHint() {
      if (!hinted) return;
      hinted = false;
      view.dispatch(setDiagnostics(view.state, []));
    },

    clearErrors() {
      hinted = false;
      view.dispatch(setDiagnostics(view.state, []));
    },
  };
}
