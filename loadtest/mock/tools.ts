/** Tool calls: which tool to call for a request, and JSON arguments that satisfy its parameter schema. */
import { prng } from './text.js';
import type { FunctionTool, JsonSchema, ToolChoice } from './types.js';

/** The tool the mock calls, or undefined when it answers with text (no tools, or tool_choice "none"). */
export function chosenTool(tools: FunctionTool[] | undefined, choice: ToolChoice | undefined): FunctionTool | undefined {
  if (!tools || tools.length === 0 || choice === 'none') return undefined;
  if (choice && typeof choice === 'object') {
    return tools.find((t) => t.function?.name === choice.function?.name) ?? tools[0];
  }
  return tools[0];
}

const SAMPLE = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];

function valueFor(schema: JsonSchema | undefined, next: () => number, depth: number): unknown {
  if (!schema || depth > 6) return null;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[Math.floor(next() * schema.enum.length)];
  if (schema.default !== undefined) return schema.default;
  const alt = schema.anyOf ?? schema.oneOf;
  if (alt && alt.length > 0) return valueFor(alt[0], next, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string':
      return SAMPLE[Math.floor(next() * SAMPLE.length)];
    case 'integer':
      return Math.floor(next() * 100);
    case 'number':
      return Math.round(next() * 10000) / 100;
    case 'boolean':
      return next() < 0.5;
    case 'array':
      return [valueFor(schema.items, next, depth + 1)];
    case 'null':
      return null;
    case 'object':
    default: {
      if (!schema.properties) return type === 'object' ? {} : null;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(schema.properties)) out[k] = valueFor(v, next, depth + 1);
      return out;
    }
  }
}

/** Arguments (a JSON string, as OpenAI sends them) built from the tool's `parameters` schema. */
export function toolArguments(tool: FunctionTool, seed: number): string {
  const params = tool.function.parameters ?? { type: 'object', properties: {} };
  const value = valueFor({ type: 'object', ...params }, prng(seed), 0);
  return JSON.stringify(value ?? {});
}

/** The pieces a streamed tool call sends its arguments in (OpenAI sends token-sized fragments). */
export function argumentPieces(args: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 6) out.push(args.slice(i, i + 6));
  return out;
}
