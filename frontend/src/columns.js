// Completion of bare column names: the columns of the tables a statement reads (after FROM or
// JOIN). @codemirror/lang-sql completes tables, and columns only after "table." or "alias.".

const REFERENCE = /\b(?:from|join)\s+((?:"[^"]+"|[\w$]+)(?:\s*\.\s*(?:"[^"]+"|[\w$]+))*)/gi;
const unquote = (part) =>
  part
    .trim()
    .replace(/^"(.*)"$/, "$1")
    .toLowerCase();

/** Names of the tables a text reads from, lower case, without schema. */
export function referencedTables(text) {
  const names = new Set();
  for (const match of text.matchAll(REFERENCE)) {
    const parts = match[1].split(".");
    names.add(unquote(parts[parts.length - 1]));
  }
  return names;
}

/** The text of the statement around `pos` (between semicolons). */
function statementAt(doc, pos) {
  const text = doc.toString();
  const start = text.lastIndexOf(";", pos - 1) + 1;
  const end = text.indexOf(";", pos);
  return text.slice(start, end < 0 ? text.length : end);
}

/** A completion source offering the columns of the tables the statement reads. */
export function columnCompletion(tables) {
  return (context) => {
    const word = context.matchBefore(/[\w$]+/);
    if (!word && !context.explicit) return null;
    const from = word ? word.from : context.pos;
    if (context.state.sliceDoc(from - 1, from) === ".") return null; // qualified: lang-sql's job
    const wanted = referencedTables(statementAt(context.state.doc, context.pos));

    const options = [];
    const seen = new Set();
    for (const table of tables) {
      if (!wanted.has(table.name.toLowerCase())) continue;
      for (const column of table.columns) {
        if (seen.has(column.name)) continue;
        seen.add(column.name);
        options.push({
          label: column.name,
          type: "property",
          detail: `${column.type.toLowerCase()} · ${table.name}`,
          boost: 1,
        });
      }
    }
    return options.length ? { from, options, validFor: /^[\w$]*$/ } : null;
  };
}
