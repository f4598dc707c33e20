// Convert a JSON-LD file to N-Quads with jsonld.js and print the number of quads.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(process.argv[3] + "/");
const jsonld = require("jsonld");
const doc = JSON.parse(readFileSync(process.argv[2], "utf8"));
// no document loader: a kg file must not need the network
const nquads = await jsonld.toRDF(doc, { format: "application/n-quads", documentLoader: async (url) => { throw new Error("no network: " + url); } });
const lines = nquads.split("\n").filter((l) => l.trim());
console.log(JSON.stringify({ quads: new Set(lines).size }));
