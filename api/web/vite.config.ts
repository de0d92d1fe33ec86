import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { defineConfig, type Plugin } from "vite";

/**
 * Writes workspace/licenses.txt: the licence of every npm package whose code
 * is in the bundle, found from the bundled modules' paths.
 */
function bundledLicences(): Plugin {
  return {
    name: "bundled-licences",
    generateBundle(_options, bundle) {
      const packages = new Map<string, string>();
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== "chunk") continue;
        for (const id of Object.keys(chunk.modules)) {
          const path = id.replace(/^\0/, "").split("?")[0].replace(/\\/g, "/");
          const match = /^(.*\/node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(path);
          if (match) packages.set(match[2], match[1]);
        }
      }
      const sections = [...packages.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, dir]) => {
          const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string; license?: string };
          const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
          const text = file ? readFileSync(join(dir, file), "utf8").trim() : `License: ${manifest.license ?? "see the package"}`;
          return `${name} ${manifest.version} (${manifest.license ?? "unknown"})\n\n${text}\n`;
        });
      this.emitFile({
        type: "asset",
        fileName: "workspace/licenses.txt",
        source: `The Release workspace bundles these packages.\n\n${sections.join("\n---\n\n")}`,
      });
    },
  };
}

// Built into api/assets/workspace, which the binary embeds (api/build.rs).
// Names carry content hashes, so the server lets browsers cache them for good.
export default defineConfig({
  base: "/",
  plugins: [bundledLicences()],
  build: {
    outDir: "../assets/workspace",
    emptyOutDir: true,
    assetsDir: "workspace",
    sourcemap: false,
    target: "es2022",
    chunkSizeWarningLimit: 1024,
  },
  server: { proxy: { "/graphql": "http://127.0.0.1:8000" } },
});
