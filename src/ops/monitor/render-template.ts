/**
 * The templating of the shipped Prometheus and Alertmanager configs (deploy/): `${NAME}` is
 * replaced by its value, `${NAME:-fallback}` by its value or the fallback. A placeholder without
 * either is reported — all of them at once — rather than left in a file the binary would reject
 * with a less helpful message. Whole-line comments (`# …`) are copied as they are: they document
 * the placeholders (`${NAME}`) rather than use them.
 */

export interface RenderResult {
  text: string;
  /** Placeholders that had neither a value nor a fallback (each once). */
  missing: string[];
}

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function renderTemplate(
  text: string,
  values: Readonly<Record<string, string | undefined>>,
): RenderResult {
  const missing = new Set<string>();
  const substitute = (line: string) =>
    line.replace(PLACEHOLDER, (whole, name: string, fallback: string | undefined) => {
      const value = values[name];
      if (value !== undefined) return value;
      if (fallback !== undefined) return fallback;
      missing.add(name);
      return whole;
    });
  const out = text
    .split('\n')
    .map((line) => (/^\s*#/.test(line) ? line : substitute(line)))
    .join('\n');
  return { text: out, missing: [...missing] };
}

/** The placeholders a template uses. */
export function placeholdersIn(text: string): string[] {
  const used = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n');
  return [...new Set([...used.matchAll(PLACEHOLDER)].map((m) => m[1]!))].sort();
}
