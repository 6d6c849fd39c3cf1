// `make lint`: ESLint over the server, console, migrations, scripts and tests. Formatting is
// Prettier's (.prettierrc.json); import boundaries are scripts/check-boundaries.mjs's.
import js from "@eslint/js";
import lit from "eslint-plugin-lit";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "node_modules/**", "data/**", "console/dist/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Rows from the database and parsed outside input are `any` at their edge on purpose; typed Knex tables narrow them.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    files: ["console/src/**/*.ts"],
    ...lit.configs["flat/recommended"],
    languageOptions: { globals: { ...globals.browser } },
  },
);
