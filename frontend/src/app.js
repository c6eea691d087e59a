// Entry point: picks the page's module from the page data the server embeds.
import "./styles.css";

const data = JSON.parse(document.getElementById("page-data")?.textContent || "{}");
console.log("belvedere", data.page?.name);
