// Validates every ```graphql block of README.md against schema.graphql with
// graphql-js, each block as the document a reader pastes into GraphiQL: its
// rules refuse what GraphiQL refuses, such as two anonymous operations.
// Usage: node readme-examples.mjs <schema.graphql> <README.md>
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { buildSchema, parse, validate } from "graphql";

const [schemaFile, readmeFile] = process.argv.slice(2);
const schema = buildSchema(readFileSync(schemaFile, "utf8"));
const readme = readFileSync(readmeFile, "utf8");
const blocks = [...readme.matchAll(/^```graphql\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
assert.ok(blocks.length > 0, `graphql examples in ${readmeFile}`);
const failures = [];
for (const block of blocks) {
  try {
    const errors = validate(schema, parse(block));
    if (errors.length > 0) failures.push(`${block}\n  ${errors.map((e) => e.message).join("\n  ")}`);
  } catch (error) {
    failures.push(`${block}\n  ${error.message}`);
  }
}
assert.deepEqual(failures, [], "every README example is valid on its own");
console.log(`${blocks.length} README examples: valid`);
