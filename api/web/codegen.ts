import type { CodegenConfig } from "@graphql-codegen/cli";

// Types for every document in src/graphql, checked against the served schema
// (schema.graphql at the repository root, which a test keeps equal to it).
const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: "src/graphql/*.graphql",
  generates: {
    "src/generated/graphql.ts": {
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true },
        scalars: { DateTime: "string", NaiveDate: "string", ID: "string" },
        useTypeImports: true,
        skipTypename: true,
        onlyOperationTypes: true,
      },
    },
  },
};
export default config;
