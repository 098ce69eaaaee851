/** OpenAI chat request → Gemini generateContent request. */
import { InvalidRequest } from '../../errors/catalogue.js';
import {
  asChatRequest,
  maxTokensOf,
  parseArguments,
  parseDataUrl,
  partsOf,
  stopList,
  textOf,
  type OAIContentPart,
  type OAIImagePart,
  type OAIToolChoice,
} from '../common/openai-wire.js';
import type { GeminiContent, GeminiPart, GeminiRequest } from './gemini-wire.js';

/** JSON Schema keywords Gemini's OpenAPI-subset `parameters` rejects. */
const UNSUPPORTED_SCHEMA_KEYS = new Set(['$schema', '$id', '$ref', '$defs', 'definitions', 'additionalProperties', 'strict', 'examples', 'default', 'const']);

export function geminiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(geminiSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (UNSUPPORTED_SCHEMA_KEYS.has(k)) continue;
    // `properties` maps names to schemas: clean each schema but keep every name.
    if (k === 'properties' && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, geminiSchema(s)]));
    } else out[k] = geminiSchema(v);
  }
  return out;
}

function userParts(parts: OAIContentPart[], param: string): GeminiPart[] {
  const out: GeminiPart[] = [];
  parts.forEach((p, i) => {
    if (p.type === 'text') out.push({ text: String((p as { text: unknown }).text ?? '') });
    else if (p.type === 'image_url') {
      const data = parseDataUrl((p as OAIImagePart).image_url?.url ?? '');
      if (!data) throw new InvalidRequest('Gemini deployments take images as base64 data: URLs', `${param}.content[${i}]`);
      out.push({ inlineData: { mimeType: data.mediaType, data: data.base64 } });
    } else throw new InvalidRequest(`content part type '${p.type}' is not supported by this model`, `${param}.content[${i}]`);
  });
  return out;
}

function toolConfig(choice: OAIToolChoice | undefined): GeminiRequest['toolConfig'] {
  if (choice === undefined) return undefined;
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (typeof choice === 'object' && choice.function?.name) return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  throw new InvalidRequest('unsupported tool_choice', 'tool_choice');
}

function append(contents: GeminiContent[], role: GeminiContent['role'], parts: GeminiPart[]): void {
  if (!parts.length) return;
  const last = contents[contents.length - 1];
  if (last && last.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

/** A tool result as the object Gemini wants: a JSON object as is, anything else wrapped. */
function toolResponse(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* plain text */
  }
  return { content: text };
}

export function openAIToGeminiRequest(body: Record<string, unknown>): GeminiRequest {
  const req = asChatRequest(body);
  const system: string[] = [];
  const contents: GeminiContent[] = [];
  // Gemini answers a functionCall by name; OpenAI tool messages carry only the call id.
  const callNames = new Map<string, string>();
  req.messages.forEach((m, i) => {
    const param = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer': {
        const t = textOf(m.content);
        if (t) system.push(t);
        break;
      }
      case 'user':
        append(contents, 'user', userParts(partsOf(m.content), param));
        break;
      case 'assistant': {
        const parts: GeminiPart[] = [];
        const text = textOf(m.content);
        if (text) parts.push({ text });
        for (const [j, tc] of (m.tool_calls ?? []).entries()) {
          callNames.set(tc.id, tc.function.name);
          parts.push({ functionCall: { name: tc.function.name, args: parseArguments(tc.function.arguments, `${param}.tool_calls[${j}]`) } });
        }
        append(contents, 'model', parts);
        break;
      }
      case 'tool': {
        const name = (m.tool_call_id && callNames.get(m.tool_call_id)) || m.name;
        if (!name) throw new InvalidRequest('tool message does not answer a tool call of an earlier assistant message', `${param}.tool_call_id`);
        append(contents, 'user', [{ functionResponse: { name, response: toolResponse(textOf(m.content)) } }]);
        break;
      }
      default:
        throw new InvalidRequest(`unsupported role '${String((m as { role: unknown }).role)}'`, `${param}.role`);
    }
  });
  if (!contents.length) throw new InvalidRequest('at least one user or assistant message is required', 'messages');

  const out: GeminiRequest = { contents };
  if (system.length) out.systemInstruction = { parts: [{ text: system.join('\n\n') }] };
  const gen: NonNullable<GeminiRequest['generationConfig']> = {};
  const max = maxTokensOf(req);
  if (max !== undefined) gen.maxOutputTokens = max;
  if (typeof req.temperature === 'number') gen.temperature = req.temperature;
  if (typeof req.top_p === 'number') gen.topP = req.top_p;
  const stop = stopList(req.stop);
  if (stop) gen.stopSequences = stop;
  if (req.response_format?.type === 'json_object') gen.responseMimeType = 'application/json';
  if (req.response_format?.type === 'json_schema') {
    gen.responseMimeType = 'application/json';
    if (req.response_format.json_schema?.schema) gen.responseJsonSchema = req.response_format.json_schema.schema;
  }
  if (Object.keys(gen).length) out.generationConfig = gen;
  if (req.tools?.length) {
    out.tools = [
      {
        functionDeclarations: req.tools.map((t) => ({
          name: t.function.name,
          ...(t.function.description ? { description: t.function.description } : {}),
          ...(t.function.parameters ? { parameters: geminiSchema(t.function.parameters) as Record<string, unknown> } : {}),
        })),
      },
    ];
    const tc = toolConfig(req.tool_choice);
    if (tc) out.toolConfig = tc;
  }
  return out;
}
