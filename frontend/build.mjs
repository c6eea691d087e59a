// Bundles the browser code with esbuild into the Python package's static folder, and copies
// Swagger UI (from the npm registry, never committed) next to it for the API docs page.
// The bundle is an ES module split in chunks: pages import their heavy code (Vega for charts,
// gridstack for dashboards) lazily, so that only the pages that draw charts download it.
// The stylesheets (one per page or component) are all imported by src/app.css, so the one
// app.css the pages link holds them all, whichever page loads.
import { build } from "esbuild";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "belvedere", "web", "static", "build");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "swagger"), { recursive: true });

await build({
  entryPoints: { app: join(here, "src", "app.js") },
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "esm",
  splitting: true,
  target: ["es2020"],
  outdir: out,
  chunkNames: "chunks/[name]-[hash]",
  logLevel: "warning",
});

const swagger = join(here, "node_modules", "swagger-ui-dist");
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
  cpSync(join(swagger, file), join(out, "swagger", file));
}
console.log(`built ${out}`);
