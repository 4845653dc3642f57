// Lint rules that carry the design (STYLE.md rule 18): type-aware checks, no default exports,
// and import arrows that point one way between the parts (DESIGN.md "Parts, one folder each").
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import tsdoc from "eslint-plugin-tsdoc";

const noDefaultExport = {
  selector: "ExportDefaultDeclaration",
  message: "Named exports only (STYLE.md rule 3).",
};

function restrictImports(patterns) {
  return { "no-restricted-imports": ["error", { patterns }] };
}

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "**/node_modules/**",
      "coverage/**",
      "cli/bin.cjs",
      ".azure-byok/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { tsdoc },
    rules: {
      "tsdoc/syntax": "warn",
      "no-restricted-syntax": ["error", noDefaultExport],
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["byok/**/*.ts"],
    rules: restrictImports([
      {
        group: ["../provider/*", "../emulator/*", "../cli/*", "@pulumi/*", "@azure/*"],
        message: "byok/ imports nothing else of ours.",
      },
    ]),
  },
  {
    files: ["provider/**/*.ts"],
    rules: restrictImports([
      {
        group: ["../emulator/*", "../cli/*", "../../emulator/*", "../../cli/*"],
        message: "provider/ never imports emulator/ or cli/.",
      },
    ]),
  },
  {
    files: ["emulator/**/*.ts"],
    rules: restrictImports([
      {
        group: ["../provider/*", "../../provider/*", "@pulumi/*"],
        message: "emulator/ never imports provider/.",
      },
    ]),
  },
  {
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    files: ["**/*.mjs", "**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Tool configs must default-export (ESLint, Prettier and ava read them that way).
    files: ["*.config.mjs", "*.config.js"],
    rules: { "no-restricted-syntax": "off" },
  },
);
