// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".sandbox/", ".cache/", "coverage/", "scratch/"] },
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
    },
  },
  { files: ["src/base/exec.ts"], rules: { "@typescript-eslint/no-restricted-imports": "off" } },
);
