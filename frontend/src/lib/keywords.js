// The SQL keywords the editor offers while typing: the few an analyst writes every day, not
// every word a dialect reserves (PASSWORD, ACCORDING...), and after the tables and columns.
import { ifNotIn } from "@codemirror/autocomplete";

const COMMON =
  "SELECT FROM WHERE AND OR NOT IN IS NULL AS ON JOIN LEFT RIGHT INNER FULL OUTER CROSS " +
  "GROUP_BY ORDER_BY PARTITION_BY HAVING LIMIT OFFSET DISTINCT CASE WHEN THEN ELSE END UNION " +
  "ALL EXCEPT INTERSECT WITH BETWEEN LIKE ASC DESC COUNT SUM AVG MIN MAX CAST COALESCE EXISTS " +
  "TRUE FALSE OVER INTERVAL DATE TIMESTAMP USING VALUES INSERT INTO UPDATE SET DELETE CREATE " +
  "TABLE VIEW";

/** A few more a dialect's users reach for often. */
const EXTRA = {
  bigquery: "QUALIFY UNNEST STRUCT ARRAY SAFE_CAST COUNTIF",
  duckdb: "ILIKE QUALIFY EXCLUDE UNNEST",
  postgres: "ILIKE",
};

/** Keywords rank below every table and column of the catalog. */
export const KEYWORD_BOOST = -50;

/** The keywords offered for a connection of `dialect` ("GROUP BY" as one). */
export function commonKeywords(dialect) {
  const words = `${COMMON} ${EXTRA[dialect] || ""}`.trim().split(/\s+/);
  return [...new Set(words)].map((word) => word.replace(/_BY$/, " BY"));
}

/** A completion source of the common keywords (not inside strings, comments or after a dot). */
export function keywordSource(dialect) {
  const options = commonKeywords(dialect).map((label) => ({ label, type: "keyword", boost: KEYWORD_BOOST }));
  const source = (context) => {
    const word = context.matchBefore(/\w+/);
    if (!word && !context.explicit) return null;
    const from = word ? word.from : context.pos;
    if (context.state.sliceDoc(from - 1, from) === ".") return null;
    return { from, options, validFor: /^\w*$/ };
  };
  return ifNotIn(["QuotedIdentifier", "String", "LineComment", "BlockComment"], source);
}
