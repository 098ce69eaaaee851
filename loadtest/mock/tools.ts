/**
 * Tool calls, decided like a model would: never in a loop, and deterministically from the prompt.
 * - After a tool result (the last message is a `tool` or `function` message) the answer is text, unless
 *   `tool_choice` forces a call (`required`, or a named function).
 * - `tool_choice: "none"` never calls; a named function is always that function; `required` calls the most
 *   relevant tool (else the first).
 * - `auto` (the default) calls a tool only when the last user message mentions it: a word of its name
 *   (`get_weather` → "weather") or of its description. Otherwise it answers in text.
 * Arguments are built from the tool's parameter schema (schema-value.ts).
 */
import { MockHttpError } from './errors.js';
import { valueForSchema } from './schema-value.js';
import { prng } from './text.js';
import type { ChatMessage, FunctionTool, ToolChoice } from './types.js';

const STOP_WORDS = new Set(['get', 'set', 'the', 'and', 'for', 'with', 'from', 'this', 'that', 'call', 'tool', 'function', 'fetch', 'run', 'use', 'return', 'returns', 'given', 'into', 'about', 'your', 'current']);

function words(text: string): string[] {
  return text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length >= 3 && !STOP_WORDS.has(w));
}

function textOf(m: ChatMessage | undefined): string {
  if (!m) return '';
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) return m.content.map((p) => (typeof p.text === 'string' ? p.text : '')).join(' ');
  return '';
}

/** The tool the last user message is about, if any (the one whose name or description words it mentions most). */
function relevantTool(tools: FunctionTool[], messages: ChatMessage[]): FunctionTool | undefined {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const said = new Set(words(textOf(lastUser)));
  if (said.size === 0) return undefined;
  let best: FunctionTool | undefined;
  let bestScore = 0;
  for (const t of tools) {
    const name = words(t.function.name);
    const described = words(t.function.description ?? '');
    let score = 0;
    for (const w of said) {
      const hit = (k: string) => w === k || (k.length >= 4 && (w.startsWith(k) || k.startsWith(w) && w.length >= 4));
      if (name.some(hit)) score += 2;
      else if (described.some(hit)) score += 1;
    }
    if (score > bestScore) {
      best = t;
      bestScore = score;
    }
  }
  return best;
}

/** The tool the mock calls, or undefined when it answers with text. Only function tools are ever called. */
export function chosenTool(all: FunctionTool[] | undefined, choice: ToolChoice | undefined, messages: ChatMessage[]): FunctionTool | undefined {
  const tools = (all ?? []).filter((t) => t.type === 'function' && t.function);
  if (tools.length === 0 || choice === 'none') return undefined;
  let mode = typeof choice === 'string' ? choice : 'auto';
  if (choice && typeof choice === 'object') {
    if (choice.type === 'allowed_tools') mode = choice.allowed_tools?.mode === 'required' ? 'required' : 'auto';
    else if (choice.type === 'function') {
      const named = tools.find((t) => t.function.name === choice.function?.name);
      if (!named) throw new MockHttpError(400, `Invalid value for 'tool_choice': no function named '${choice.function?.name}' in 'tools'.`, 'tool_choice', 'invalid_value');
      return named;
    }
  }
  if (mode === 'required') return relevantTool(tools, messages) ?? tools[0];
  const last = messages[messages.length - 1];
  if (last && (last.role === 'tool' || last.role === 'function')) return undefined;
  return relevantTool(tools, messages);
}

/** Arguments (a JSON string, as OpenAI sends them) built from the tool's `parameters` schema. */
export function toolArguments(tool: FunctionTool, seed: number): string {
  const params = tool.function.parameters ?? { type: 'object', properties: {} };
  const value = valueForSchema({ type: 'object', ...params }, prng(seed));
  return JSON.stringify(value ?? {});
}

/** The pieces a streamed tool call (or JSON answer) is sent in (OpenAI sends token-sized fragments). */
export function argumentPieces(args: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 6) out.push(args.slice(i, i + 6));
  return out;
}
