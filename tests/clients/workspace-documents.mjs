// Validates the Release workspace's GraphQL documents (api/web/src/graphql)
// against schema.graphql with graphql-js, as one document (fragments are
// shared between files), and checks that each file holds only named operations.
// Usage: node workspace-documents.mjs <schema.graphql> <documents-dir>
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { buildSchema, parse, validate } from "graphql";

const [schemaFile, dir] = process.argv.slice(2);
const schema = buildSchema(readFileSync(schemaFile, "utf8"));
const files = readdirSync(dir).filter((f) => f.endsWith(".graphql")).sort();
assert.ok(files.length > 0, `documents in ${dir}`);
const source = files.map((f) => readFileSync(join(dir, f), "utf8")).join("\n");
const document = parse(source);
const errors = validate(schema, document);
assert.deepEqual(errors.map((e) => e.message), [], "every document is valid against the schema");
const operations = document.definitions.filter((d) => d.kind === "OperationDefinition");
assert.ok(operations.every((o) => o.name), "every operation is named");
console.log(`${operations.length} operations in ${files.length} files: valid`);
