// eslint for the pages' scripts (`make lint`): the recommended rules, browser globals.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/"] },
  js.configs.recommended,
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: globals.browser,
    },
    rules: {
      eqeqeq: "error",
      "no-var": "error",
      "prefer-const": "error",
      // data reaches the DOM only as text (web/core/dom.js)
      "no-restricted-properties": [
        "error",
        { property: "innerHTML", message: "use textContent (web/core/dom.js)" },
        { property: "outerHTML", message: "use textContent (web/core/dom.js)" },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.property.name='insertAdjacentHTML']",
          message: "use textContent (web/core/dom.js)",
        },
      ],
    },
  },
  {
    // the sign-in page's classic script, written for the oldest phone browsers
    files: ["signin.js"],
    languageOptions: { sourceType: "script" },
    rules: { "no-var": "off" },
  },
];
