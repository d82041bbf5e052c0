// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".sandbox/", ".cache/", "coverage/", "scratch/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // One way to run a program: src/base/exec.ts (docs/architecture.md says why).
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: ["node:child_process", "child_process"].map((name) => ({
            name,
            message: "run programs through src/base/exec.ts (run, output, start, ...)",
            allowTypeImports: true,
          })),
        },
      ],
      // The compiled tool (bin/build.mjs) keeps only the parts of zod it uses when zod is imported
      // as a namespace; through the `z` object every command would load all of it (750 KB, not 200).
      "no-restricted-syntax": [
        "error",
        {
          selector:
            "ImportDeclaration[source.value='zod'][importKind!='type'] > ImportSpecifier[imported.name='z'][importKind!='type']",
          message: 'write `import * as z from "zod"`',
        },
      ],
    },
  },
  { files: ["src/base/exec.ts"], rules: { "@typescript-eslint/no-restricted-imports": "off" } },
);
