/**
 * Module resolution hook (node:module register): maps the k6 built-in modules a script imports (`k6`,
 * `k6/http`, `k6/metrics`, `k6/execution`) to the stand-ins beside this file.
 */
const STANDINS: Record<string, string> = {
  k6: 'k6.js',
  'k6/http': 'http.js',
  'k6/metrics': 'metrics.js',
  'k6/execution': 'execution.js',
};

interface ResolveContext {
  conditions: string[];
  importAttributes: Record<string, string>;
  parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string; format?: string | null }>;

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve) {
  const file = STANDINS[specifier];
  if (file) return { url: new URL(`./${file}`, import.meta.url).href, format: 'module', shortCircuit: true };
  if (specifier.startsWith('k6/')) throw new Error(`k6 stand-in: no stand-in for '${specifier}'; add one in loadtest/k6/standin/`);
  return next(specifier, context);
}
